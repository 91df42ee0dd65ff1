//! Every backward pass against central finite differences: for a small network ending in the
//! layer under test, `s = Σ G ⊙ y` with a random `G`; `∂s/∂x` from [`backward`] must match
//! `(s(x + ε·e_i) − s(x − ε·e_i)) / 2ε` for every input cell `i`.

use super::*;
use crate::nn::analysis::analyze;
use crate::nn::forward::forward;
use crate::nn::layer::{ConvParams, Layer, LayerKind, Origin, Padding, PoolParams, Weights};
use crate::nn::network::{InputSpec, Normalize};
use crate::nn::ops::convt::geometry::ConvTransposeAttrs;
use crate::nn::ops::{Binary, Op, OpLayer, Operand, ReduceOp, Unary, Variadic};
use crate::nn::tensor::{Shape3, Tensor};
use crate::nn::view::Hint;
use ndarray::{ArcArray, IxDyn};
use proptest::prelude::*;

/// A small deterministic generator (values in −1..1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next()).collect()
    }
    /// `n` values in −1..1 at least `1/n` apart (a shuffled ramp), so no two are within a
    /// finite-difference step of each other (no max flips its winner).
    fn distinct(&mut self, n: usize) -> Vec<f32> {
        // Jittered, so that no mean of a few of them lands exactly on another.
        let mut v: Vec<f32> =
            (0..n).map(|i| (2.0 * i as f32 + 1.0 + 0.4 * self.next()) / n as f32 - 1.0).collect();
        for i in (1..n).rev() {
            let j = ((self.next() + 1.0) * 0.5 * (i + 1) as f32) as usize;
            v.swap(i, j.min(i));
        }
        v
    }
}

fn layer(name: &str, kind: LayerKind, inputs: Vec<Src>, weights: Weights) -> Layer {
    Layer { name: name.into(), kind, inputs, weights, origin: Origin::None, strict: false }
}

fn op(name: &str, op: Op, operands: Vec<Operand>, inputs: Vec<Src>) -> Layer {
    layer(name, LayerKind::Op(Box::new(OpLayer { op, operands, output: 0 })), inputs, Weights::None)
}

fn op_out(name: &str, o: Op, operands: Vec<Operand>, inputs: Vec<Src>, output: usize) -> Layer {
    let kind = LayerKind::Op(Box::new(OpLayer { op: o, operands, output }));
    layer(name, kind, inputs, Weights::None)
}

fn net_of(dims: &[usize], layers: Vec<Layer>) -> Network {
    let input = if dims.len() == 3 {
        InputSpec::volume(Shape3::new(dims[1], dims[2], dims[0]), Normalize::unit(), None)
    } else {
        InputSpec::tensor(dims.to_vec(), Hint::ChannelsFirst, Normalize::unit(), None)
    };
    Network {
        name: "fd".into(),
        input,
        layers,
        labels: None,
        source: None,
        files: vec![],
        aliases: vec![],
        folded_nodes: 0,
    }
}

fn c(dims: &[usize], rng: &mut Lcg) -> Operand {
    Operand::Const(Tensor::f32(dims, rng.vec(dims.iter().product())))
}

/// The weighted sum `Σ G ⊙ y_last` for input `x`.
fn score(net: &Network, x: &[f32], g: &[f32]) -> f64 {
    let t = Tensor::f32(&net.input.dims, x.to_vec());
    let acts = forward(net, t).expect("forward");
    let y = acts.last().expect("a layer").floats();
    y.iter().zip(g).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum()
}

