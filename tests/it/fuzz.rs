//! Mutation fuzzing of every loader on real files: the demo ONNX models, the preset specs, a
//! `.npy`, a PNG and a JPEG get bit flips, truncations, insertions, and hostile numbers written
//! into dims, pads, strides, kernel shapes and TOML values. Every loader must answer `Ok` or a
//! clean `Err`, never panic, and stay inside a memory budget of 1 GiB.
//!
//! 1,000 cases per loader by default; `PROPTEST_CASES=100000 cargo test --release --test it fuzz`
//! runs a long campaign (a failure prints its minimal input and is saved under
//! `proptest-regressions/`).

use convscope::model::onnx::proto::ModelProto;
use convscope::model::{WeightMode, from_spec, image_input, npy, onnx, spec};
use convscope::nn::analysis::analyze;
use convscope::nn::forward::forward;
use proptest::prelude::*;
use prost::Message;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::OnceLock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    ProptestConfig { cases: n, failure_persistence: None, ..ProptestConfig::default() }
}

/// Values a hostile file writes into a size.
const HOSTILE: [i64; 12] = [
    0,
    -1,
    -2,
    -(1 << 31),
    1 << 24,
    (1 << 24) + 1,
    1 << 31,
    1 << 40,
    1 << 62,
    i64::MAX,
    i64::MIN,
    65537,
];

/// A byte-level mutation.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Smash(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1..12usize).prop_map(|(i, n)| Mutation::Smash(i, n)),
    ]
}

fn apply(bytes: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for m in muts {
        if b.is_empty() {
            break;
        }
        match m {
            Mutation::Flip(i, x) => {
                let n = b.len();
                b[i % n] ^= x;
            }
            Mutation::Truncate(i) => b.truncate(i % b.len()),
            Mutation::Insert(i, v) => {
                let at = i % b.len();
                b.splice(at..at, v.iter().copied());
            }
            Mutation::Smash(i, n) => {
                let at = i % b.len();
                let end = (at + n).min(b.len());
                b[at..end].fill(0xff);
            }
        }
    }
    b
}

/// Run `f` and require that it neither panics nor fails to return.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> Result<(), TestCaseError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => Ok(()),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(TestCaseError::fail(format!("{what} panicked: {msg}")))
        }
    }
}

fn budget() {
    static SET: OnceLock<()> = OnceLock::new();
    SET.get_or_init(|| convscope::nn::budget::set(1 << 30));
}

fn pnet() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| std::fs::read(root().join("demo/models/mtcnn_pnet.onnx")).unwrap())
}

fn effnet() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| std::fs::read(root().join("demo/models/efficientnet_lite0.onnx")).unwrap())
}

/// Import an ONNX model and, when it imports and is small, run it on its default input.
fn onnx_all_the_way(bytes: &[u8], run: bool) {
    if let Ok(net) = onnx::load_onnx_bytes(bytes, "fuzz.onnx")
        && let Ok(a) = analyze(&net)
        && run
        && a.pass_bytes() < 64 << 20
        && let Ok((x, _)) = image_input::load_input(&net, None, None)
    {
        let _ = forward(&net, x);
    }
}

/// A structured mutation of an ONNX model: a hostile number in an attribute list, an
/// initializer's dims or the input's dims.
#[derive(Clone, Debug)]
struct Structured {
    node: usize,
    slot: usize,
    value: usize,
    target: u8,
}

fn structured() -> impl Strategy<Value = Structured> {
    (any::<usize>(), any::<usize>(), 0..HOSTILE.len(), 0..3u8)
        .prop_map(|(node, slot, value, target)| Structured { node, slot, value, target })
}

