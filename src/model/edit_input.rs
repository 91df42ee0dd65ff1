//! Live edit of the input size of a model whose H and W are open (fully convolutional
//! detectors, P-Net): the model is imported again at the new size, so every shape, every folded
//! `Shape` and every Resize size follows, exactly as `--size HxW` would have made it.

use super::edit::Edited;
use super::error::{Kind, ModelError, Result};
use super::{LoadOptions, WeightMode};
use crate::nn::analysis::analyze;
use crate::nn::{Network, budget};
use toml::Value;

/// The largest side the editor accepts (the memory budget then checks the whole pass).
pub const MAX_SIDE: i64 = 16_384;

/// Where the header says the size came from after an edit.
pub const FROM_EDITOR: &str = "the editor (e on the input)";

/// The input editor's text, when the input size can be edited.
pub fn input_text(net: &Network) -> Option<String> {
    (net.input.open_size && onnx_source(net).is_some())
        .then(|| format!("size = [{}, {}]\n", net.input.shape.h, net.input.shape.w))
}

/// Why the input of `net` cannot be edited, in one line.
pub fn why_not(net: &Network) -> String {
    if net.input.open_size {
        "the input size can be edited only for a model read from an .onnx file".into()
    } else {
        format!(
            "the input has no parameters: its size is fixed at {} by the {}",
            net.input.describe(),
            if net.is_model() { "model" } else { "spec" }
        )
    }
}

fn onnx_source(net: &Network) -> Option<&std::path::Path> {
    net.source.as_deref().filter(|p| p.extension().is_some_and(|e| e == "onnx"))
}

/// Import `net`'s model again with the size in `text` (`size = [H, W]`, `size = N` or
/// `size = "HxW"`).
///
/// # Errors
/// A fixed-size input, a bad size (naming the value), a model file that no longer loads, or a
/// pass over the memory budget.
pub fn resize_input(net: &Network, text: &str) -> Result<Edited> {
    let at = |kind: Kind| ModelError::layer("input", kind);
    let Some(path) = onnx_source(net).filter(|_| net.input.open_size) else {
        return Err(at(Kind::Onnx(why_not(net))));
    };
    let table: toml::Table =
        text.parse().map_err(|e: toml::de::Error| super::spec::toml_error(&e, text))?;
    if let Some(key) = table.keys().find(|k| *k != "size") {
        return Err(at(Kind::KeyNotForType { key: key.clone(), kind: "input".into() }));
    }
    let v = table.get("size").ok_or_else(|| at(Kind::Missing { key: "size".into() }))?;
    let (h, w) = size(v).map_err(at)?;
    let opts = LoadOptions { size: Some((h, w)), photo: None, npy: None };
    let mut new = super::load_with(&path.to_string_lossy(), WeightMode::Full, &opts)?;
    new.input.size_from = Some(FROM_EDITOR.into());
    let analysis = analyze(&new)?;
    let old = analyze(net)?;
    // The old analysis of each layer of the new network, matched by name (once: the OCR models
    // have over 1,000 layers).
    let by_name: std::collections::HashMap<&str, usize> =
        net.layers.iter().enumerate().map(|(k, l)| (l.name.as_str(), k)).collect();
    let before = |name: &str| by_name.get(name).map(|&k| &old.layers[k]);
    // A layer that ran at the old size but cannot at the new one (P-Net's conv1 would hold more
    // than 2^31 values at 16384×16384) makes the size invalid, not the layer greyed.
    for (j, l) in new.layers.iter().enumerate() {
        let was = before(&l.name).map(|o| o.computed());
        if was == Some(true) && !analysis.layers[j].computed() {
            let why = match &analysis.layers[j].status {
                crate::nn::analysis::Status::NotComputable(why) => why.clone(),
                _ => String::new(),
            };
            return Err(ModelError::layer(&l.name, Kind::Onnx(format!("at {h}×{w}: {why}"))));
        }
    }
    budget::check(
        || format!("{}×{} input (weights and every volume)", h, w),
        analysis.pass_bytes(),
    )?;
    let changed = new
        .layers
        .iter()
        .enumerate()
        .filter_map(|(j, l)| {
            let was = before(&l.name).map(|o| o.output);
            let after = analysis.layers[j].output;
            (was != Some(after)).then_some((j, was, after))
        })
        .collect();
    Ok(Edited { net: new, analysis, target: 0, changed, reinitialized: Vec::new() })
}

fn size(v: &Value) -> std::result::Result<(usize, usize), Kind> {
    let bad = || Kind::Value {
        key: "size".into(),
        value: v.to_string(),
        rule: format!("[H, W], one number, or \"HxW\", each side from 1 to {MAX_SIDE}"),
    };
    let side = |x: i64| (1..=MAX_SIDE).contains(&x).then_some(x as usize);
    let (h, w) = match v {
        Value::Integer(n) => (*n, *n),
        Value::Array(a) if a.len() == 2 => {
            (a[0].as_integer().ok_or_else(bad)?, a[1].as_integer().ok_or_else(bad)?)
        }
        Value::String(s) => {
            let (a, b) = s.split_once(['x', 'X', '×']).ok_or_else(bad)?;
            (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?)
        }
        _ => return Err(bad()),
    };
    Ok((side(h).ok_or_else(bad)?, side(w).ok_or_else(bad)?))
}
