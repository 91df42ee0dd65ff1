//! What drives a channel, across a folder of photos: every photo runs through the network, and
//! for each channel of the chosen layers the photos (and positions) of its strongest
//! activations are kept: each photo contributes its channel maximum, the `k` largest win.
//! The result is cached beside the photos ([`cache`]); the explorer's `p` view crops each hit
//! to its neuron's receptive field ([`patches`]).

pub mod cache;
pub mod files;
pub mod patches;
#[cfg(test)]
mod tests;

use crate::nn::analysis::Analysis;
use crate::nn::forward::forward;
use crate::nn::{Network, Src};
use files::Photo;
use std::path::{Path, PathBuf};

/// One strong activation: photo `image` (an index into the scan's photos) at `(r, c)`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hit {
    pub image: u32,
    pub r: u32,
    pub c: u32,
    pub value: f32,
}

/// The top hits of every channel of one layer.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LayerScan {
    pub layer: String,
    /// `[H, W, D]`.
    pub shape: [usize; 3],
    /// `top[d]`: the best hits of channel d, largest first.
    pub top: Vec<Vec<Hit>>,
}

impl LayerScan {
    fn new(layer: String, shape: [usize; 3]) -> Self {
        LayerScan { layer, shape, top: vec![Vec::new(); shape[2]] }
    }

    /// Keep `h` among channel d's `k` best.
    fn offer(&mut self, d: usize, h: Hit, k: usize) {
        let list = &mut self.top[d];
        if list.len() == k && list.last().is_some_and(|l| l.value >= h.value) {
            return;
        }
        let at = list.partition_point(|x| x.value >= h.value);
        list.insert(at, h);
        list.truncate(k);
    }
}

/// A finished scan.
#[derive(Clone, Debug)]
pub struct Scan {
    pub dir: PathBuf,
    pub photos: Vec<Photo>,
    /// Per scanned layer index.
    pub layers: Vec<(usize, LayerScan)>,
    pub k: usize,
    /// Photos that could not be read, with why.
    pub skipped: Vec<String>,
    /// Whether every layer came from the cache.
    pub cached: bool,
    /// Cache files written, or why not.
    pub cache_note: Option<String>,
}

impl Scan {
    pub fn layer(&self, i: usize) -> Option<&LayerScan> {
        self.layers.iter().find(|(j, _)| *j == i).map(|(_, s)| s)
    }
}

/// A name for the model in cache paths: FNV-1a of its file (or its name, for a built-in
/// network), its input dims and its layer names.
pub fn model_key(net: &Network) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut eat = |b: &[u8]| {
        for &x in b {
            h ^= u64::from(x);
            h = h.wrapping_mul(0x100000001b3);
        }
    };
    match net.source.as_ref().and_then(|p| std::fs::read(p).ok()) {
        Some(bytes) => eat(&bytes),
        None => eat(net.name.as_bytes()),
    }
    eat(format!("{:?}", net.input.dims).as_bytes());
    for l in &net.layers {
        eat(l.name.as_bytes());
    }
    format!("{h:016x}")
}

/// The layers worth scanning: computed volumes (batch 1, channels as depth).
pub fn volume_layers(analysis: &Analysis) -> Vec<usize> {
    (0..analysis.layers.len())
        .filter(|&i| analysis.layers[i].computed() && analysis.layers[i].view.is_volume())
        .collect()
}

/// Scan `dir` for `layers`, keeping `k` hits per channel. `progress(done, total)` is called
/// after each photo; `false` cancels (`Ok(None)`). Layers whose cache matches are not
/// recomputed; when every one matches no photo is run at all.
///
/// # Errors
/// The folder cannot be read, holds no photos, or a pass fails.
pub fn scan(
    net: &Network,
    analysis: &Analysis,
    dir: &Path,
    layers: &[usize],
    k: usize,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Option<Scan>, String> {
    let photos = files::photos(dir)?;
    if photos.is_empty() {
        return Err(format!("{}: no PNG or JPEG photos in it", dir.display()));
    }
    let model = model_key(net);
    let key = |i: usize| cache::Entry {
        model: model.clone(),
        input: net.input.dims.clone(),
        k,
        photos: photos.clone(),
        scan: LayerScan::new(net.layers[i].name.clone(), shape_of(analysis, i)),
    };
    let mut done: Vec<(usize, LayerScan)> = Vec::new();
    let mut todo: Vec<(usize, LayerScan)> = Vec::new();
    for &i in layers {
        match cache::read(dir, &key(i), i) {
            Some(s) => done.push((i, s)),
            None => todo.push((i, key(i).scan)),
        }
    }
    let cached = todo.is_empty();
    let mut skipped = Vec::new();
    if !todo.is_empty() {
        for (n, p) in photos.iter().enumerate() {
            let path = dir.join(&p.path);
            match crate::model::image_input::open_image(&path) {
                Ok(img) => {
                    let (x, _) = crate::model::image_input::input_from_photo(net, &img, &path);
                    let acts = forward(net, x).map_err(|e| e.to_string())?;
                    for (i, s) in &mut todo {
                        let v = analysis.layers[*i].view.apply(acts.get(Src::Layer(*i)));
                        record(s, &v.view(), n as u32, k);
                    }
                }
                Err(e) => skipped.push(e.to_string()),
            }
            if !progress(n + 1, photos.len()) {
                return Ok(None);
            }
        }
    }
    let mut cache_note = None;
    for (i, s) in &todo {
        let mut e = key(*i);
        e.scan = s.clone();
        if let Err(why) = cache::write(dir, &e, *i) {
            cache_note = Some(format!("no cache: {why}"));
        }
    }
    if cache_note.is_none() && !todo.is_empty() {
        cache_note = Some(format!("cached in {}", dir.join(cache::DIR).join(&model).display()));
    }
    done.extend(todo);
    done.sort_by_key(|(i, _)| *i);
    Ok(Some(Scan { dir: dir.to_path_buf(), photos, layers: done, k, skipped, cached, cache_note }))
}

fn shape_of(analysis: &Analysis, i: usize) -> [usize; 3] {
    let s = analysis.layers[i].output;
    [s.h, s.w, s.d]
}

/// Offer each channel's maximum (first position on ties) of one photo's `(D, H, W)` volume.
fn record(s: &mut LayerScan, v: &ndarray::ArrayView3<f32>, image: u32, k: usize) {
    for (d, plane) in v.outer_iter().enumerate() {
        let mut best: Option<(usize, usize, f32)> = None;
        for ((r, c), &x) in plane.indexed_iter() {
            if x.is_finite() && best.is_none_or(|(_, _, b)| x > b) {
                best = Some((r, c, x));
            }
        }
        if let Some((r, c, value)) = best {
            s.offer(d, Hit { image, r: r as u32, c: c as u32, value }, k);
        }
    }
}
