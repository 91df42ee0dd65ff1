//! Backward of the element-wise layers: activations (`dy/dx` of each [`Unary`]), broadcasting
//! arithmetic, the variadic ops and softmax.

use super::broadcast::{spread, sum_to};
use crate::nn::ops::{Binary, Unary, Variadic, sigmoid};
use ndarray::{ArrayD, ArrayViewD, IxDyn, Zip};

/// `dy/dx` of `u` at `x`, where `y = u(x)`; `None` for the tests (bool outputs), which have no
/// gradient. Piecewise-constant functions (floor, sign, …) have derivative 0; at a kink the
/// derivative of the piece on the side `apply` takes for that point is used.
pub fn derivative(u: Unary, x: f32, y: f32) -> Option<f32> {
    let step = |c: bool| if c { 1.0 } else { 0.0 };
    Some(match u {
        Unary::Relu => step(x > 0.0),
        Unary::LeakyRelu { alpha } => {
            if x < 0.0 {
                alpha
            } else {
                1.0
            }
        }
        Unary::Clip { min, max } => step(x > min && x < max),
        Unary::Sigmoid => y * (1.0 - y),
        Unary::HardSigmoid { alpha, beta } => {
            let t = alpha * x + beta;
            if t > 0.0 && t < 1.0 { alpha } else { 0.0 }
        }
        Unary::HardSwish => {
            if x < -3.0 {
                0.0
            } else if x > 3.0 {
                1.0
            } else {
                x / 3.0 + 0.5
            }
        }
        Unary::Tanh => 1.0 - y * y,
        Unary::Exp => y,
        Unary::Log => 1.0 / x,
        Unary::Sqrt => 0.5 / y,
        Unary::Reciprocal => -y * y,
        Unary::Neg => -1.0,
        Unary::Abs => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        Unary::Erf => std::f32::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
        Unary::Gelu { tanh: false } => {
            let cdf = 0.5 * (1.0 + crate::nn::ops::erf(x / std::f32::consts::SQRT_2));
            let pdf = (-0.5 * x * x).exp() / (2.0 * std::f32::consts::PI).sqrt();
            cdf + x * pdf
        }
        Unary::Gelu { tanh: true } => {
            let k = (2.0 / std::f32::consts::PI).sqrt();
            let t = (k * (x + 0.044715 * x * x * x)).tanh();
            0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * x * x)
        }
        Unary::Softplus => sigmoid(x),
        Unary::Softsign => 1.0 / ((1.0 + x.abs()) * (1.0 + x.abs())),
        Unary::Elu { alpha } => {
            if x > 0.0 {
                1.0
            } else {
                alpha * x.exp()
            }
        }
        Unary::Selu { alpha, gamma } => {
            if x > 0.0 {
                gamma
            } else {
                gamma * alpha * x.exp()
            }
        }
        Unary::Celu { alpha } => {
            if x > 0.0 {
                1.0
            } else {
                (x / alpha).exp()
            }
        }
        Unary::ThresholdedRelu { alpha } => step(x > alpha),
        Unary::Mish => {
            let sp = if x > 20.0 { x } else { x.exp().ln_1p() };
            let t = sp.tanh();
            t + x * (1.0 - t * t) * sigmoid(x)
        }
        Unary::Swish { alpha } => {
            let s = sigmoid(alpha * x);
            s + alpha * x * s * (1.0 - s)
        }
        Unary::Shrink { lambd, .. } => step(x > lambd || x < -lambd),
        Unary::Floor | Unary::Ceil | Unary::Round => 0.0,
        Unary::Sin => x.cos(),
        Unary::Cos => -x.sin(),
        Unary::Sign => 0.0,
        Unary::Not | Unary::IsNaN | Unary::IsInf { .. } => return None,
    })
}

/// `∂s/∂x = ∂s/∂y · u'(x)`.
pub fn unary(u: Unary, x: &ArrayViewD<f32>, y: &ArrayViewD<f32>, gy: &ArrayD<f32>) -> ArrayD<f32> {
    let mut gx = gy.clone();
    Zip::from(&mut gx).and(x).and(y).for_each(|g, &x, &y| {
        *g *= derivative(u, x, y).unwrap_or(0.0);
    });
    gx
}

/// Per-channel PReLU of a `(D, H, W)` volume: `∂y/∂x = 1` where `x ≥ 0`, else `slope[d]`.
pub fn prelu(
    x: &ndarray::ArrayView3<f32>,
    slope: &ndarray::ArrayView1<f32>,
    gy: &ndarray::ArrayView3<f32>,
) -> ndarray::Array3<f32> {
    let mut gx = gy.to_owned();
    for (d, (mut g, xs)) in gx.outer_iter_mut().zip(x.outer_iter()).enumerate() {
        let s = slope.get(d).or(slope.get(0)).copied().unwrap_or(0.0);
        Zip::from(&mut g).and(&xs).for_each(|g, &x| {
            if x < 0.0 {
                *g *= s;
            }
        });
    }
    gx
}

