//! Element-wise functions of one tensor: activations and the math ops, as ONNX defines them.

use super::{Args, Info, OpError};
use crate::nn::tensor::{Elem, Tensor};

/// A function applied to every value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    Relu,
    LeakyRelu {
        alpha: f32,
    },
    /// `min(max(x, lo), hi)` (ONNX Clip; bounds may come from operands, resolved here).
    Clip {
        min: f32,
        max: f32,
    },
    Sigmoid,
    /// `max(0, min(1, αx + β))`.
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
    /// `x · max(0, min(1, x/6 + 1/2))`.
    HardSwish,
    Tanh,
    Exp,
    Log,
    Sqrt,
    Reciprocal,
    Neg,
    Abs,
    Erf,
    /// `x/2 · (1 + erf(x/√2))`, or its tanh approximation.
    Gelu {
        tanh: bool,
    },
    Softplus,
    Softsign,
    Elu {
        alpha: f32,
    },
    Selu {
        alpha: f32,
        gamma: f32,
    },
    Celu {
        alpha: f32,
    },
    ThresholdedRelu {
        alpha: f32,
    },
    Mish,
    /// `x · σ(αx)`.
    Swish {
        alpha: f32,
    },
    /// `x − bias if x > λ, x + bias if x < −λ, else 0`.
    Shrink {
        lambd: f32,
        bias: f32,
    },
    Floor,
    Ceil,
    /// Round half to even, as ONNX.
    Round,
    Sign,
    Sin,
    Cos,
    Not,
    IsNaN,
    IsInf {
        pos: bool,
        neg: bool,
    },
}