/// Compare the backward pass to central differences on every input cell; `x` defaults to
/// random values in −1..1 (`shift` moves them, to keep logs and roots on positive values).
fn check_with(net: &Network, seed: u64, shift: f32, eps: f32, tol: f32) {
    let mut rng = Lcg(seed);
    let n: usize = net.input.dims.iter().product();
    let x: Vec<f32> = rng.distinct(n).into_iter().map(|v| v + shift).collect();
    let an = analyze(net).expect("analysis");
    let acts = forward(net, Tensor::f32(&net.input.dims, x.clone())).expect("forward");
    let last = net.layers.len() - 1;
    let dims = an.layers[last].dims.clone();
    let g = rng.vec(dims.iter().product());
    let gy = ndarray::ArrayD::from_shape_vec(IxDyn(&dims), g.clone()).unwrap();
    let grads = backward(net, &an, &acts, last, gy, Src::Input, &mut |_| true).unwrap().unwrap();
    let gx = grads.input.expect("a gradient for the input");
    assert_eq!(gx.shape(), net.input.dims.as_slice());
    let fd = |i: usize, h: f32| {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[i] += h;
        xm[i] -= h;
        ((score(net, &xp, &g) - score(net, &xm, &g)) / (2.0 * f64::from(h))) as f32
    };
    let mut kinks = 0;
    for i in 0..n {
        let (a, b) = (fd(i, eps), fd(i, eps / 2.0));
        // The two steps disagree only when a kink (a max switching sides, a relu at 0) lies
        // within the step: no difference quotient measures the derivative there.
        if (a - b).abs() > 0.1 * tol * (1.0 + a.abs()) {
            kinks += 1;
            continue;
        }
        let got = gx.as_slice().unwrap()[i];
        let err = (got - b).abs();
        assert!(
            err <= tol * (1.0 + b.abs()),
            "{}: cell {i}: backward {got} vs finite difference {b}",
            net.layers[last].name
        );
    }
    assert!(kinks * 2 <= n, "{}: {kinks} of {n} cells sit on kinks", net.layers[last].name);
}

fn check(net: &Network, seed: u64) {
    check_with(net, seed, 0.0, 1e-2, 2e-2);
}

fn conv_params(k: usize, f: (usize, usize), s: usize, p: usize, d: usize, g: usize) -> ConvParams {
    ConvParams {
        filters: k,
        kh: f.0,
        kw: f.1,
        stride_h: s,
        stride_w: s,
        pad: Padding::Explicit { top: p, left: p, bottom: p + 1, right: p },
        dilation_h: d,
        dilation_w: d,
        groups: g,
        bias: true,
    }
}

