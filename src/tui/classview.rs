//! The class-map view (`g`): its state and its actions. The map is computed on its own worker
//! ([`crate::engine::mapjob`]); this part asks for a new one whenever what it is for changes
//! (the method, the class, Grad-CAM's layer, a finished pass) and keeps the newest answer.

use super::action::Action;
use super::app::{App, Effect};
use crate::engine::classmap::{self as cm, ClassMap, Method};
use crate::engine::mapjob::{MapReply, MapRequest};
use crate::nn::Src;
use std::sync::Arc;
use std::time::Duration;

/// Occlusion in the explorer: the patch and stride of the CLI's defaults, filled with 0.
pub const OCCLUSION: (usize, usize, f32) = (32, 16, 0.0);

/// What a map is for; a new request goes out when this changes.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Want {
    method: Method,
    class: usize,
    layer: usize,
    pass: u64,
}

#[derive(Debug, Default)]
pub struct ClassView {
    /// `None` until the view is first opened: then CAM where the head allows it, else Grad-CAM.
    method: Option<Method>,
    /// The chosen class; `None` follows the top class.
    class: Option<usize>,
    /// The top-5 panel has the keys (↑/↓ pick a class) instead of the map (arrows move the cell).
    pub top5_focus: bool,
    /// The map cell under the cursor.
    pub cell: (usize, usize),
    pub map: Option<Arc<ClassMap>>,
    pub elapsed: Option<Duration>,
    /// Bumped with every new map (the raster cache keys on it).
    pub serial: u64,
    /// The newest request and what it is for.
    job: u64,
    want: Option<Want>,
    /// Occlusion passes done of total, while one runs.
    pub progress: Option<(usize, usize)>,
    pub error: Option<String>,
    /// Grad-CAM's layer when the selected one cannot carry a map (not a volume).
    pub note: Option<String>,
}

impl ClassView {
    pub fn method(&self) -> Method {
        self.method.unwrap_or(Method::GradCam)
    }

    /// Whether the newest map answers the current request.
    pub fn is_current(&self) -> bool {
        self.progress.is_none() && self.error.is_none() && self.map.is_some()
    }
}

impl App {
    /// Keys of the class-map view; `false` when the action is not the view's.
    pub(super) fn class_action(&mut self, action: Action) -> bool {
        let top5 = self.class_view().top5_focus;
        match action {
            Action::CycleMethod => {
                let m = self.class_view().method().next();
                self.class_mut().method = Some(m);
                self.say(format!("class map: {}", m.name()));
            }
            Action::ClassPrompt => {
                let prompt = super::popup::SavePrompt::new("");
                self.open_popup(super::popup::Popup::Class(Box::new(prompt)));
                return true;
            }
            Action::ClassFocus | Action::FocusNext | Action::FocusPrev => {
                let cv = self.class_mut();
                cv.top5_focus = !cv.top5_focus;
            }
            Action::Up | Action::Down if top5 => {
                let by = if action == Action::Up { -1 } else { 1 };
                self.step_class(by);
            }
            Action::Up | Action::Down | Action::Left | Action::Right => {
                let Some((h, w)) = self.class_view().map.as_ref().map(|m| m.map.dim()) else {
                    return true;
                };
                let (r, c) = self.class_view().cell;
                let (dr, dc) = match action {
                    Action::Up => (-1, 0),
                    Action::Down => (1, 0),
                    Action::Left => (0, -1),
                    _ => (0, 1),
                };
                let clamp = |v: usize, d: isize, n: usize| {
                    (v as isize + d).clamp(0, n as isize - 1) as usize
                };
                self.class_mut().cell = (clamp(r, dr, h), clamp(c, dc, w));
            }
            _ => return false,
        }
        self.refresh_class_map();
        true
    }

    /// The top classes of the finished pass: `(index, label, probability)`.
    pub fn ranked(&self, k: usize) -> crate::model::classes::Ranked {
        let last = self.net().layers.len().saturating_sub(1);
        match self.tensor(Src::Layer(last)) {
            Some(t) => crate::model::classes::top_k(self.net(), &t.floats(), k),
            None => Vec::new(),
        }
    }

    /// The class the map is of: the chosen one, else the top class.
    pub fn map_class(&self) -> Option<usize> {
        self.class_view().class.or_else(|| self.ranked(1).first().map(|r| r.0))
    }

