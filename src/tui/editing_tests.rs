//! The editing state machine on small real networks: open, type, check, apply, cancel, undo,
//! redo, structural edits, supersession, stale panels and saving.

use super::*;
use crate::engine::VolStats;
use crate::engine::pass::Task;
use crate::engine::resume::first_difference;
use crate::nn::Shape3;
use crate::nn::analysis::analyze;
use crate::tui::popup::{Popup, field_text};
use crate::tui::testing::{self, Harness, press, press_with, run_checks, run_effects, type_str};
use crossterm::event::{KeyCode, KeyModifiers};

fn editor(app: &App) -> &crate::tui::popup::ParamsEditor {
    match &app.popup() {
        Some(Popup::Params(ed)) => ed,
        other => panic!("the editor is not open: {other:?}"),
    }
}

fn preview(app: &App) -> crate::tui::popup::Preview {
    match &editor(app).check.shown {
        Some(Ok(p)) => p.clone(),
        other => panic!("no valid preview: {other:?}"),
    }
}

/// Replace the value on line `line` (0-based) of the editor with `value`.
fn set_value(app: &mut Harness, line: usize, value: &str) {
    press(app, &[KeyCode::Home]);
    for _ in 0..4 {
        press(app, &[KeyCode::Up]);
    }
    for _ in 0..line {
        press(app, &[KeyCode::Down]);
    }
    press(app, &[KeyCode::End]);
    let line_text = editor(app).text.lines()[line].clone();
    let old = line_text.split('=').nth(1).unwrap_or("").trim().chars().count();
    for _ in 0..old {
        press(app, &[KeyCode::Backspace]);
    }
    type_str(app, value);
}

fn computes(app: &Harness) -> Vec<(usize, usize)> {
    app.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Compute { task: Task::Recompute { from, prev, .. }, .. } => {
                Some((*from, prev.len()))
            }
            _ => None,
        })
        .collect()
}

fn conv1_stride_2(app: &mut Harness) {
    app.update(Action::Select(Src::Layer(0)));
    app.update(Action::Edit);
    run_checks(app);
    set_value(app, 2, "2");
}

#[test]
fn open_type_check_apply_then_undo_and_redo() {
    let mut app = testing::cifar_app();
    let original = app.net().clone();
    app.update(Action::Select(Src::Layer(0)));
    press(&mut app, &[KeyCode::Char('e')]);
    assert_eq!(field_text(&editor(&app).text), "filters = 12\nsize = 3\nstride = 1\npad = 1");
    run_checks(&mut app);
    let p = preview(&app);
    assert_eq!((p.output, p.before), (Shape3::new(32, 32, 12), Some(Shape3::new(32, 32, 12))));
    assert_eq!(p.formula.as_deref(), Some("(32 − 3 + 2·1)/1 + 1 = 32"));

    set_value(&mut app, 2, "2");
    assert!(!editor(&app).check.done, "every keystroke asks for a new check");
    run_checks(&mut app);
    let p = preview(&app);
    assert_eq!(p.formula.as_deref(), Some("(32 − 3 + 2·1)/2 + 1 = 16.5 → 16 (floor)"));
    assert_eq!(p.before, Some(Shape3::new(32, 32, 12)));
    let later: Vec<String> =
        p.later.iter().map(|(n, b, a)| format!("{n} {} → {a}", b.unwrap())).collect();
    assert_eq!(later, ["relu1 32×32×12 → 16×16×12", "pool1 16×16×12 → 8×8×12"]);
    assert_eq!(p.reinit, ["fc"], "fc reads 8·8·12 = 768 values now, not 3,072");

    press(&mut app, &[KeyCode::Enter]);
    assert!(app.popup().is_none(), "a valid edit applies and closes the editor");
    assert_eq!(app.shape(Src::Layer(0)), Shape3::new(16, 16, 12));
    assert!(app.net().layers[3].origin.is_reinitialized());
    assert_eq!(computes(&app), vec![(0, 0)], "conv1 changed: everything is recomputed");
    assert!(app.is_stale(Src::Layer(0)) && app.volume(Src::Layer(0)).is_none());
    // fc's output keeps its shape: its old numbers are shown (dimmed) until the pass ends.
    assert!(app.is_stale(Src::Layer(3)) && app.volume(Src::Layer(3)).is_some());
    run_effects(&mut app);
    assert!(app.pass_is_current());
    assert_eq!(app.volume(Src::Layer(0)).unwrap().dim(), (12, 16, 16));
    assert!(app.message().unwrap().starts_with("conv1: stride 1 → 2 · 3 shapes changed"));

    press(&mut app, &[KeyCode::Char('u')]);
    assert_eq!(app.shape(Src::Layer(0)), Shape3::new(32, 32, 12));
    assert_eq!(app.message(), Some("undo conv1: stride 1 → 2 · C-r redoes"));
    assert_eq!(first_difference(app.net(), &original), original.layers.len(), "the same weights");
    run_effects(&mut app);
    assert_eq!(app.volume(Src::Layer(0)).unwrap().dim(), (12, 32, 32));

    press_with(&mut app, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert_eq!(app.shape(Src::Layer(0)), Shape3::new(16, 16, 12));
    assert!(!app.history().can_redo() && app.history().can_undo());
    press(&mut app, &[KeyCode::Char('u')]);
    press(&mut app, &[KeyCode::Char('u')]);
    assert_eq!(app.message(), Some("nothing to undo"));
}

#[test]
fn esc_cancels_and_changes_nothing() {
    let mut app = testing::cifar_app();
    let net = app.net().clone();
    conv1_stride_2(&mut app);
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.popup().is_none());
    assert!(Arc::ptr_eq(app.net(), &net));
    assert!(computes(&app).is_empty() && !app.history().can_undo());
    // An unchanged text closes without an edit too.
    app.update(Action::Edit);
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    assert!(app.popup().is_none() && Arc::ptr_eq(app.net(), &net));
    assert_eq!(app.message(), Some("conv1: unchanged"));
}