fn conv_layer(rng: &mut Lcg, cin: usize, p: ConvParams) -> Layer {
    let cg = cin / p.groups;
    let w = ArcArray::from_shape_vec(
        (p.filters, p.kh, p.kw, cg),
        rng.vec(p.filters * p.kh * p.kw * cg),
    )
    .unwrap();
    let b = ndarray::Array1::from(rng.vec(p.filters)).into_shared();
    let k = p.filters;
    let _ = k;
    layer("conv", LayerKind::Conv(p), vec![Src::Input], Weights::Conv { w, b: Some(b) })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn conv_input_gradient_matches_finite_differences(
        groups in 1usize..=3, cg in 1usize..=2, kg in 1usize..=2, fh in 1usize..=3, fw in 1usize..=3,
        s in 1usize..=2, p in 0usize..=1, d in 1usize..=2, h in 5usize..=7, seed in any::<u64>(),
    ) {
        let mut rng = Lcg(seed);
        let cin = groups * cg;
        let params = conv_params(groups * kg, (fh, fw), s, p, d, groups);
        let net = net_of(&[cin, h, h + 1], vec![conv_layer(&mut rng, cin, params)]);
        prop_assume!(analyze(&net).is_ok());
        check(&net, seed);
    }

    #[test]
    fn depthwise_conv_gradient(c in 1usize..=4, f in 1usize..=3, s in 1usize..=2, seed in any::<u64>()) {
        let mut rng = Lcg(seed);
        let net = net_of(&[c, 6, 5], vec![conv_layer(&mut rng, c, conv_params(c, (f, f), s, 1, 1, c))]);
        check(&net, seed);
    }

    #[test]
    fn pool_gradients(
        max in any::<bool>(), f in 2usize..=3, s in 1usize..=2, p in 0usize..=1,
        ceil in any::<bool>(), include in any::<bool>(), seed in any::<u64>(),
    ) {
        let pp = PoolParams {
            kh: f, kw: f, stride_h: s, stride_w: s, dilation_h: 1, dilation_w: 1,
            pad: Padding::symmetric(p), ceil_mode: ceil, count_include_pad: include,
        };
        let kind = if max { LayerKind::MaxPool(pp) } else { LayerKind::AvgPool(pp) };
        let net = net_of(&[2, 5, 6], vec![layer("pool", kind, vec![Src::Input], Weights::None)]);
        prop_assume!(analyze(&net).is_ok());
        // Max pool: a tie within ε of the max would make the difference quotient jump.
        check_with(&net, seed, 0.0, 1e-3, 2e-2);
    }

    #[test]
    fn unary_op_gradients(which in 0usize..22, seed in any::<u64>()) {
        let ops = [
            Unary::Relu, Unary::LeakyRelu { alpha: 0.1 }, Unary::Clip { min: -0.5, max: 0.5 },
            Unary::Sigmoid, Unary::HardSigmoid { alpha: 0.2, beta: 0.5 }, Unary::HardSwish,
            Unary::Tanh, Unary::Exp, Unary::Log, Unary::Sqrt, Unary::Reciprocal, Unary::Neg,
            Unary::Abs, Unary::Erf, Unary::Gelu { tanh: false }, Unary::Gelu { tanh: true },
            Unary::Softplus, Unary::Softsign, Unary::Elu { alpha: 1.2 },
            Unary::Selu { alpha: 1.67, gamma: 1.05 }, Unary::Mish, Unary::Swish { alpha: 1.5 },
        ];
        let u = ops[which];
        let positive = matches!(u, Unary::Log | Unary::Sqrt | Unary::Reciprocal);
        let net = net_of(&[2, 3, 4], vec![op("u", Op::Unary(u), vec![Operand::Input(0)], vec![Src::Input])]);
        check_with(&net, seed, if positive { 2.0 } else { 0.0 }, 1e-3, 2e-2);
    }

    #[test]
    fn binary_broadcast_gradients(which in 0usize..8, shape in 0usize..3, seed in any::<u64>()) {
        let ops = [Binary::Add, Binary::Sub, Binary::Mul, Binary::Div, Binary::Pow, Binary::Max,
                   Binary::Min, Binary::Prelu];
        let b = ops[which];
        let mut rng = Lcg(seed ^ 7);
        // x: [1, 3, 2, 2]; the other operand: the same (computed from x), [3, 1, 1], or a constant row.
        let net = match shape {
            0 => net_of(&[1, 3, 2, 2], vec![
                op("sig", Op::Unary(Unary::Sigmoid), vec![Operand::Input(0)], vec![Src::Input]),
                op("b", Op::Binary(b), vec![Operand::Input(0), Operand::Input(1)], vec![Src::Input, Src::Layer(0)]),
            ]),
            1 => net_of(&[1, 3, 2, 2], vec![
                op("mean", Op::Reduce { op: ReduceOp::Mean, axes: Some(vec![0, 2, 3]), keepdims: false, noop_with_empty_axes: false },
                   vec![Operand::Input(0)], vec![Src::Input]),
                op("r", Op::Reshape { allowzero: false }, vec![Operand::Input(0), Operand::Const(Tensor::int(&[3], vec![3, 1, 1], crate::nn::Elem::I64))], vec![Src::Layer(0)]),
                op("b", Op::Binary(b), vec![Operand::Input(0), Operand::Input(1)], vec![Src::Input, Src::Layer(1)]),
            ]),
            _ => net_of(&[1, 3, 2, 2], vec![
                op("b", Op::Binary(b), vec![Operand::Input(0), c(&[2], &mut rng)], vec![Src::Input]),
            ]),
        };
        // Pow and Div want a base and a divisor away from 0.
        let shift = if matches!(b, Binary::Pow | Binary::Div) { 2.0 } else { 0.0 };
        check_with(&net, seed, shift, 1e-3, 3e-2);
    }

    #[test]
    fn softmax_matmul_gemm_gradients(axis in -2i64..=1, legacy in any::<bool>(), log in any::<bool>(),
                                     ta in any::<bool>(), tb in any::<bool>(), seed in any::<u64>()) {
        let mut rng = Lcg(seed ^ 3);
        let sm = net_of(&[3, 4], vec![op("sm", Op::Softmax { axis, legacy, log }, vec![Operand::Input(0)], vec![Src::Input])]);
        check_with(&sm, seed, 0.0, 1e-3, 2e-2);
        // MatMul of x [2, 3, 4] by a constant [4, 2], then by itself transposed (both runtime).
        let mm = net_of(&[2, 3, 4], vec![
            op("mm", Op::MatMul, vec![Operand::Input(0), c(&[4, 2], &mut rng)], vec![Src::Input]),
            op("t", Op::Transpose { perm: Some(vec![0, 2, 1]) }, vec![Operand::Input(0)], vec![Src::Layer(0)]),
            op("mm2", Op::MatMul, vec![Operand::Input(0), Operand::Input(1)], vec![Src::Layer(0), Src::Layer(1)]),
        ]);
        check_with(&mm, seed, 0.0, 1e-3, 2e-2);
        let a_dims = if ta { [4, 3] } else { [3, 4] };
        let b_dims = if tb { [5, 4] } else { [4, 5] };
        let gemm = net_of(&a_dims, vec![op("gemm", Op::Gemm { alpha: 0.7, beta: 1.3, trans_a: ta, trans_b: tb },
            vec![Operand::Input(0), c(&b_dims, &mut rng), c(&[5], &mut rng)], vec![Src::Input])]);
        check_with(&gemm, seed, 0.0, 1e-3, 2e-2);
    }

    #[test]
    fn normalisation_gradients(which in 0usize..6, seed in any::<u64>()) {
        let mut rng = Lcg(seed ^ 11);
        let dims = [1, 4, 3, 2];
        let positive = |n: usize, r: &mut Lcg| Operand::Const(Tensor::f32(&[n], r.vec(n).iter().map(|v| v + 1.5).collect()));
        let o = match which {
            0 => op("bn", Op::BatchNorm { eps: 1e-3 }, vec![Operand::Input(0), c(&[4], &mut rng), c(&[4], &mut rng), c(&[4], &mut rng), positive(4, &mut rng)], vec![Src::Input]),
            1 => op("in", Op::InstanceNorm { eps: 1e-3 }, vec![Operand::Input(0), c(&[4], &mut rng), c(&[4], &mut rng)], vec![Src::Input]),
            2 => op("gn", Op::GroupNorm { groups: 2, eps: 1e-3 }, vec![Operand::Input(0), c(&[4], &mut rng), c(&[4], &mut rng)], vec![Src::Input]),
            3 => op("ln", Op::LayerNorm { axis: -2, eps: 1e-3 }, vec![Operand::Input(0), c(&[3, 2], &mut rng), c(&[3, 2], &mut rng)], vec![Src::Input]),
            4 => op("lp2", Op::LpNorm { axis: 1, p: 2 }, vec![Operand::Input(0)], vec![Src::Input]),
            _ => op("lp1", Op::LpNorm { axis: 1, p: 1 }, vec![Operand::Input(0)], vec![Src::Input]),
        };
        check_with(&net_of(&dims, vec![o]), seed, 0.0, 1e-3, 3e-2);
    }

    #[test]
    fn reduction_and_global_pool_gradients(which in 0usize..9, keep in any::<bool>(), seed in any::<u64>()) {
        let o = match which {
            0 => Op::GlobalPool { max: false },
            1 => Op::GlobalPool { max: true },
            _ => Op::Reduce {
                op: [ReduceOp::Mean, ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::L2,
                     ReduceOp::SumSquare, ReduceOp::LogSumExp][which - 2],
                axes: Some(vec![1, 3]), keepdims: keep, noop_with_empty_axes: false,
            },
        };
        let net = net_of(&[1, 3, 2, 4], vec![op("r", o, vec![Operand::Input(0)], vec![Src::Input])]);
        check_with(&net, seed, 0.0, 1e-3, 2e-2);
    }

    #[test]
    fn conv_transpose_gradient(s in 1usize..=2, f in 1usize..=3, group in 1usize..=2, seed in any::<u64>()) {
        let mut rng = Lcg(seed ^ 5);
        let attrs = ConvTransposeAttrs {
            strides: [s as i64, s as i64],
            pads: Some([1, 0, 0, 1]),
            group: group as i64,
            ..ConvTransposeAttrs::default()
        };
        let cin = 2 * group;
        let net = net_of(&[1, cin, 3, 4], vec![op("ct", Op::ConvTranspose(Box::new(attrs)),
            vec![Operand::Input(0), c(&[cin, 2, f, f], &mut rng), c(&[2 * group], &mut rng)], vec![Src::Input])]);
        prop_assume!(analyze(&net).is_ok());
        check(&net, seed);
    }
}

