//! Saving a network as a spec file that reopens exactly the same network: seeded and edge
//! weights are written as their `init`, every other tensor as an `.npy` beside the spec.
//! Every file is written to a temporary name and renamed; the model a network was loaded from is
//! never overwritten.

use super::error::{Kind, ModelError, Result};
use super::npy;
use super::spec::{BiasSpec, InputSpec, LayerSpec, Scale, Spec};
use super::to_spec::kind_spec;
use crate::nn::{Network, Origin, Src, Weights};
use crate::output::{Batch, same_file};
use std::path::{Path, PathBuf};

fn refuse(path: &Path, why: String) -> ModelError {
    ModelError::new(Kind::Write(why)).in_file(path.display())
}

/// The files a network was read from: its spec or model, and its weight files.
fn sources(net: &Network) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = net.source.iter().cloned().collect();
    for l in &net.layers {
        if let Origin::File(p) = &l.origin {
            v.push(p.clone());
        }
    }
    v
}

/// Write `net` as `path` (a `.toml`) plus its `.npy` tensors; returns the files written. All of
/// them are written, or none (see [`crate::output::Batch`]).
///
/// # Errors
/// `path` (or a tensor file beside it) is a file the network was read from, or a file cannot be
/// written; nothing is left behind then.
pub fn save_spec(net: &Network, path: &Path) -> Result<Vec<PathBuf>> {
    if path.extension().and_then(|e| e.to_str()) != Some("toml") {
        return Err(refuse(path, "a spec must end in .toml".into()));
    }
    let inputs = sources(net);
    let guard = |p: &Path| -> Result<()> {
        if inputs.iter().any(|src| same_file(src, p) || src == p) {
            let why = "is a file this network was loaded from; choose another name".into();
            return Err(refuse(p, why));
        }
        Ok(())
    };
    guard(path)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(refuse(path, format!("no such folder {}", dir.display())));
    }
    let stem = path.file_stem().map_or("net".into(), |s| s.to_string_lossy().to_string());
    let mut batch = Batch::default();
    let mut written = Vec::new();
    let mut tensor = |layer: &str,
                      what: &str,
                      a: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>|
     -> Result<String> {
        let file = format!("{stem}.{}.{what}.npy", safe(layer));
        let p = dir.join(&file);
        guard(&p)?;
        batch.add(&p, a)?;
        written.push(p);
        Ok(file)
    };
    let mut layers = Vec::with_capacity(net.layers.len());
    for (i, l) in net.layers.iter().enumerate() {
        let mut s: LayerSpec = kind_spec(&l.kind);
        s.name = Some(l.name.clone());
        let implicit = if i == 0 { Src::Input } else { Src::Layer(i - 1) };
        if l.inputs != [implicit] {
            s.inputs = Some(l.inputs.iter().map(|&x| net.src_name(x).to_string()).collect());
        }
        if l.strict {
            s.strict = Some(true);
        }
        match (&l.weights, &l.origin) {
            (Weights::Conv { .. } | Weights::Fc { .. }, Origin::Random { seed }) => {
                s.init = Some("random".into());
                s.seed = Some(*seed);
            }
            (Weights::Conv { .. }, Origin::Edges) => s.init = Some("edges".into()),
            // Re-initialised weights are regenerated from their seed: no large `.npy` to write.
            (Weights::Conv { .. } | Weights::Fc { .. }, Origin::Reinitialized { seed, edges }) => {
                s.init = Some(if *edges { "edges" } else { "random" }.into());
                s.seed = Some(*seed);
            }
            (Weights::Conv { w, b }, _) => {
                s.weights = Some(tensor(&l.name, "w", &|p| npy::write_to(p, w))?);
                if let Some(b) = b {
                    s.bias = Some(BiasSpec::File(tensor(&l.name, "b", &|p| npy::write_to(p, b))?));
                }
            }
            (Weights::Fc { w, b }, _) => {
                s.weights = Some(tensor(&l.name, "w", &|p| npy::write_to(p, w))?);
                s.bias = Some(match b {
                    Some(b) => BiasSpec::File(tensor(&l.name, "b", &|p| npy::write_to(p, b))?),
                    None => BiasSpec::On(false),
                });
            }
            (Weights::Prelu { slope }, _) => {
                s.weights = Some(tensor(&l.name, "slope", &|p| npy::write_to(p, slope))?);
            }
            (Weights::BatchNorm { gamma, beta, mean, var }, _) => {
                s.gamma = Some(tensor(&l.name, "gamma", &|p| npy::write_to(p, gamma))?);
                s.shift = Some(tensor(&l.name, "beta", &|p| npy::write_to(p, beta))?);
                s.mean = Some(tensor(&l.name, "mean", &|p| npy::write_to(p, mean))?);
                s.var = Some(tensor(&l.name, "var", &|p| npy::write_to(p, var))?);
            }
            (Weights::None, _) => {}
        }
        layers.push(s);
    }
    let labels = match &net.labels {
        Some(lines) => {
            let file = format!("{stem}.labels.txt");
            let p = dir.join(&file);
            guard(&p)?;
            batch.add(&p, |w| w.write_all(lines.join("\n").as_bytes()))?;
            written.push(p);
            Some(file)
        }
        None => None,
    };
    let n = &net.input.normalize;
    let spec = Spec {
        name: Some(net.name.clone()),
        description: Some(format!("saved by convscope from {}", net.name)),
        strict: false,
        seed: None,
        input: InputSpec {
            shape: net.input.shape.as_array(),
            scale: Some(Scale::Factor(n.scale)),
            mean: Some(n.mean.to_vec()),
            std: Some(n.std.to_vec()),
            image: net.input.default_image.as_ref().map(|p| absolute(p).display().to_string()),
            labels,
        },
        layers,
    };
    let text = toml::to_string(&spec).map_err(|e| refuse(path, e.to_string()))?;
    batch.add(path, |w| w.write_all(text.as_bytes()))?;
    written.push(path.to_path_buf());
    batch.commit()?;
    Ok(written)
}

