//! Class maps of the default model on the cat against onnxruntime references
//! (tests/data/classmap, made by tools/classmap/make_refs.py with onnxruntime alone): CAM from
//! its last conv volume and fc weights, Grad-CAM's α_k against finite differences of the logit
//! through the cut graph, occlusion against onnxruntime on the same occluded inputs.

use convscope::engine::classmap::{cam, gradcam, occlusion};
use convscope::model::onnx::load_onnx;
use convscope::nn::analysis::analyze;
use convscope::nn::forward::{Kept, forward, forward_from};
use convscope::nn::{Network, Src, Tensor};
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::ReadNpyExt;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn npy(name: &str) -> ArrayD<f32> {
    let f = std::fs::File::open(root().join("tests/data/classmap").join(name)).unwrap();
    ArrayD::<f32>::read_npy(f).unwrap()
}

fn cat_input(net: &Network) -> Tensor {
    let bytes = std::fs::read(root().join("tests/data/reference/effl0_chelsea_input.f32")).unwrap();
    let v = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    Tensor::f32(&net.input.dims, v)
}

/// max |ours − ref| / max |ref|.
fn normalised(ours: &[f32], reference: &[f32]) -> f32 {
    assert_eq!(ours.len(), reference.len());
    let e = ours.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    e / reference.iter().map(|b| b.abs()).fold(0.0, f32::max)
}

#[test]
fn cam_gradcam_and_occlusion_match_onnxruntime_on_the_default_model() {
    let net = load_onnx(&root().join("demo/models/efficientnet_lite0.onnx")).unwrap();
    let an = analyze(&net).unwrap();
    let acts = forward(&net, cat_input(&net)).unwrap();
    for class in [285, 281] {
        // CAM over the volume the head pools, with the fc row.
        let m = cam(&net, &an, &acts, class).unwrap();
        let want = npy(&format!("cam_{class}.npy"));
        let e = normalised(m.map.as_slice().unwrap(), want.as_slice().unwrap());
        eprintln!("class {class}: CAM normalised error {e:e}");
        assert!(e < 1e-4, "CAM of class {class}: {e}");
        // mean(M) + b is the logit (the CAM identity).
        let mean = m.map.mean().unwrap();
        assert!((mean + m.bias - m.logit).abs() < 1e-3 * m.logit.abs().max(1.0));

        // Grad-CAM at the middle tensor block9.out (14×14×112).
        let layer = net.find("block9.out").expect("the ONNX tensor name finds the layer");
        let g = gradcam(&net, &an, &acts, class, layer, &mut |_| true).unwrap().unwrap();
        let fd = npy(&format!("alpha_fd_{class}.npy"));
        let fd = fd.as_slice().unwrap();
        let e = normalised(&g.weights, fd);
        let max = fd.iter().map(|v| v.abs()).fold(0.0, f32::max);
        let strong: Vec<usize> = (0..fd.len()).filter(|&k| fd[k].abs() > 0.5 * max).collect();
        let rel =
            strong.iter().map(|&k| ((g.weights[k] - fd[k]) / fd[k]).abs()).fold(0.0, f32::max);
        eprintln!(
            "class {class}: Grad-CAM α normalised error {e:e}, worst relative over {} strong channels {rel:e}",
            strong.len()
        );
        assert!(e < 1e-2 && rel < 1e-2, "α of class {class}: {e}, {rel}");
    }
    // Occlusion, P = 32 on a stride-64 grid: cells (i, j) are the reference's (4i, 4j) (S = 16).
    let m = occlusion(&net, &an, &acts, 285, 32, 64, 0.0, &mut |_, _| true).unwrap().unwrap();
    let want = npy("occlusion_285.npy");
    assert_eq!(m.map.dim(), (4, 4));
    let mut worst = 0.0f32;
    for i in 0..4 {
        for j in 0..4 {
            worst = worst.max((m.map[[i, j]] - want[[4 * i, 4 * j]]).abs());
        }
    }
    eprintln!("occlusion: worst |Δp| {worst:e} over 16 cells");
    assert!(worst < 1e-4, "occlusion differs from onnxruntime by {worst}");
}