#[test]
fn volume_layers_batchnorm_lrn_fc_flatten_softmax_add_mul_concat() {
    let mut rng = Lcg(42);
    let bn = Weights::BatchNorm {
        gamma: ndarray::Array1::from(rng.vec(3)).into_shared(),
        beta: ndarray::Array1::from(rng.vec(3)).into_shared(),
        mean: ndarray::Array1::from(rng.vec(3)).into_shared(),
        var: ndarray::Array1::from(vec![0.5, 1.0, 2.0]).into_shared(),
    };
    let fc_w = ArcArray::from_shape_vec((4, 3 * 2 * 2), rng.vec(48)).unwrap();
    let slope = ndarray::Array1::from(vec![0.1, 0.2, 0.3]).into_shared();
    let gap = layer("gap", LayerKind::GlobalAvgPool, vec![Src::Layer(0)], Weights::None);
    let cases: Vec<Vec<Layer>> = vec![
        vec![layer("bn", LayerKind::BatchNorm { eps: 1e-3 }, vec![Src::Input], bn)],
        vec![layer(
            "lrn",
            LayerKind::Lrn { size: 3, alpha: 0.5, beta: 0.75, bias: 1.0 },
            vec![Src::Input],
            Weights::None,
        )],
        vec![layer(
            "fc",
            LayerKind::Fc { outputs: 4 },
            vec![Src::Input],
            Weights::Fc { w: fc_w, b: None },
        )],
        vec![
            layer("flat", LayerKind::Flatten, vec![Src::Input], Weights::None),
            layer("sm", LayerKind::Softmax, vec![Src::Layer(0)], Weights::None),
        ],
        vec![
            layer("sig", LayerKind::Sigmoid, vec![Src::Input], Weights::None),
            layer("add", LayerKind::Add, vec![Src::Input, Src::Layer(0)], Weights::None),
        ],
        vec![
            layer("leaky", LayerKind::LeakyRelu { alpha: 0.2 }, vec![Src::Input], Weights::None),
            gap.clone(),
            layer("mul", LayerKind::Mul, vec![Src::Input, Src::Layer(1)], Weights::None),
        ],
        vec![
            layer("prelu", LayerKind::Prelu, vec![Src::Input], Weights::Prelu { slope }),
            layer("clip", LayerKind::Clip { min: -0.3, max: 0.4 }, vec![Src::Input], Weights::None),
            layer(
                "cat",
                LayerKind::Concat,
                vec![Src::Layer(0), Src::Input, Src::Layer(1)],
                Weights::None,
            ),
        ],
    ];
    for (i, layers) in cases.into_iter().enumerate() {
        check_with(&net_of(&[3, 2, 2], layers), 100 + i as u64, 0.0, 1e-3, 2e-2);
    }
}