impl Unary {
    pub fn name(self) -> &'static str {
        match self {
            Unary::Relu => "relu",
            Unary::LeakyRelu { .. } => "leaky_relu",
            Unary::Clip { .. } => "clip",
            Unary::Sigmoid => "sigmoid",
            Unary::HardSigmoid { .. } => "hard_sigmoid",
            Unary::HardSwish => "hard_swish",
            Unary::Tanh => "tanh",
            Unary::Exp => "exp",
            Unary::Log => "log",
            Unary::Sqrt => "sqrt",
            Unary::Reciprocal => "reciprocal",
            Unary::Neg => "neg",
            Unary::Abs => "abs",
            Unary::Erf => "erf",
            Unary::Gelu { .. } => "gelu",
            Unary::Softplus => "softplus",
            Unary::Softsign => "softsign",
            Unary::Elu { .. } => "elu",
            Unary::Selu { .. } => "selu",
            Unary::Celu { .. } => "celu",
            Unary::ThresholdedRelu { .. } => "thresholded_relu",
            Unary::Mish => "mish",
            Unary::Swish { .. } => "swish",
            Unary::Shrink { .. } => "shrink",
            Unary::Floor => "floor",
            Unary::Ceil => "ceil",
            Unary::Round => "round",
            Unary::Sign => "sign",
            Unary::Sin => "sin",
            Unary::Cos => "cos",
            Unary::Not => "not",
            Unary::IsNaN => "isnan",
            Unary::IsInf { .. } => "isinf",
        }
    }

    /// The function, in words with its parameters, for the explain panel.
    pub fn formula(self) -> String {
        match self {
            Unary::Relu => "max(0, x)".into(),
            Unary::LeakyRelu { alpha } => format!("x if x > 0 else {alpha}·x"),
            Unary::Clip { min, max } => format!("min(max(x, {min}), {max})"),
            Unary::Sigmoid => "1 / (1 + e^−x)".into(),
            Unary::HardSigmoid { alpha, beta } => format!("max(0, min(1, {alpha}·x + {beta}))"),
            Unary::HardSwish => "x · max(0, min(1, x/6 + 0.5))".into(),
            Unary::Tanh => "tanh(x)".into(),
            Unary::Exp => "e^x".into(),
            Unary::Log => "ln(x)".into(),
            Unary::Sqrt => "√x".into(),
            Unary::Reciprocal => "1/x".into(),
            Unary::Neg => "−x".into(),
            Unary::Abs => "|x|".into(),
            Unary::Erf => "erf(x)".into(),
            Unary::Gelu { tanh: false } => "x/2 · (1 + erf(x/√2))".into(),
            Unary::Gelu { tanh: true } => "x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))".into(),
            Unary::Softplus => "ln(1 + e^x)".into(),
            Unary::Softsign => "x / (1 + |x|)".into(),
            Unary::Elu { alpha } => format!("x if x > 0 else {alpha}·(e^x − 1)"),
            Unary::Selu { alpha, gamma } => {
                format!("{gamma}·x if x > 0 else {gamma}·{alpha}·(e^x − 1)")
            }
            Unary::Celu { alpha } => format!("max(0, x) + min(0, {alpha}·(e^(x/{alpha}) − 1))"),
            Unary::ThresholdedRelu { alpha } => format!("x if x > {alpha} else 0"),
            Unary::Mish => "x · tanh(ln(1 + e^x))".into(),
            Unary::Swish { alpha } => format!("x · σ({alpha}·x)"),
            Unary::Shrink { lambd, bias } => {
                format!("x − {bias} if x > {lambd}, x + {bias} if x < −{lambd}, else 0")
            }
            Unary::Floor => "⌊x⌋".into(),
            Unary::Ceil => "⌈x⌉".into(),
            Unary::Round => "round(x), halves to even".into(),
            Unary::Sign => "sign(x)".into(),
            Unary::Sin => "sin(x)".into(),
            Unary::Cos => "cos(x)".into(),
            Unary::Not => "not x".into(),
            Unary::IsNaN => "x is NaN".into(),
            Unary::IsInf { .. } => "x is ±∞".into(),
        }
    }

    /// The function on one f32.
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Unary::Relu => x.max(0.0),
            Unary::LeakyRelu { alpha } => {
                if x < 0.0 {
                    alpha * x
                } else {
                    x
                }
            }
            Unary::Clip { min, max } => x.max(min).min(max),
            Unary::Sigmoid => sigmoid(x),
            Unary::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
            Unary::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
            Unary::Tanh => x.tanh(),
            Unary::Exp => x.exp(),
            Unary::Log => x.ln(),
            Unary::Sqrt => x.sqrt(),
            Unary::Reciprocal => 1.0 / x,
            Unary::Neg => -x,
            Unary::Abs => x.abs(),
            Unary::Erf => erf(x),
            Unary::Gelu { tanh: false } => 0.5 * x * (1.0 + erf(x / std::f32::consts::SQRT_2)),
            Unary::Gelu { tanh: true } => {
                let k = (2.0 / std::f32::consts::PI).sqrt();
                0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
            }
            Unary::Softplus => softplus(x),
            Unary::Softsign => x / (1.0 + x.abs()),
            Unary::Elu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * (x.exp() - 1.0)
                }
            }
            Unary::Selu { alpha, gamma } => {
                if x > 0.0 {
                    gamma * x
                } else {
                    gamma * alpha * (x.exp() - 1.0)
                }
            }
            Unary::Celu { alpha } => x.max(0.0) + (alpha * ((x / alpha).exp() - 1.0)).min(0.0),
            Unary::ThresholdedRelu { alpha } => {
                if x > alpha {
                    x
                } else {
                    0.0
                }
            }
            Unary::Mish => x * softplus(x).tanh(),
            Unary::Swish { alpha } => x * sigmoid(alpha * x),
            Unary::Shrink { lambd, bias } => {
                if x > lambd {
                    x - bias
                } else if x < -lambd {
                    x + bias
                } else {
                    0.0
                }
            }
            Unary::Floor => x.floor(),
            Unary::Ceil => x.ceil(),
            Unary::Round => x.round_ties_even(),
            Unary::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    x
                }
            }
            Unary::Sin => x.sin(),
            Unary::Cos => x.cos(),
            Unary::Not => (x == 0.0) as u8 as f32,
            Unary::IsNaN => x.is_nan() as u8 as f32,
            Unary::IsInf { pos, neg } => {
                ((pos && x == f32::INFINITY) || (neg && x == f32::NEG_INFINITY)) as u8 as f32
            }
        }
    }

    /// Whether the output is bool (a test) rather than the input's type.
    fn is_test(self) -> bool {
        matches!(self, Unary::Not | Unary::IsNaN | Unary::IsInf { .. })
    }
}

pub fn sigmoid(x: f32) -> f32 {
    crate::nn::kernels::logistic(x)
}

fn softplus(x: f32) -> f32 {
    // ln(1 + e^x) without overflow for large x.
    if x > 20.0 { x } else { x.exp().ln_1p() }
}

/// The error function, to f32 precision (Abramowitz–Stegun 7.1.26 is too coarse for 1e-5
/// agreement; this is the f64 complementary-error series by W. J. Cody's rational forms,
/// evaluated in f64).
pub fn erf(x: f32) -> f32 {
    erf64(f64::from(x)) as f32
}

fn erf64(x: f64) -> f64 {
    // Numerical Recipes' erfc Chebyshev fit: |error| < 1.2e-7 everywhere, then refined by one
    // Newton step on erf: erf'(x) = 2/√π · e^(−x²).
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    let r = 1.0 - erfc;
    if x >= 0.0 { r } else { -r }
}

pub(super) fn infer(u: Unary, args: &Args<Info>) -> Result<Info, OpError> {
    let x = args.need(0, "input")?;
    let elem = if u.is_test() { Elem::Bool } else { x.elem };
    if !x.elem.is_float()
        && !matches!(
            u,
            Unary::Neg | Unary::Abs | Unary::Sign | Unary::Not | Unary::Relu | Unary::Clip { .. }
        )
    {
        return Err(OpError::Unsupported(format!(
            "{} of {} values is not supported",
            u.name(),
            x.elem
        )));
    }
    Ok(Info::new(x.dims, elem))
}