fn mutate_model(bytes: &[u8], m: &Structured) -> Vec<u8> {
    use convscope::model::onnx::proto::tensor_shape_proto::dimension::Value as Dim;
    use convscope::model::onnx::proto::type_proto::Value as Type;
    let mut model = ModelProto::decode(bytes).expect("a valid demo model");
    let v = HOSTILE[m.value];
    let g = model.graph.as_mut().expect("a graph");
    match m.target {
        0 if !g.node.is_empty() => {
            let n = m.node % g.node.len();
            let attrs = &mut g.node[n].attribute;
            if !attrs.is_empty() {
                let a = m.slot % attrs.len();
                let at = &mut attrs[a];
                if at.ints.is_empty() {
                    at.i = Some(v);
                } else {
                    let k = m.slot % at.ints.len();
                    at.ints[k] = v;
                }
            }
        }
        1 if !g.initializer.is_empty() => {
            let k = m.node % g.initializer.len();
            let t = &mut g.initializer[k];
            if !t.dims.is_empty() {
                let k = m.slot % t.dims.len();
                t.dims[k] = v;
            }
        }
        _ => {
            if let Some(Type::TensorType(t)) =
                g.input.first_mut().and_then(|i| i.r#type.as_mut()).and_then(|t| t.value.as_mut())
                && let Some(s) = t.shape.as_mut()
                && !s.dim.is_empty()
            {
                let k = m.slot % s.dim.len();
                s.dim[k].value = Some(Dim::DimValue(v));
            }
        }
    }
    model.encode_to_vec()
}

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn the_onnx_importer_never_panics_on_mutated_bytes(
        muts in proptest::collection::vec(mutation(), 1..4)
    ) {
        budget();
        let bytes = apply(pnet(), &muts);
        no_panic("onnx import + pass", || onnx_all_the_way(&bytes, true))?;
    }

    #[test]
    fn the_onnx_importer_never_panics_on_hostile_numbers(
        ms in proptest::collection::vec(structured(), 1..3)
    ) {
        budget();
        let mut bytes = pnet().to_vec();
        for m in &ms {
            bytes = mutate_model(&bytes, m);
        }
        no_panic("onnx import + pass", || onnx_all_the_way(&bytes, true))?;
    }
}

proptest! {
    #![proptest_config(cases(100))]

    /// The 9 MB default model: import only (a pass of each mutant would take minutes).
    #[test]
    fn the_default_model_never_panics_when_mutated(
        muts in proptest::collection::vec(mutation(), 1..3),
        ms in proptest::collection::vec(structured(), 0..2),
    ) {
        budget();
        let mut bytes = effnet().to_vec();
        for m in &ms {
            bytes = mutate_model(&bytes, m);
        }
        let bytes = apply(&bytes, &muts);
        no_panic("onnx import", || onnx_all_the_way(&bytes, false))?;
    }
}

/// A TOML mutation: a hostile number in place of one that is there, or a line dropped,
/// doubled or garbled.
#[derive(Clone, Debug)]
enum TomlMutation {
    Number(usize, usize),
    Drop(usize),
    Double(usize),
    Bytes(Mutation),
}

fn toml_mutation() -> impl Strategy<Value = TomlMutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..HOSTILE.len()).prop_map(|(i, v)| TomlMutation::Number(i, v)),
        1 => any::<usize>().prop_map(TomlMutation::Drop),
        1 => any::<usize>().prop_map(TomlMutation::Double),
        1 => mutation().prop_map(TomlMutation::Bytes),
    ]
}