/// The partial derivatives of `op(a, b)`: `(∂/∂a, ∂/∂b)`; `None` for ops with no gradient
/// (comparisons, logic, mod).
fn partials(op: Binary, a: f32, b: f32, y: f32) -> Option<(f32, f32)> {
    Some(match op {
        Binary::Add => (1.0, 1.0),
        Binary::Sub => (1.0, -1.0),
        Binary::Mul => (b, a),
        Binary::Div => (1.0 / b, -a / (b * b)),
        // a^b: b·a^(b−1), and ln(a)·a^b where a > 0.
        Binary::Pow => (b * a.powf(b - 1.0), if a > 0.0 { a.ln() * y } else { 0.0 }),
        // The gradient goes to the operand `max` returned (the first on a tie).
        Binary::Max => {
            if a >= b {
                (1.0, 0.0)
            } else {
                (0.0, 1.0)
            }
        }
        Binary::Min => {
            if a <= b {
                (1.0, 0.0)
            } else {
                (0.0, 1.0)
            }
        }
        Binary::Prelu => {
            if a < 0.0 {
                (b, a)
            } else {
                (1.0, 0.0)
            }
        }
        _ => return None,
    })
}

/// Whether a binary op has a gradient.
pub fn binary_has_backward(op: Binary) -> bool {
    partials(op, 1.0, 1.0, 1.0).is_some()
}

/// `(∂s/∂a, ∂s/∂b)` of a broadcasting binary op, each summed back to its operand's dims.
pub fn binary(
    op: Binary,
    a: &ArrayViewD<f32>,
    b: &ArrayViewD<f32>,
    y: &ArrayViewD<f32>,
    gy: &ArrayD<f32>,
) -> (ArrayD<f32>, ArrayD<f32>) {
    let dims = gy.shape().to_vec();
    let (sa, sb) = (spread(a, &dims), spread(b, &dims));
    let mut ga = ArrayD::<f32>::zeros(IxDyn(&dims));
    let mut gb = ArrayD::<f32>::zeros(IxDyn(&dims));
    Zip::from(&mut ga).and(&mut gb).and(&sa).and(&sb).and(y).and(gy).for_each(
        |ga, gb, &a, &b, &y, &g| {
            let (da, db) = partials(op, a, b, y).unwrap_or((0.0, 0.0));
            *ga = g * da;
            *gb = g * db;
        },
    );
    (sum_to(&ga.view(), a.shape()), sum_to(&gb.view(), b.shape()))
}

/// The gradient of each operand of a variadic Sum/Mean/Max/Min (operands broadcast).
pub fn variadic(
    v: Variadic,
    xs: &[ArrayViewD<f32>],
    y: &ArrayViewD<f32>,
    gy: &ArrayD<f32>,
) -> Vec<ArrayD<f32>> {
    let dims = gy.shape().to_vec();
    let n = xs.len().max(1) as f32;
    // Max/Min: the first operand that holds the extreme gets the gradient.
    let mut taken = ArrayD::from_elem(IxDyn(&dims), false);
    xs.iter()
        .map(|x| {
            let sx = spread(x, &dims);
            let mut g = ArrayD::<f32>::zeros(IxDyn(&dims));
            Zip::from(&mut g).and(&sx).and(y).and(gy).and(&mut taken).for_each(
                |g, &x, &y, &gy, t| {
                    *g = match v {
                        Variadic::Sum => gy,
                        Variadic::Mean => gy / n,
                        Variadic::Max | Variadic::Min => {
                            if !*t && x == y {
                                *t = true;
                                gy
                            } else {
                                0.0
                            }
                        }
                    }
                },
            );
            sum_to(&g.view(), x.shape())
        })
        .collect()
}

/// Softmax over groups of `n` values `inner` apart (`outer × n × inner` in C order):
/// `∂s/∂x = y·(g − Σ g·y)`; for log-softmax (`y` = log p) `∂s/∂x = g − p·Σ g`.
pub fn softmax(y: &[f32], gy: &[f32], n: usize, inner: usize, log: bool) -> Vec<f32> {
    let mut gx = vec![0.0f32; y.len()];
    if n == 0 || inner == 0 {
        return gx;
    }
    let outer = y.len() / (n * inner);
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * n + k) * inner + i;
            if log {
                let sum: f32 = (0..n).map(|k| gy[at(k)]).sum();
                (0..n).for_each(|k| gx[at(k)] = gy[at(k)] - y[at(k)].exp() * sum);
            } else {
                let dot: f32 = (0..n).map(|k| gy[at(k)] * y[at(k)]).sum();
                (0..n).for_each(|k| gx[at(k)] = y[at(k)] * (gy[at(k)] - dot));
            }
        }
    }
    gx
}