#[test]
fn an_invalid_edit_cannot_be_applied() {
    let mut app = testing::cifar_app();
    let net = app.net().clone();
    app.update(Action::Select(Src::Layer(0)));
    app.update(Action::Edit);
    set_value(&mut app, 2, "0");
    run_checks(&mut app);
    assert_eq!(editor(&app).check.shown, Some(Err("stride 0 is not allowed (S ≥ 1)".into())));
    press(&mut app, &[KeyCode::Enter]);
    assert!(app.popup().is_some(), "Enter does nothing: the editor stays open");
    assert_eq!(field_text(&editor(&app).text), "filters = 12\nsize = 3\nstride = 0\npad = 1");
    press_with(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(app.popup().is_some() && Arc::ptr_eq(app.net(), &net) && computes(&app).is_empty());
    // A TOML typo names the line.
    set_value(&mut app, 2, "=");
    run_checks(&mut app);
    let err = editor(&app).check.shown.clone().unwrap().unwrap_err();
    assert!(err.starts_with("3:"), "the line of the typo: {err}");
}

#[test]
fn enter_before_the_answer_applies_once_the_answer_is_valid() {
    let mut app = testing::cifar_app();
    conv1_stride_2(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    assert!(app.popup().is_some(), "still checking");
    run_checks(&mut app);
    assert!(app.popup().is_none());
    assert_eq!(app.shape(Src::Layer(0)), Shape3::new(16, 16, 12));
    // The same with an invalid text: it stays open.
    app.update(Action::Edit);
    run_checks(&mut app);
    set_value(&mut app, 1, "40");
    press(&mut app, &[KeyCode::Enter]);
    run_checks(&mut app);
    let err = editor(&app).check.shown.clone().unwrap().unwrap_err();
    assert!(err.contains("size 40"), "{err}");
    assert_eq!(app.shape(Src::Layer(0)), Shape3::new(16, 16, 12));
}

#[test]
fn a_recompute_starts_at_the_edit_and_reuses_the_outputs_above() {
    let mut app = testing::cifar_app();
    let above = app.volume(Src::Layer(1)).unwrap().clone();
    app.update(Action::Select(Src::Layer(2)));
    app.update(Action::Edit);
    run_checks(&mut app);
    assert_eq!(field_text(&editor(&app).text), "size = 2\nstride = 2\npad = 0");
    set_value(&mut app, 0, "4");
    set_value(&mut app, 1, "4");
    run_checks(&mut app);
    let e = editor(&app).check.edited.as_ref().unwrap();
    let want = first_difference(app.net(), &e.net);
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(computes(&app), vec![(2, 2)], "from pool1, reusing conv1 and relu1");
    assert_eq!(want, 2, "the resume rule agrees");
    assert!(!app.is_stale(Src::Layer(1)) && app.is_stale(Src::Layer(2)));
    run_effects(&mut app);
    assert_eq!(
        app.volume(Src::Layer(1)).unwrap().as_ptr(),
        above.as_ptr(),
        "shared, not recomputed"
    );
    // Kept statistics above the edit, new ones below: the same as computing them all again.
    let r = app.results().unwrap();
    let fresh: Vec<_> = r.views.iter().map(|v| VolStats::of(&v.view())).collect();
    assert_eq!(r.stats, fresh);
    assert_eq!(app.shape(Src::Layer(2)), Shape3::new(8, 8, 12));
}

#[test]
fn a_second_edit_during_a_pass_supersedes_the_first() {
    let mut app = testing::cifar_app();
    conv1_stride_2(&mut app);
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    let Some(Effect::Compute { id: first_id, task: first }) = app.effects.pop() else {
        panic!("a pass is asked for")
    };
    // Before it ends: filters 12 → 6.
    app.update(Action::Edit);
    run_checks(&mut app);
    set_value(&mut app, 0, "6");
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    let Some(Effect::Compute { id: second_id, task: second }) = app.effects.pop() else {
        panic!("a pass is asked for")
    };
    assert!(second_id > first_id);
    // The first pass ends late: its replies are dropped.
    testing::run_job(&mut app, first_id, first);
    assert!(!app.pass_is_current());
    testing::run_job(&mut app, second_id, second);
    assert!(app.pass_is_current());
    assert_eq!(app.volume(Src::Layer(0)).unwrap().dim(), (6, 16, 16));
    // Before/after compares with the pass before both edits.
    assert_eq!(app.before().as_ref().unwrap().label(), "the last 2 edits");
}

#[test]
fn the_cursor_and_d_stay_inside_the_new_shapes() {
    let mut app = testing::cifar_app();
    app.update(Action::Select(Src::Layer(0)));
    app.update(Action::SetCursor(31, 16));
    app.update(Action::SetDepth(11));
    app.update(Action::Edit);
    run_checks(&mut app);
    set_value(&mut app, 0, "6");
    set_value(&mut app, 2, "2");
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    // 32×32×12 → 16×16×6: the same relative place, d clamped.
    assert_eq!((app.cursor(), app.d()), ((15, 8), 5));
    assert_eq!(app.sel(), Src::Layer(0));
}

#[test]
fn insert_delete_and_change_kind_are_checked_like_edits() {
    let mut app = testing::cifar_app();
    app.update(Action::Select(Src::Layer(1)));
    press(&mut app, &[KeyCode::Char('a')]);
    press(&mut app, &[KeyCode::Char('j'), KeyCode::Down]); // conv → relu → maxpool
    run_checks(&mut app);
    let Some(Popup::Choose(ch)) = &app.popup() else { panic!("the chooser opens") };
    assert_eq!(ch.kind(), "maxpool");
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.net().layers[2].name, "maxpool_new1");
    assert_eq!(app.sel(), Src::Layer(2), "the new layer is selected");
    assert_eq!(app.shape(Src::Layer(3)), Shape3::new(8, 8, 12));
    assert_eq!(computes(&app), vec![(2, 2)]);
    run_effects(&mut app);

    press(&mut app, &[KeyCode::Char('x')]);
    run_checks(&mut app);
    assert_eq!(app.net().layers.len(), 5);
    assert_eq!(app.shape(Src::Layer(2)), Shape3::new(16, 16, 12));
    run_effects(&mut app);

    app.update(Action::Select(Src::Layer(1)));
    press(&mut app, &[KeyCode::Char('t')]);
    let Some(Popup::Choose(ch)) = &app.popup() else { panic!("the chooser opens") };
    assert_eq!(ch.kind(), "relu", "the current kind is picked first");
    press(&mut app, &[KeyCode::Down, KeyCode::Down]); // avgpool
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.net().layers[1].kind.type_name(), "avgpool");
    assert_eq!(app.shape(Src::Layer(1)), Shape3::new(16, 16, 12));
    assert_eq!(app.history().last_edit(), Some("relu1: kind → avgpool"));
}