#[test]
fn value_moving_ops_route_gradients_back() {
    let i64s = |d: &[usize], v: Vec<i64>| Operand::Const(Tensor::int(d, v, crate::nn::Elem::I64));
    let x = vec![Operand::Input(0)];
    let cases: Vec<Vec<Layer>> = vec![
        vec![op("t", Op::Transpose { perm: Some(vec![0, 3, 1, 2]) }, x.clone(), vec![Src::Input])],
        vec![op(
            "sl",
            Op::Slice { attrs: None },
            vec![
                Operand::Input(0),
                i64s(&[2], vec![0, 3]),
                i64s(&[2], vec![2, 0]),
                i64s(&[2], vec![1, 3]),
                i64s(&[2], vec![1, -2]),
            ],
            vec![Src::Input],
        )],
        vec![op(
            "pad",
            Op::Pad { mode: crate::nn::ops::pad::PadMode::Reflect, pads: None, value: 0.0 },
            vec![Operand::Input(0), i64s(&[8], vec![0, 0, 1, 1, 0, 0, 1, 2])],
            vec![Src::Input],
        )],
        vec![op(
            "pad0",
            Op::Pad { mode: crate::nn::ops::pad::PadMode::Constant, pads: None, value: 5.0 },
            vec![Operand::Input(0), i64s(&[8], vec![0, 1, 0, 1, 0, 0, 2, 0])],
            vec![Src::Input],
        )],
        vec![
            op_out(
                "s0",
                Op::Split { axis: 1, split: Some(vec![1, 2]), outputs: 2 },
                x.clone(),
                vec![Src::Input],
                0,
            ),
            op_out(
                "s1",
                Op::Split { axis: 1, split: Some(vec![1, 2]), outputs: 2 },
                x.clone(),
                vec![Src::Input],
                1,
            ),
            op("e", Op::Unary(Unary::Exp), x.clone(), vec![Src::Layer(0)]),
            op(
                "cat",
                Op::Concat { axis: 1 },
                vec![Operand::Input(0), Operand::Input(1), Operand::Input(2)],
                vec![Src::Layer(1), Src::Layer(2), Src::Input],
            ),
        ],
        vec![op("flat", Op::Flatten { axis: 2 }, x.clone(), vec![Src::Input])],
        vec![op("d2s", Op::SpaceToDepth { block: 2 }, x.clone(), vec![Src::Input])],
        vec![op(
            "tile",
            Op::Tile,
            vec![Operand::Input(0), i64s(&[4], vec![1, 2, 1, 2])],
            vec![Src::Input],
        )],
        vec![op(
            "g",
            Op::Gather { axis: 3 },
            vec![Operand::Input(0), i64s(&[3], vec![3, 0, 3])],
            vec![Src::Input],
        )],
    ];
    for (i, layers) in cases.into_iter().enumerate() {
        check_with(&net_of(&[1, 3, 2, 4], layers), 200 + i as u64, 0.0, 1e-3, 2e-2);
    }
}

