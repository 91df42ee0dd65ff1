//! Whole forward passes on the network rows: `cargo bench --features criterion --bench
//! nets` (set `RAYON_NUM_THREADS=1` for single-thread figures). Each net loads from the same file
//! `convscope bench` and `benches/compare_onnxruntime.py` use; the single-conv rows and the
//! cs231n example are in `benches/conv.rs` and also run here as one-layer nets, so every row of
//! the comparison table has a criterion bench.

use convscope::model::{self, WeightMode, image_input};
use convscope::nn::analysis::analyze;
use convscope::nn::forward::forward_from;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

/// (bench name, model path relative to the crate root, input size of an open-size model).
type Net = (&'static str, &'static str, Option<(usize, usize)>);
const NETS: [Net; 8] = [
    ("alexnet_conv1", "demo/nets/bench/alexnet-conv1.toml", None),
    ("conv3x3_128to256_56", "demo/nets/bench/conv3x3-128-256.toml", None),
    ("conv1x1_256to64_56", "demo/nets/bench/conv1x1-256-64.toml", None),
    ("alexnet_features_224", "demo/nets/bench/alexnet-features.toml", None),
    ("vgg16_features_224", "demo/nets/bench/vgg16-features.toml", None),
    ("efficientnet_lite0_224", "demo/models/efficientnet_lite0.onnx", None),
    ("cs231n_11x11x4_2f5_s2", "demo/nets/bench/cs231n.toml", None),
    // A DBNet-shaped OCR detector: Resize pyramid, ConvTranspose head (see
    // benches/compare_onnxruntime.py, which writes it).
    ("ocr_det_640", "demo/nets/bench/ocr-det.onnx", Some((640, 640))),
];

fn bench_nets(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut group = c.benchmark_group("forward");
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    for (name, file, size) in NETS {
        let path = format!("{root}/{file}");
        let opts = model::LoadOptions { size, ..Default::default() };
        let net = model::load_with(&path, WeightMode::Full, &opts).expect("bench model loads");
        let analysis = analyze(&net).expect("bench model is valid");
        let (x, _) = image_input::load_input(&net, None, None).expect("default input");
        group.bench_function(name, |b| {
            b.iter(|| {
                let acts = forward_from(&net, &analysis, x.clone(), &[], 0, &mut |_| true);
                black_box(acts.expect("forward runs"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_nets);
criterion_main!(benches);