fn mutate_toml(text: &str, m: &TomlMutation) -> String {
    let lines: Vec<&str> = text.lines().collect();
    match m {
        TomlMutation::Number(i, v) => {
            let spans: Vec<(usize, usize)> = {
                let b = text.as_bytes();
                let mut out = Vec::new();
                let mut k = 0;
                while k < b.len() {
                    if b[k].is_ascii_digit() {
                        let s = k;
                        while k < b.len() && b[k].is_ascii_digit() {
                            k += 1;
                        }
                        out.push((s, k));
                    } else {
                        k += 1;
                    }
                }
                out
            };
            if spans.is_empty() {
                return text.to_string();
            }
            let (s, e) = spans[i % spans.len()];
            format!("{}{}{}", &text[..s], HOSTILE[*v], &text[e..])
        }
        TomlMutation::Drop(i) if !lines.is_empty() => {
            let k = i % lines.len();
            lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n")
        }
        TomlMutation::Double(i) if !lines.is_empty() => {
            let k = i % lines.len();
            let mut v = lines.clone();
            v.insert(k, lines[k]);
            v.join("\n")
        }
        TomlMutation::Bytes(b) => {
            String::from_utf8_lossy(&apply(text.as_bytes(), std::slice::from_ref(b))).into_owned()
        }
        _ => text.to_string(),
    }
}

fn spec_all_the_way(text: &str, small: bool) {
    let Ok(s) = spec::parse(text, "fuzz.toml") else { return };
    let mode = if small { WeightMode::Full } else { WeightMode::ShapesOnly };
    if let Ok(net) = from_spec::build(&s, "fuzz", None, mode)
        && small
        && let Ok(a) = analyze(&net)
        && a.pass_bytes() < 64 << 20
        && let Ok((x, _)) = image_input::load_input(&net, None, None)
    {
        let _ = forward(&net, x);
    }
}

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn the_spec_loader_never_panics(
        preset in 0..5usize,
        ms in proptest::collection::vec(toml_mutation(), 1..4),
    ) {
        budget();
        let (name, text) = convscope::model::presets::PRESETS[preset];
        let mut t = text.to_string();
        for m in &ms {
            t = mutate_toml(&t, m);
        }
        let small = !matches!(name, "alexnet" | "vgg16");
        no_panic("spec load + pass", || spec_all_the_way(&t, small))?;
    }

    #[test]
    fn the_npy_reader_never_panics(muts in proptest::collection::vec(mutation(), 1..4)) {
        budget();
        let good = std::fs::read(root().join("tests/data/conv_ref/stride2/w.npy")).unwrap();
        let bytes = apply(&good, &muts);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.npy");
        std::fs::write(&p, &bytes).unwrap();
        no_panic("npy", || {
            let _ = npy::read_f32::<ndarray::Ix4>(&p, "conv", "weights");
            let _ = npy::read_f32::<ndarray::Ix3>(&p, "input", "--input");
        })?;
    }

    #[test]
    fn the_image_decoder_never_panics(
        jpeg in any::<bool>(),
        muts in proptest::collection::vec(mutation(), 1..4),
    ) {
        budget();
        let good = if jpeg { small_jpeg() } else { small_png() };
        let bytes = apply(good, &muts);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(if jpeg { "x.jpg" } else { "x.png" });
        std::fs::write(&p, &bytes).unwrap();
        no_panic("image", || image_input::open_image(&p).map(|img| image_input::crop_resize(&img, 8, 8)))?;
    }
}

proptest! {
    #![proptest_config(cases(50))]

    /// The real photos, less often (each is a few hundred kilobytes).
    #[test]
    fn the_demo_photos_never_panic_when_mutated(
        which in 0..2usize,
        muts in proptest::collection::vec(mutation(), 1..3),
    ) {
        let file = ["demo/images/chelsea.png", "demo/images/rocket.jpg"][which];
        let good = std::fs::read(root().join(file)).unwrap();
        let bytes = apply(&good, &muts);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(file.rsplit('/').next().unwrap());
        std::fs::write(&p, &bytes).unwrap();
        no_panic("photo", || image_input::open_image(&p))?;
    }
}

fn small_png() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| encode(image::ImageFormat::Png))
}

fn small_jpeg() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| encode(image::ImageFormat::Jpeg))
}

fn encode(format: image::ImageFormat) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(24, 16, |x, y| image::Rgb([(x * 10) as u8, (y * 15) as u8, 128]));
    let mut buf = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut buf, format).unwrap();
    buf.into_inner()
}