#[test]
fn a_delete_checked_on_an_older_network_is_not_applied() {
    let mut app = testing::cifar_app();
    app.update(Action::Select(Src::Layer(1)));
    press(&mut app, &[KeyCode::Char('x')]);
    // Before its check answers, an edit of pool1 is applied.
    let (delete, rest): (Vec<Effect>, Vec<Effect>) = std::mem::take(&mut app.effects)
        .into_iter()
        .partition(|e| matches!(e, Effect::Check { .. }));
    app.effects = rest;
    app.update(Action::Select(Src::Layer(2)));
    app.update(Action::ChangeKind);
    press(&mut app, &[KeyCode::Down]);
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.net().layers[2].kind.type_name(), "avgpool");
    for e in delete {
        if let Effect::Check { id, req } = e {
            app.update(crate::tui::app::Msg::Checked(Box::new(req.run(id))));
        }
    }
    assert_eq!(app.net().layers.len(), 5, "relu1 is still there");
    assert_eq!(app.net().layers[2].kind.type_name(), "avgpool", "and the later edit too");
    assert_eq!(app.alert(), Some("delete relu1: not done, the network changed meanwhile"));
}

#[test]
fn a_delete_that_does_not_fit_says_why_and_changes_nothing() {
    let mut app = testing::numpy_app();
    let net = app.net().clone();
    app.update(Action::Select(Src::Layer(0)));
    press(&mut app, &[KeyCode::Char('x')]);
    run_checks(&mut app);
    assert_eq!(app.alert(), Some("cannot delete conv1: cannot delete the only layer"));
    assert!(Arc::ptr_eq(app.net(), &net));
    // The input has no parameters; editing before the weights are in is refused politely.
    app.update(Action::Select(Src::Input));
    app.update(Action::Edit);
    assert!(app.popup().is_none() && app.message().unwrap().contains("no parameters"));
    let mut shapes_only = testing::alexnet_shapes();
    shapes_only.update(Action::Select(Src::Layer(0)));
    shapes_only.update(Action::Edit);
    assert!(shapes_only.message().unwrap().contains("still loading"));
}

