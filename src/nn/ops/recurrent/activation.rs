//! The activation functions an ONNX RNN, GRU or LSTM may name in its `activations` attribute,
//! with their `activation_alpha` / `activation_beta`.
//!
//! The spec says the alpha and beta lists are "consumed in the order of activation functions"
//! and that missing values default to "the same as of corresponding ONNX operators". As
//! onnxruntime does, a value is consumed only by an activation that takes one (Affine, LeakyRelu,
//! ThresholdedRelu, ScaledTanh, HardSigmoid, Elu take α; Affine, ScaledTanh, HardSigmoid take
//! β), so `[Sigmoid, LeakyRelu, Tanh]` with `activation_alpha = [0.1]` gives LeakyRelu α = 0.1.
//! Defaults: LeakyRelu α 0.01, ThresholdedRelu α 1, HardSigmoid α 0.2 β 0.5, Elu α 1, Affine
//! α 1 β 0, ScaledTanh α 1 β 1 (onnxruntime differs here: it takes 0 for the α and β of
//! Affine, ThresholdedRelu and ScaledTanh when the lists run out).

use crate::nn::ops::recurrent::fastmath;
use std::fmt;

/// One activation function with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    /// `α·x + β`.
    Affine {
        alpha: f32,
        beta: f32,
    },
    /// `x` if `x ≥ 0`, else `α·x`.
    LeakyRelu {
        alpha: f32,
    },
    /// `x` if `x > α`, else 0 (the ThresholdedRelu operator's and onnxruntime's `>`; the RNN
    /// pages of the spec write `≥`, which differs only at `x = α` exactly).
    ThresholdedRelu {
        alpha: f32,
    },
    /// `α·tanh(β·x)`.
    ScaledTanh {
        alpha: f32,
        beta: f32,
    },
    /// `min(max(α·x + β, 0), 1)`.
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
    /// `x` if `x ≥ 0`, else `α·(eˣ − 1)`.
    Elu {
        alpha: f32,
    },
    /// `x / (1 + |x|)`.
    Softsign,
    /// `ln(1 + eˣ)`.
    Softplus,
}

/// The names the spec lists, in its order.
pub const NAMES: [&str; 11] = [
    "Relu",
    "Tanh",
    "Sigmoid",
    "Affine",
    "LeakyRelu",
    "ThresholdedRelu",
    "ScaledTanh",
    "HardSigmoid",
    "Elu",
    "Softsign",
    "Softplus",
];

/// Why a name or its parameters do not make an activation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    UnknownName(String),
}

impl Activation {
    /// The activation called `name` (any case, as onnxruntime accepts), taking its α and β from
    /// the front of `alphas` / `betas` if it uses them and they are not used up.
    pub(crate) fn parse(
        name: &str,
        alphas: &mut impl Iterator<Item = f32>,
        betas: &mut impl Iterator<Item = f32>,
    ) -> Result<Self, ParseError> {
        let mut a = |default: f32| alphas.next().unwrap_or(default);
        Ok(match name.to_ascii_lowercase().as_str() {
            "relu" => Activation::Relu,
            "tanh" => Activation::Tanh,
            "sigmoid" => Activation::Sigmoid,
            "affine" => Activation::Affine { alpha: a(1.0), beta: betas.next().unwrap_or(0.0) },
            "leakyrelu" => Activation::LeakyRelu { alpha: a(0.01) },
            "thresholdedrelu" => Activation::ThresholdedRelu { alpha: a(1.0) },
            "scaledtanh" => {
                Activation::ScaledTanh { alpha: a(1.0), beta: betas.next().unwrap_or(1.0) }
            }
            "hardsigmoid" => {
                Activation::HardSigmoid { alpha: a(0.2), beta: betas.next().unwrap_or(0.5) }
            }
            "elu" => Activation::Elu { alpha: a(1.0) },
            "softsign" => Activation::Softsign,
            "softplus" => Activation::Softplus,
            _ => return Err(ParseError::UnknownName(name.to_string())),
        })
    }

    /// The function at one point.
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Tanh => fastmath::tanh(x),
            Activation::Sigmoid => fastmath::sigmoid(x),
            Activation::Affine { alpha, beta } => alpha * x + beta,
            Activation::LeakyRelu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha * x
                }
            }
            Activation::ThresholdedRelu { alpha } => {
                if x > alpha {
                    x
                } else {
                    0.0
                }
            }
            Activation::ScaledTanh { alpha, beta } => alpha * fastmath::tanh(beta * x),
            Activation::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
            Activation::Elu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha * x.exp_m1()
                }
            }
            Activation::Softsign => x / (1.0 + x.abs()),
            // ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|): no overflow for large x.
            Activation::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
        }
    }

    /// The function applied to every value of `xs`, in place. The match is outside the loop.
    pub fn apply_slice(self, xs: &mut [f32]) {
        match self {
            Activation::Sigmoid => fastmath::sigmoid_slice(xs),
            Activation::Tanh => fastmath::tanh_slice(xs),
            Activation::Relu => xs.iter_mut().for_each(|x| *x = x.max(0.0)),
            other => xs.iter_mut().for_each(|x| *x = other.apply(*x)),
        }
    }

    /// The spec's name: `HardSigmoid`.
    pub fn name(self) -> &'static str {
        let i = match self {
            Activation::Relu => 0,
            Activation::Tanh => 1,
            Activation::Sigmoid => 2,
            Activation::Affine { .. } => 3,
            Activation::LeakyRelu { .. } => 4,
            Activation::ThresholdedRelu { .. } => 5,
            Activation::ScaledTanh { .. } => 6,
            Activation::HardSigmoid { .. } => 7,
            Activation::Elu { .. } => 8,
            Activation::Softsign => 9,
            Activation::Softplus => 10,
        };
        NAMES[i]
    }
}