fn safe(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{WeightMode, edit, load};
    use crate::nn::analysis::analyze;
    use crate::nn::forward::forward;

    #[test]
    fn an_edited_network_reopens_identical() {
        let net = load("cifar", WeightMode::Full).unwrap();
        let e = edit::edit_params(&net, 0, "filters = 8\nsize = 5\nstride = 1\npad = 2\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edited.toml");
        let files = save_spec(&e.net, &path).unwrap();
        // conv1 and fc were re-initialised from seeds: the spec regenerates them, no .npy needed.
        assert_eq!(files, vec![path.clone()]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("init = \"edges\""), "{text}");
        let back = load(path.to_str().unwrap(), WeightMode::Full).unwrap();
        assert_eq!(analyze(&back).unwrap().layers, e.analysis.layers);
        let (x, _) = crate::model::image_input::load_input(&back, None, None).unwrap();
        let a = forward(&e.net, x.clone()).unwrap();
        let b = forward(&back, x).unwrap();
        for (i, (u, v)) in a.outputs().zip(b.outputs()).enumerate() {
            assert_eq!(u, v, "layer {i}");
        }
    }

    #[test]
    fn weights_from_files_are_written_beside_the_spec() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/conv_ref/grouped_stride2/spec.toml");
        let net = load(src.to_str().unwrap(), WeightMode::Full).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("copy.toml");
        let files = save_spec(&net, &path).unwrap();
        assert!(files.iter().any(|f| f.ends_with("copy.conv.w.npy")), "{files:?}");
        assert!(files.iter().any(|f| f.ends_with("copy.conv.b.npy")), "{files:?}");
        let back = load(path.to_str().unwrap(), WeightMode::Full).unwrap();
        assert_eq!(back.layers[0].weights, net.layers[0].weights);
    }

    #[test]
    fn never_overwrites_its_source_and_reports_bad_folders() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("net.toml");
        std::fs::write(&src, crate::model::presets::get("cs231n-demo").unwrap()).unwrap();
        let net = load(src.to_str().unwrap(), WeightMode::Full).unwrap();
        let e = save_spec(&net, &src).unwrap_err().to_string();
        assert!(e.contains("loaded from"), "{e}");
        let e = save_spec(&net, &dir.path().join("nope/x.toml")).unwrap_err().to_string();
        assert!(e.contains("no such folder"), "{e}");
    }

    /// A save whose last file cannot be written leaves none of its files behind.
    #[test]
    fn a_save_that_fails_half_way_leaves_nothing() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/conv_ref/grouped_stride2/spec.toml");
        let net = load(src.to_str().unwrap(), WeightMode::Full).unwrap();
        let dir = tempfile::tempdir().unwrap();
        // The spec's own name is taken by a folder: the tensors are written first, then it fails.
        let path = dir.path().join("copy.toml");
        std::fs::create_dir(&path).unwrap();
        let e = save_spec(&net, &path).unwrap_err();
        assert_eq!(e.kind, Kind::NotAFile { what: "a directory" });
        let left: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("copy.toml")], "no orphan .npy files");
    }
}