#[test]
fn stale_panels_are_dimmed_until_the_pass_ends() {
    let mut app = testing::cifar_app();
    app.update(Action::Resize(120, 40));
    app.update(Action::Select(Src::Layer(2)));
    app.update(Action::Edit);
    run_checks(&mut app);
    set_value(&mut app, 2, "1");
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    // pool1 31×31×12 now: no old numbers of that shape; fc (1×1×10) keeps its old ones, dimmed.
    app.update(Action::Select(Src::Layer(3)));
    let a = crate::tui::layout::areas(&app, ratatui::layout::Rect::new(0, 0, 120, 40));
    let slice = a.slice.unwrap();
    let dimmed = |app: &Harness| {
        let term = testing::render(app, 120, 40, crate::tui::ui::draw);
        let buf = term.backend().buffer().clone();
        buf[(slice.x + slice.width / 2, slice.y + slice.height / 2)]
            .modifier
            .contains(ratatui::style::Modifier::DIM)
    };
    assert!(dimmed(&app), "stale numbers are dimmed");
    run_effects(&mut app);
    assert!(!dimmed(&app), "fresh numbers are not");
}

#[test]
fn reinitialized_layers_are_marked_in_the_list_and_the_shape_panel() {
    let mut app = testing::cifar_app();
    app.update(Action::Select(Src::Layer(0)));
    app.update(Action::Edit);
    set_value(&mut app, 0, "8");
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    let list = testing::text(&testing::render(&app, 44, 8, crate::tui::ui::layers::render));
    assert!(list.contains("layers (5) · ↺ re-initialized"), "{list}");
    let row = |name: &str| list.lines().find(|l| l.contains(name)).unwrap_or("").to_string();
    // Layers with weights carry • (they count in the network depth); re-initialised ones ↺.
    assert!(row("conv1 conv").contains("32×32×8 ↺ •"), "{list}");
    assert!(row("fc    fc").contains("1×1×10 ↺ •"), "{list}");
    assert!(!row("relu1 relu").contains('↺') && !row("relu1 relu").contains('•'), "{list}");
    let shape = testing::text(&testing::render(&app, 60, 24, crate::tui::ui::shape::render));
    assert!(shape.contains("↺ re-initialized: an edit changed the weight shape"), "{shape}");
}