/// `u` of every element; the activations CNNs use get their own loop (the function inlined).
pub fn map_f32(u: Unary, x: &ndarray::ArrayViewD<'_, f32>) -> ndarray::ArrayD<f32> {
    use super::fast::map;
    match u {
        Unary::Relu => map(x, |v| v.max(0.0)),
        Unary::Clip { min, max } => map(x, |v| v.max(min).min(max)),
        Unary::LeakyRelu { alpha } => map(x, |v| if v < 0.0 { alpha * v } else { v }),
        Unary::HardSigmoid { alpha, beta } => map(x, |v| (alpha * v + beta).clamp(0.0, 1.0)),
        Unary::HardSwish => map(x, |v| v * (v / 6.0 + 0.5).clamp(0.0, 1.0)),
        Unary::Sigmoid => {
            let mut y = x.as_standard_layout().into_owned();
            crate::nn::kernels::logistic_slice(y.as_slice_mut().expect("standard layout"));
            y
        }
        _ => map(x, |v| u.apply(v)),
    }
}

pub(super) fn eval(u: Unary, args: &Args<Tensor>) -> Result<Tensor, OpError> {
    let x = args.get(0)?;
    Ok(match x {
        Tensor::F32(a) => {
            let y = map_f32(u, &a.view());
            if u.is_test() {
                Tensor::Int(y.mapv(|v| v as i64).into_shared(), Elem::Bool)
            } else {
                Tensor::F32(y.into_shared())
            }
        }
        Tensor::Int(a, e) => {
            let f = |v: i64| match u {
                Unary::Neg => v.wrapping_neg(),
                Unary::Abs => v.wrapping_abs(),
                Unary::Sign => v.signum(),
                Unary::Not => (v == 0) as i64,
                // Bounds of an integer clip are integers of the same type (held as f32 here).
                Unary::Clip { min, max } => {
                    let lo = if min.is_finite() { min.ceil() as i64 } else { i64::MIN };
                    let hi = if max.is_finite() { max.floor() as i64 } else { i64::MAX };
                    v.max(lo).min(hi)
                }
                _ => v.max(0),
            };
            let e = if u.is_test() { Elem::Bool } else { *e };
            Tensor::Int(a.mapv(f).into_shared(), e)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::Op;
    use super::super::testutil::{X, f, i, run, vals};
    use super::*;

    #[test]
    fn activations_at_written_out_points() {
        let x = f(&[5], &[-3.0, -0.5, 0.0, 0.5, 3.0]);
        let r = |u: Unary| vals(&run(Op::Unary(u), vec![X::R(x.clone())]).unwrap());
        // HardSigmoid(α 0.2, β 0.5): 0.2·(−3) + 0.5 = −0.1 → 0; 0.4; 0.5; 0.6; 1.1 → 1.
        assert_eq!(r(Unary::HardSigmoid { alpha: 0.2, beta: 0.5 }), [0.0, 0.4, 0.5, 0.6, 1.0]);
        // HardSwish: x·clamp(x/6 + 1/2): −3·0 = 0; −0.5·(0.41667) = −0.20833; 0; 0.29167; 3.
        let hs = r(Unary::HardSwish);
        for (g, w) in hs.iter().zip([0.0, -0.208_333_3, 0.0, 0.291_666_7, 3.0]) {
            assert!((g - w).abs() < 1e-6, "{hs:?}");
        }
        assert_eq!(r(Unary::Relu), [0.0, 0.0, 0.0, 0.5, 3.0]);
        assert_eq!(r(Unary::Round), [-3.0, -0.0, 0.0, 0.0, 3.0], "halves go to even");
        assert_eq!(r(Unary::Sign), [-1.0, -1.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn erf_matches_the_tables() {
        // erf(0.5) = 0.5204998778, erf(1) = 0.8427007929, erf(2) = 0.9953222650.
        for (x, want) in
            [(0.5, 0.520_499_9), (1.0, 0.842_700_8), (2.0, 0.995_322_3), (-1.0, -0.842_700_8)]
        {
            assert!((erf(x) - want).abs() < 2e-7, "erf({x}) = {}", erf(x));
        }
        // GELU(1) = 0.5·(1 + erf(1/√2)) = 0.8413447.
        assert!((Unary::Gelu { tanh: false }.apply(1.0) - 0.841_344_7).abs() < 1e-6);
    }

    #[test]
    fn tests_give_bools_and_integers_keep_their_type() {
        let y = run(Op::Unary(Unary::IsNaN), vec![X::R(f(&[2], &[f32::NAN, 1.0]))]).unwrap();
        assert_eq!((y.elem(), vals(&y)), (Elem::Bool, vec![1.0, 0.0]));
        let y = run(Op::Unary(Unary::Neg), vec![X::R(i(&[2], &[3, -4]))]).unwrap();
        assert_eq!((y.elem(), y.ints()), (Elem::I64, vec![-3, 4]));
        assert!(run(Op::Unary(Unary::Exp), vec![X::R(i(&[1], &[1]))]).is_err());
    }
}
