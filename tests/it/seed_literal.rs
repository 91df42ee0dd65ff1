//! The seed's numpy example rebuilt by the library: an 11×11×4 input X, filters W0 of 5×5×4,
//! stride 2, no padding. With rows as the first index of X (X[r, c, d], as numpy prints it):
//!   V[0,0,0] = np.sum(X[:5, :5, :] * W0) + b0
//!   V[1,0,0] = np.sum(X[2:7, :5, :] * W0) + b0      (one step of 2 down the rows)
//! The sums below are written as plain loops, independent of the conv kernels.

use convscope::model::{self, WeightMode, image_input};
use convscope::nn::forward::forward;
use convscope::nn::{Src, Weights};

#[test]
fn v000_and_v100_are_the_seeds_sums() {
    let net = model::load("cs231n-numpy", WeightMode::Full).unwrap();
    let (x, _) = image_input::load_input(&net, None, None).unwrap();
    let acts = forward(&net, x.clone()).unwrap();
    let x = x.volume().unwrap();
    let v = acts.get(Src::Layer(0)).volume().unwrap();
    assert_eq!(v.dim(), (2, 4, 4), "stored (D, H, W): 4×4×2");
    let Weights::Conv { w, b } = &net.layers[0].weights else { panic!("conv weights") };
    let b0 = b.as_ref().map_or(0.0, |b| b[0]);
    // X[r, c, d] is stored x[[d, r, c]]; W0[i, j, d] is w[[0, i, j, d]].
    let window_sum = |r0: usize, c0: usize| {
        let mut s = 0f64;
        for i in 0..5 {
            for j in 0..5 {
                for d in 0..4 {
                    s += f64::from(x[[d, r0 + i, c0 + j]]) * f64::from(w[[0, i, j, d]]);
                }
            }
        }
        s as f32 + b0
    };
    let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * (1.0 + b.abs());
    assert!(close(v[[0, 0, 0]], window_sum(0, 0)), "{} vs {}", v[[0, 0, 0]], window_sum(0, 0));
    assert!(close(v[[0, 1, 0]], window_sum(2, 0)), "{} vs {}", v[[0, 1, 0]], window_sum(2, 0));
    // And one neuron of the second filter at the far corner: V[3,3,1] = sum(X[6:11, 6:11, :] * W1) + b1.
    let b1 = b.as_ref().map_or(0.0, |b| b[1]);
    let mut s = 0f64;
    for i in 0..5 {
        for j in 0..5 {
            for d in 0..4 {
                s += f64::from(x[[d, 6 + i, 6 + j]]) * f64::from(w[[1, i, j, d]]);
            }
        }
    }
    assert!(close(v[[1, 3, 3]], s as f32 + b1));
}