#[test]
fn variadic_and_where_gradients() {
    for v in [Variadic::Sum, Variadic::Mean, Variadic::Max, Variadic::Min] {
        let net = net_of(
            &[2, 3],
            vec![
                op("sig", Op::Unary(Unary::Sigmoid), vec![Operand::Input(0)], vec![Src::Input]),
                op(
                    "v",
                    Op::Variadic(v),
                    vec![Operand::Input(0), Operand::Input(1)],
                    vec![Src::Input, Src::Layer(0)],
                ),
            ],
        );
        check_with(&net, 7, 0.0, 1e-3, 2e-2);
    }
}

#[test]
fn a_path_through_an_op_without_backward_names_it() {
    let net = net_of(
        &[1, 3, 2, 2],
        vec![
            op("round", Op::Unary(Unary::Sigmoid), vec![Operand::Input(0)], vec![Src::Input]),
            op("isnan", Op::Unary(Unary::IsNaN), vec![Operand::Input(0)], vec![Src::Layer(0)]),
            op(
                "cast",
                Op::Cast(crate::nn::Elem::F32),
                vec![Operand::Input(0)],
                vec![Src::Layer(1)],
            ),
        ],
    );
    let an = analyze(&net).unwrap();
    let err = path_check(&net, &an, Src::Layer(0), 2).unwrap_err();
    assert!(matches!(&err, BackError::NoBackward { layer, .. } if layer == "isnan"), "{err}");
    // From the bool layer itself on, the path is fine (its op is where the pass stops).
    assert!(path_check(&net, &an, Src::Layer(1), 2).is_ok());
}