    fn step_class(&mut self, by: isize) {
        let ranked = self.ranked(5);
        if ranked.is_empty() {
            return;
        }
        let now = self.map_class().and_then(|c| ranked.iter().position(|r| r.0 == c));
        let at = match now {
            Some(i) => (i as isize + by).clamp(0, ranked.len() as isize - 1) as usize,
            None => 0,
        };
        let (i, label, p) = ranked[at].clone();
        self.class_mut().class = Some(i);
        self.say(format!("class {i} '{label}' (p {p:.3})"));
    }

    /// Pick a class by index or label (the `/` prompt).
    pub(super) fn pick_class(&mut self, spec: &str) -> Result<(), String> {
        let last = self.net().layers.len().saturating_sub(1);
        let classes = self.analysis().layers.get(last).map_or(0, |l| l.dims.iter().product());
        let i = cm::parse_class(self.net(), spec.trim(), classes)?;
        self.class_mut().class = Some(i);
        self.refresh_class_map();
        Ok(())
    }

    /// Grad-CAM's layer: the selected one when it is a volume with more than one cell, else the
    /// head's (with a note saying so).
    fn map_layer(&mut self) -> Option<usize> {
        let a = self.analysis().clone();
        if let Src::Layer(i) = self.sel() {
            let l = &a.layers[i];
            if l.view.is_volume() && l.output.h * l.output.w > 1 && l.computed() {
                self.class_mut().note = None;
                return Some(i);
            }
        }
        let head = cm::head(self.net(), &a).ok()?;
        let i = cm::default_layer(self.net(), &a, &head)?;
        let why = match self.sel() {
            Src::Input => format!(
                "the input is not a layer: Grad-CAM at {} ([ ] pick a layer)",
                self.net().layers[i].name
            ),
            s => format!(
                "{} is not a spatial volume: Grad-CAM at {} ([ ] pick a layer)",
                self.name_of(s),
                self.net().layers[i].name
            ),
        };
        let gradcam = self.class_view().method() == Method::GradCam;
        self.class_mut().note = gradcam.then_some(why);
        Some(i)
    }

    /// Ask for a new map when what the view shows changed. Called after every message while
    /// the view is open.
    pub(super) fn refresh_class_map(&mut self) {
        if self.view() != super::state::View::ClassMap || !self.pass_is_current() {
            return;
        }
        let Some(results) = self.results().cloned() else { return };
        let analysis = self.analysis().clone();
        let head = match cm::head(self.net(), &analysis) {
            Ok(h) => h,
            Err(e) => {
                self.class_mut().error = Some(e.to_string());
                return;
            }
        };
        if self.class_view().method.is_none() {
            let cam_ok = cm::cam_head(self.net(), &analysis, &head).is_ok();
            self.class_mut().method = Some(if cam_ok { Method::Cam } else { Method::GradCam });
        }
        let Some(class) = self.map_class() else { return };
        let Some(layer) = self.map_layer() else { return };
        let method = self.class_view().method();
        let want = Want {
            method,
            class,
            layer: if method == Method::GradCam { layer } else { 0 },
            pass: self.done_job(),
        };
        if self.class_view().want == Some(want) {
            return;
        }
        let id = self.class_view().job + 1;
        let cv = self.class_mut();
        cv.job = id;
        cv.want = Some(want);
        cv.error = None;
        cv.progress = (method == Method::Occlusion).then_some((0, 0));
        let req = MapRequest { results, analysis, method, class, layer, occlusion: OCCLUSION };
        self.push_effect(Effect::ClassMap { id, req: Box::new(req) });
    }

    /// A reply of the class-map worker; replies of superseded requests are dropped.
    pub(super) fn map_reply(&mut self, r: MapReply) {
        if r.job() != self.class_view().job {
            return;
        }
        let cv = self.class_mut();
        match r {
            MapReply::Progress { done, total, .. } => cv.progress = Some((done, total)),
            MapReply::Done { map, elapsed, .. } => {
                let (h, w) = map.map.dim();
                cv.cell = (cv.cell.0.min(h.saturating_sub(1)), cv.cell.1.min(w.saturating_sub(1)));
                cv.map = Some(map);
                cv.elapsed = Some(elapsed);
                cv.serial += 1;
                cv.progress = None;
            }
            MapReply::Failed { error, .. } => {
                cv.error = Some(error);
                cv.progress = None;
            }
        }
    }
}
