//! Class maps on small networks whose answers are known.

use super::*;
use crate::nn::analysis::analyze;
use crate::nn::forward::forward_volume;
use crate::nn::layer::{Layer, LayerKind, Origin, Weights};
use crate::nn::network::{InputSpec, Normalize};
use crate::nn::{Network, Shape3, Src, Volume};
use ndarray::{Array1, Array2};

fn layer(name: &str, kind: LayerKind, inputs: Vec<Src>, weights: Weights) -> Layer {
    Layer { name: name.into(), kind, inputs, weights, origin: Origin::None, strict: false }
}

fn net(shape: Shape3, layers: Vec<Layer>) -> Network {
    Network {
        name: "tiny".into(),
        input: InputSpec::volume(shape, Normalize::unit(), None),
        layers,
        labels: None,
        source: None,
        files: vec![],
        aliases: vec![],
        folded_nodes: 0,
    }
}

fn fc(w: Vec<f32>, outputs: usize, inputs: usize, b: Vec<f32>) -> Weights {
    Weights::Fc {
        w: Array2::from_shape_vec((outputs, inputs), w).unwrap().into_shared(),
        b: Some(Array1::from(b).into_shared()),
    }
}

#[test]
fn cam_is_the_fc_row_times_the_pooled_volume() {
    // x: 2×3×2 (H × W × D) → relu → global average pool → fc with 3 classes.
    let w = vec![1.0, -2.0, 0.5, 0.5, -1.0, 3.0];
    let b = vec![0.1, 0.2, 0.3];
    let n = net(
        Shape3::new(2, 3, 2),
        vec![
            layer("relu", LayerKind::Relu, vec![Src::Input], Weights::None),
            layer("gap", LayerKind::GlobalAvgPool, vec![Src::Layer(0)], Weights::None),
            layer(
                "fc",
                LayerKind::Fc { outputs: 3 },
                vec![Src::Layer(1)],
                fc(w.clone(), 3, 2, b.clone()),
            ),
        ],
    );
    let x = Volume::from_shape_fn((2, 2, 3), |(d, r, c)| {
        (d as f32 - 0.5) * (r as f32 * 3.0 + c as f32 - 2.0)
    });
    let an = analyze(&n).unwrap();
    let acts = forward_volume(&n, x.clone()).unwrap();
    for class in 0..3 {
        let m = cam(&n, &an, &acts, class).unwrap();
        assert_eq!(m.layer, Some(0), "CAM reads the volume the pool averages");
        for r in 0..2 {
            for c in 0..3 {
                // M_c[r, c] = Σ_k w[c, k]·A_k[r, c], with A = relu(x).
                let a = |k: usize| x[[k, r, c]].max(0.0);
                let want = w[class * 2] * a(0) + w[class * 2 + 1] * a(1);
                assert!((m.map[[r, c]] - want).abs() < 1e-6, "class {class} ({r}, {c})");
            }
        }
        // mean(M_c) + b_c is the logit.
        assert!((m.map.mean().unwrap() + b[class] - m.logit).abs() < 1e-5);
        let top = m.terms(1, 2, 1);
        assert_eq!(
            top[0].value().abs(),
            m.terms(1, 2, 2).iter().map(|t| t.value().abs()).fold(0.0, f32::max)
        );
    }
    assert!(matches!(cam(&n, &an, &acts, 3), Err(MapError::Class { class: 3, classes: 3 })));
}

#[test]
fn gradcam_at_the_pooled_volume_equals_cam_over_its_area() {
    // Through a GAP → fc head, ∂y_c/∂A_k = w_ck/(H·W) everywhere, so α_k = w_ck/(H·W).
    let w = vec![1.0, -2.0, 0.5, 0.5];
    let n = net(
        Shape3::new(2, 2, 2),
        vec![
            layer("relu", LayerKind::Relu, vec![Src::Input], Weights::None),
            layer("gap", LayerKind::GlobalAvgPool, vec![Src::Layer(0)], Weights::None),
            layer(
                "fc",
                LayerKind::Fc { outputs: 2 },
                vec![Src::Layer(1)],
                fc(w.clone(), 2, 2, vec![0.0, 0.0]),
            ),
            layer("sm", LayerKind::Softmax, vec![Src::Layer(2)], Weights::None),
        ],
    );
    let x = Volume::from_shape_fn((2, 2, 2), |(d, r, c)| {
        1.0 + d as f32 + 0.5 * r as f32 - 0.25 * c as f32
    });
    let an = analyze(&n).unwrap();
    let acts = forward_volume(&n, x).unwrap();
    let g = gradcam(&n, &an, &acts, 1, 0, &mut |_| true).unwrap().unwrap();
    assert_eq!(g.weights, vec![0.5 / 4.0, 0.5 / 4.0]);
    let c = cam(&n, &an, &acts, 1).unwrap();
    for (a, b) in g.map.iter().zip(c.map.iter()) {
        assert!((a * 4.0 - b).abs() < 1e-6);
    }
    // The head's softmax is skipped: the seed is the logit.
    assert_eq!(head(&n, &an).unwrap(), Head { logits: 2, classes: 2, softmax: true });
}