#[test]
fn gradcam_alpha_matches_convscopes_own_finite_differences() {
    // The same check with no reference file: shift channel k of the layer by ±ε and recompute
    // the rest of the network from the layer on.
    let net = load_onnx(&root().join("demo/models/efficientnet_lite0.onnx")).unwrap();
    let an = analyze(&net).unwrap();
    let acts = forward(&net, cat_input(&net)).unwrap();
    let layer = net.find(&std::env::var("FD_LAYER").unwrap_or("block12.add".into())).unwrap();
    let g = gradcam(&net, &an, &acts, 285, layer, &mut |_| true).unwrap().unwrap();
    let (_, h, w) = g.volume.as_ref().unwrap().dim();
    let mut order: Vec<usize> = (0..g.weights.len()).collect();
    order.sort_by(|&a, &b| g.weights[b].abs().total_cmp(&g.weights[a].abs()));
    let logit = |out: &convscope::nn::forward::Activations| out.last().unwrap().floats()[285];
    let eps = 1e-2f32;
    for &k in order.iter().take(std::env::var("FD_N").map_or(3, |v| v.parse().unwrap())) {
        let shifted = |s: f32| {
            let mut a = acts.output(layer).to_f32().to_owned();
            a.index_axis_mut(ndarray::Axis(1), k).mapv_inplace(|v| v + s);
            let mut prev = acts.kept(layer).to_vec();
            prev.push(Kept::from(Tensor::F32(
                a.into_shape_with_order(IxDyn(&an.layers[layer].dims)).unwrap().into_shared(),
            )));
            let out = forward_from(&net, &an, acts.input.clone(), &prev, layer + 1, &mut |_| true)
                .unwrap()
                .unwrap();
            logit(&out)
        };
        let fd = (shifted(eps) - shifted(-eps)) / (2.0 * eps * (h * w) as f32);
        let rel = ((g.weights[k] - fd) / fd).abs();
        eprintln!(
            "{}: channel {k}: α {} vs finite difference {fd} ({rel:e})",
            net.layers[layer].name, g.weights[k]
        );
        assert!(rel < 1e-2, "channel {k}: α {} vs {fd}", g.weights[k]);
    }
    assert_eq!(Src::Layer(layer), Src::Layer(g.layer.unwrap()));
}

#[test]
fn the_cat_map_lies_on_the_cat_pasted_into_another_photo() {
    use convscope::engine::classmap::overlay;
    use image::imageops::{FilterType, overlay as paste, resize};
    // The cat, 220 px square, pasted at (x 40, y 260) into the 512 × 512 coffee photo: the box
    // is known by construction.
    let open = |n: &str| image::open(root().join("demo/images").join(n)).unwrap().to_rgb8();
    let mut scene = resize(&open("coffee.png"), 512, 512, FilterType::Triangle);
    let cat = open("chelsea.png");
    let s = cat.width().min(cat.height());
    let cat = image::imageops::crop_imm(&cat, (cat.width() - s) / 2, (cat.height() - s) / 2, s, s)
        .to_image();
    paste(&mut scene, &resize(&cat, 220, 220, FilterType::Triangle), 40, 260);
    let net = load_onnx(&root().join("demo/models/efficientnet_lite0.onnx")).unwrap();
    let an = analyze(&net).unwrap();
    let (x, _) = convscope::model::image_input::input_from_photo(
        &net,
        &image::DynamicImage::ImageRgb8(scene),
        std::path::Path::new("scene.png"),
    );
    let acts = forward(&net, x).unwrap();
    let layer = net.find("head_relu6").unwrap();
    let maps = [
        cam(&net, &an, &acts, 285).unwrap(),
        gradcam(&net, &an, &acts, 285, layer, &mut |_| true).unwrap().unwrap(),
    ];
    // The box in the 224 × 224 input: × 224/512.
    let f = 224.0 / 512.0;
    let (y0, y1, x0, x1) =
        ((260.0 * f) as usize, (480.0 * f) as usize, (40.0 * f) as usize, (260.0 * f) as usize);
    let share = ((y1 - y0) * (x1 - x0)) as f32 / (224.0 * 224.0);
    for m in &maps {
        let heat = overlay::heat(&overlay::resample(m, 224, 224, (224, 224)));
        let inside: f32 = heat.slice(ndarray::s![y0..y1, x0..x1]).sum();
        let mass = inside / heat.sum();
        eprintln!(
            "{:?}: mass inside the cat's box {mass:.3}, its share of the area {share:.3}",
            m.method
        );
        assert!(mass > 2.0 * share, "{:?}: {mass} vs {share}", m.method);
    }
}