/// How a formula writes the function: `σ`, `tanh`, `relu`, `HardSigmoid[α=0.2, β=0.5]`.
impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Activation::Sigmoid => f.write_str("σ"),
            Activation::Tanh => f.write_str("tanh"),
            Activation::Relu => f.write_str("relu"),
            Activation::Affine { alpha, beta }
            | Activation::ScaledTanh { alpha, beta }
            | Activation::HardSigmoid { alpha, beta } => {
                write!(f, "{}[α={alpha}, β={beta}]", self.name())
            }
            Activation::LeakyRelu { alpha }
            | Activation::ThresholdedRelu { alpha }
            | Activation::Elu { alpha } => write!(f, "{}[α={alpha}]", self.name()),
            Activation::Softsign | Activation::Softplus => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, alphas: &[f32], betas: &[f32]) -> Activation {
        Activation::parse(name, &mut alphas.iter().copied(), &mut betas.iter().copied()).unwrap()
    }

    #[test]
    fn every_listed_name_parses_in_any_case() {
        for name in NAMES {
            assert_eq!(parse(name, &[], &[]).name(), name);
            assert_eq!(parse(&name.to_uppercase(), &[], &[]).name(), name);
        }
        let err = Activation::parse("Swish", &mut [].into_iter(), &mut [].into_iter());
        assert_eq!(err, Err(ParseError::UnknownName("Swish".into())));
    }

    #[test]
    fn defaults_are_the_onnx_operators() {
        assert_eq!(parse("LeakyRelu", &[], &[]), Activation::LeakyRelu { alpha: 0.01 });
        assert_eq!(
            parse("HardSigmoid", &[], &[]),
            Activation::HardSigmoid { alpha: 0.2, beta: 0.5 }
        );
        assert_eq!(parse("ThresholdedRelu", &[], &[]), Activation::ThresholdedRelu { alpha: 1.0 });
        assert_eq!(parse("Elu", &[], &[]), Activation::Elu { alpha: 1.0 });
        assert_eq!(parse("Affine", &[], &[]), Activation::Affine { alpha: 1.0, beta: 0.0 });
        assert_eq!(parse("ScaledTanh", &[], &[]), Activation::ScaledTanh { alpha: 1.0, beta: 1.0 });
    }

    #[test]
    fn values_at_points() {
        let cases: [(Activation, f32, f32); 14] = [
            (Activation::Relu, -2.0, 0.0),
            (Activation::Sigmoid, 0.0, 0.5),
            (Activation::Sigmoid, -100.0, 0.0),
            (Activation::Tanh, 0.5, 0.462_117_16),
            (Activation::Affine { alpha: 2.0, beta: 1.0 }, 3.0, 7.0),
            (Activation::LeakyRelu { alpha: 0.1 }, -3.0, -0.3),
            (Activation::ThresholdedRelu { alpha: 1.0 }, 1.0, 0.0),
            (Activation::ThresholdedRelu { alpha: 1.0 }, 1.5, 1.5),
            (Activation::ScaledTanh { alpha: 2.0, beta: 0.5 }, 1.0, 0.924_234_3),
            (Activation::HardSigmoid { alpha: 0.2, beta: 0.5 }, 1.0, 0.7),
            (Activation::Elu { alpha: 1.0 }, -1.0, -0.632_120_56),
            (Activation::Softsign, -3.0, -0.75),
            (Activation::Softplus, 0.0, std::f32::consts::LN_2),
            (Activation::Softplus, 100.0, 100.0),
        ];
        for (a, x, want) in cases {
            let got = a.apply(x);
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{a}({x}) = {got}, not {want}"
            );
            let mut v = [x];
            a.apply_slice(&mut v);
            assert_eq!(v[0], got);
        }
    }

    #[test]
    fn formula_names() {
        assert_eq!(Activation::Sigmoid.to_string(), "σ");
        assert_eq!(
            Activation::HardSigmoid { alpha: 0.2, beta: 0.5 }.to_string(),
            "HardSigmoid[α=0.2, β=0.5]"
        );
        assert_eq!(Activation::Elu { alpha: 1.0 }.to_string(), "Elu[α=1]");
    }
}