#[test]
fn occluding_the_only_pixel_that_matters_gives_the_full_drop() {
    // 4×4×1 input; logit 0 = 10·x[1, 1], logit 1 = 0. With x = 1 everywhere p_0 = σ(10); a patch
    // over (1, 1) makes both logits 0, so p_0 = ½.
    let mut w = vec![0.0; 2 * 16];
    w[4 + 1] = 10.0; // (H, W, D) flattening: (1·4 + 1)·1 + 0
    let n = net(
        Shape3::new(4, 4, 1),
        vec![layer(
            "fc",
            LayerKind::Fc { outputs: 2 },
            vec![Src::Input],
            fc(w, 2, 16, vec![0.0, 0.0]),
        )],
    );
    let an = analyze(&n).unwrap();
    let acts = forward_volume(&n, Volume::from_elem((1, 4, 4), 1.0)).unwrap();
    let mut calls = 0;
    let m = occlusion(&n, &an, &acts, 0, 2, 2, 0.0, &mut |done, total| {
        calls += 1;
        assert_eq!(total, 4);
        done <= total
    })
    .unwrap()
    .unwrap();
    assert_eq!(calls, 4);
    let p0 = 1.0 / (1.0 + (-10.0f32).exp());
    // Grid (4 − 2)/2 + 1 = 2: only cell (0, 0) covers pixel (1, 1).
    assert_eq!(m.map.dim(), (2, 2));
    assert!((m.map[[0, 0]] - (p0 - 0.5)).abs() < 1e-6, "{}", m.map[[0, 0]]);
    for (i, j) in [(0, 1), (1, 0), (1, 1)] {
        assert!(m.map[[i, j]].abs() < 1e-7);
    }
    assert!(m.describe(&n).contains("(4 − 2)/2 + 1 = 2"), "{}", m.describe(&n));
    // Cancelled after the first pass: no map.
    assert!(occlusion(&n, &an, &acts, 0, 2, 2, 0.0, &mut |_, _| false).unwrap().is_none());
    assert!(matches!(
        occlusion(&n, &an, &acts, 0, 5, 1, 0.0, &mut |_, _| true),
        Err(MapError::Patch { .. })
    ));
    // No GAP → fc head: CAM says what is below the fc.
    let e = cam(&n, &an, &acts, 0).unwrap_err().to_string();
    assert!(e.contains("fc 'fc' reads the input") || e.contains("'fc'"), "{e}");
}

#[test]
fn the_overlay_meets_each_cell_at_its_centre() {
    let m = ClassMap {
        method: Method::Cam,
        class: 0,
        layer: None,
        map: Array2::from_shape_vec((2, 2), vec![0.0, 1.0, 2.0, 3.0]).unwrap(),
        weights: vec![],
        volume: None,
        logit: 0.0,
        prob: 0.0,
        bias: 0.0,
        occlusion: None,
    };
    // 2 cells over 8 pixels: centres at pixels 1.5 and 5.5; the edges clamp.
    let up = overlay::resample(&m, 8, 8, (8, 8));
    assert_eq!(up[[0, 0]], 0.0);
    assert_eq!(up[[7, 7]], 3.0);
    // Pixel 3.5 is halfway between the centres.
    assert!((up[[0, 3]] - 0.5).abs() < 0.13 && up[[0, 3]] > 0.0 && up[[0, 4]] < 1.0);
    let h = overlay::heat(&Array2::from_shape_vec((1, 3), vec![-1.0, 1.0, 2.0]).unwrap());
    assert_eq!(h.as_slice().unwrap(), &[0.0, 0.5, 1.0]);
}