#[test]
fn save_writes_a_spec_that_reopens_the_edited_network() {
    let mut app = testing::cifar_app();
    conv1_stride_2(&mut app);
    run_checks(&mut app);
    press(&mut app, &[KeyCode::Enter]);
    run_effects(&mut app);
    let dir = tempfile::tempdir().unwrap();
    press(&mut app, &[KeyCode::Char('w')]);
    assert_eq!(app.scopes(), vec![crate::tui::keymap::Scope::Prompt]);
    // A folder that does not exist: the error shows, the path and the network stay.
    let bad = dir.path().join("missing/net.toml");
    for _ in 0..40 {
        press(&mut app, &[KeyCode::Backspace]);
    }
    type_str(&mut app, bad.to_str().unwrap());
    press(&mut app, &[KeyCode::Enter]);
    run_effects(&mut app);
    let Some(Popup::Save(p)) = &app.popup() else { panic!("the prompt stays open") };
    assert!(p.error.as_deref().unwrap().contains("no such folder"), "{:?}", p.error);
    assert_eq!(p.path(), bad.to_str().unwrap());
    assert_eq!(app.shape(Src::Layer(0)), Shape3::new(16, 16, 12));
    // A good one.
    let good = dir.path().join("edited.toml");
    // C-u clears the path.
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    let Some(Popup::Save(p)) = &app.popup() else { panic!("the prompt stays open") };
    assert_eq!(p.path(), "");
    type_str(&mut app, good.to_str().unwrap());
    press(&mut app, &[KeyCode::Enter]);
    run_effects(&mut app);
    assert!(app.popup().is_none(), "{:?}", app.popup());
    assert!(app.message().unwrap().starts_with("saved "), "{:?}", app.message());
    let back = crate::model::load(good.to_str().unwrap(), crate::model::WeightMode::Full).unwrap();
    assert_eq!(analyze(&back).unwrap().layers, app.analysis().layers);
    let (x, _) = crate::model::image_input::load_input(&back, None, None).unwrap();
    let out = crate::nn::forward::forward(&back, x).unwrap();
    assert_eq!(
        out.output(3).floats(),
        app.volume(Src::Layer(3)).unwrap().iter().copied().collect::<Vec<_>>()
    );
}

#[test]
fn describe_names_what_changed() {
    assert_eq!(
        describe_params("conv1", "filters = 96\nstride = 4", "filters = 96\nstride = 2\npad = 1"),
        "conv1: stride 4 → 2, pad = 1"
    );
    assert_eq!(describe_params("c", "a = 1\nb = 2", "a = 1"), "c: b removed");
}

fn pnet_app() -> Harness {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/models/mtcnn_pnet.onnx");
    let opts = crate::model::LoadOptions { size: Some((48, 64)), ..Default::default() };
    let net = crate::model::load_with(path, crate::model::WeightMode::Full, &opts).unwrap();
    testing::computed(net)
}

#[test]
fn the_input_size_of_an_open_model_is_edited_live_and_undone() {
    let mut app = pnet_app();
    app.update(Action::Select(Src::Input));
    press(&mut app, &[KeyCode::Char('e')]);
    assert_eq!(field_text(&editor(&app).text), "size = [48, 64]");
    run_checks(&mut app);
    set_value(&mut app, 0, "[37, 53]");
    run_checks(&mut app);
    let p = preview(&app);
    assert_eq!((p.output, p.before), (Shape3::new(35, 51, 10), Some(Shape3::new(46, 62, 10))));
    press(&mut app, &[KeyCode::Enter]);
    assert!(app.popup().is_none());
    assert_eq!(app.sel(), Src::Input);
    // A new size makes the input again and runs the whole pass (a load, not a recompute).
    assert!(
        app.effects.iter().any(|e| matches!(e, Effect::Compute { task: Task::Load { .. }, .. }))
    );
    run_effects(&mut app);
    assert_eq!(app.input().unwrap().dims(), &[1, 3, 37, 53]);
    assert!(app.pass_is_current());
    // face_prob's map: (37 − 3 + 1) → pool ceil 18 → 16 → 14 rows, 26 → 24 → 22 cols.
    let last = app.net().layers.len() - 2;
    assert_eq!(app.volume(Src::Layer(last)).unwrap().dim(), (2, 14, 22));
    press(&mut app, &[KeyCode::Char('u')]);
    run_effects(&mut app);
    assert_eq!(app.input().unwrap().dims(), &[1, 3, 48, 64]);
}

#[test]
fn a_fixed_input_and_an_op_without_parameters_say_why_they_are_not_editable() {
    let mut app = testing::cifar_app();
    app.update(Action::Select(Src::Input));
    press(&mut app, &[KeyCode::Char('e')]);
    assert!(app.popup().is_none());
    assert!(app.message().unwrap().contains("fixed at 32×32×3"), "{:?}", app.message());
    let mut app = pnet_app();
    let soft = app.net().find("softmax4_1").unwrap();
    app.update(Action::Select(Src::Layer(soft)));
    press(&mut app, &[KeyCode::Char('e')]);
    assert!(app.popup().is_none());
    let m = app.message().unwrap();
    assert!(m.starts_with("softmax4_1: a softmax layer has no parameters to edit"), "{m}");
}
