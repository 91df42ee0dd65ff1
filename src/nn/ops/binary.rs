//! Element-wise ops of several tensors with numpy broadcasting: arithmetic, comparisons, logic,
//! `Where`, and the variadic Sum/Mean/Max/Min.
//!
//! Broadcasting aligns the trailing axes; each pair of dims must be equal or one of them 1, and
//! the output takes the larger.

use super::{Args, Info, OpError, shape_err};
use crate::nn::tensor::{Elem, Tensor, dims_text};
use ndarray::{ArrayD, ArrayViewD, IxDyn, Zip};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    /// ONNX Mod: `fmod` semantics when `fmod`, else the sign of the divisor (integers).
    Mod {
        fmod: bool,
    },
    Max,
    Min,
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    And,
    Or,
    Xor,
    /// PRelu: `x if x ≥ 0 else slope·x`, the slope broadcast to x.
    Prelu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variadic {
    Sum,
    Mean,
    Max,
    Min,
}

impl Variadic {
    pub fn name(self) -> &'static str {
        match self {
            Variadic::Sum => "sum",
            Variadic::Mean => "mean",
            Variadic::Max => "max",
            Variadic::Min => "min",
        }
    }
}

impl Binary {
    pub fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Pow => "pow",
            Binary::Mod { .. } => "mod",
            Binary::Max => "max",
            Binary::Min => "min",
            Binary::Equal => "equal",
            Binary::Less => "less",
            Binary::LessOrEqual => "less_or_equal",
            Binary::Greater => "greater",
            Binary::GreaterOrEqual => "greater_or_equal",
            Binary::And => "and",
            Binary::Or => "or",
            Binary::Xor => "xor",
            Binary::Prelu => "prelu",
        }
    }

    /// `a + b`, for the explain panel.
    pub fn formula(self) -> &'static str {
        match self {
            Binary::Add => "a + b",
            Binary::Sub => "a − b",
            Binary::Mul => "a · b",
            Binary::Div => "a / b",
            Binary::Pow => "a ^ b",
            Binary::Mod { .. } => "a mod b",
            Binary::Max => "max(a, b)",
            Binary::Min => "min(a, b)",
            Binary::Equal => "a == b",
            Binary::Less => "a < b",
            Binary::LessOrEqual => "a ≤ b",
            Binary::Greater => "a > b",
            Binary::GreaterOrEqual => "a ≥ b",
            Binary::And => "a and b",
            Binary::Or => "a or b",
            Binary::Xor => "a xor b",
            Binary::Prelu => "x if x ≥ 0 else slope·x",
        }
    }

    fn is_compare(self) -> bool {
        use Binary::*;
        matches!(self, Equal | Less | LessOrEqual | Greater | GreaterOrEqual | And | Or | Xor)
    }

    fn f32(self, a: f32, b: f32) -> f32 {
        match self {
            Binary::Add => a + b,
            Binary::Sub => a - b,
            Binary::Mul => a * b,
            Binary::Div => a / b,
            Binary::Pow => a.powf(b),
            Binary::Mod { fmod: true } => a % b,
            // Without fmod the result takes the divisor's sign (Python's %), as for integers.
            Binary::Mod { fmod: false } => {
                let r = a % b;
                if r != 0.0 && (r < 0.0) != (b < 0.0) { r + b } else { r }
            }
            Binary::Max => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.max(b)
                }
            }
            Binary::Min => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.min(b)
                }
            }
            Binary::Equal => (a == b) as u8 as f32,
            Binary::Less => (a < b) as u8 as f32,
            Binary::LessOrEqual => (a <= b) as u8 as f32,
            Binary::Greater => (a > b) as u8 as f32,
            Binary::GreaterOrEqual => (a >= b) as u8 as f32,
            Binary::And => ((a != 0.0) && (b != 0.0)) as u8 as f32,
            Binary::Or => ((a != 0.0) || (b != 0.0)) as u8 as f32,
            Binary::Xor => ((a != 0.0) ^ (b != 0.0)) as u8 as f32,
            Binary::Prelu => {
                if a < 0.0 {
                    a * b
                } else {
                    a
                }
            }
        }
    }

    /// On integers: wrapping arithmetic, and division errors for a zero divisor.
    fn i64(self, a: i64, b: i64) -> Result<i64, OpError> {
        Ok(match self {
            Binary::Add => a.wrapping_add(b),
            Binary::Sub => a.wrapping_sub(b),
            Binary::Mul => a.wrapping_mul(b),
            Binary::Div => a.checked_div(b).ok_or_else(|| shape_err("integer division by zero"))?,
            Binary::Pow => match u32::try_from(b) {
                Ok(e) => a.wrapping_pow(e),
                Err(_) => 0,
            },
            Binary::Mod { fmod } => {
                let r = a.checked_rem(b).ok_or_else(|| shape_err("integer modulo by zero"))?;
                if !fmod && r != 0 && (r < 0) != (b < 0) { r + b } else { r }
            }
            Binary::Max => a.max(b),
            Binary::Min => a.min(b),
            Binary::Prelu => {
                if a < 0 {
                    a.wrapping_mul(b)
                } else {
                    a
                }
            }
            other => other.f32(a as f32, b as f32) as i64,
        })
    }
}

/// The numpy broadcast of two dims lists.
///
/// # Errors
/// Dims that are neither equal nor 1.
pub fn broadcast_dims(a: &[usize], b: &[usize]) -> Result<Vec<usize>, OpError> {
    let r = a.len().max(b.len());
    let at = |d: &[usize], i: usize| if i + d.len() >= r { d[i + d.len() - r] } else { 1 };
    (0..r)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y || y == 1 => Ok(x),
            (1, y) => Ok(y),
            _ => Err(shape_err(format!(
                "dims {} and {} do not broadcast",
                dims_text(a),
                dims_text(b)
            ))),
        })
        .collect()
}

pub(super) fn infer(op: Binary, args: &Args<Info>) -> Result<Info, OpError> {
    let a = args.need(0, "A")?;
    let b = args.need(1, "B")?;
    let dims = broadcast_dims(&a.dims, &b.dims)?;
    if op == Binary::Prelu && dims != a.dims {
        return Err(shape_err(format!(
            "slope {} does not broadcast to the input {}",
            dims_text(&b.dims),
            dims_text(&a.dims)
        )));
    }
    let elem = if op.is_compare() {
        Elem::Bool
    } else if a.elem.is_float() || b.elem.is_float() {
        Elem::F32
    } else {
        a.elem
    };
    Ok(Info::new(dims, elem))
}

/// A view of `x` broadcast to `dims`.
fn spread<'a, T>(x: &'a ArrayViewD<'a, T>, dims: &[usize]) -> Result<ArrayViewD<'a, T>, OpError> {
    x.broadcast(IxDyn(dims)).ok_or_else(|| {
        shape_err(format!("{} does not broadcast to {}", dims_text(x.shape()), dims_text(dims)))
    })
}

/// The arithmetic ops on contiguous block-broadcast operands, each with its function inlined.
fn fast_f32(
    op: Binary,
    a: &ArrayViewD<'_, f32>,
    b: &ArrayViewD<'_, f32>,
    out: &[usize],
) -> Option<ArrayD<f32>> {
    match op {
        Binary::Add => super::fast::zip(a, b, out, |p, q| p + q),
        Binary::Sub => super::fast::zip(a, b, out, |p, q| p - q),
        Binary::Mul => super::fast::zip(a, b, out, |p, q| p * q),
        Binary::Div => super::fast::zip(a, b, out, |p, q| p / q),
        _ => super::fast::zip(a, b, out, |p, q| op.f32(p, q)),
    }
}

pub(super) fn eval(op: Binary, args: &Args<Tensor>, out: &Info) -> Result<Tensor, OpError> {
    let (a, b) = (args.get(0)?, args.get(1)?);
    if out.elem.is_float() || (op.is_compare() && (a.elem().is_float() || b.elem().is_float())) {
        let (fa, fb) = (a.to_f32(), b.to_f32());
        let (va, vb) = (fa.view(), fb.view());
        if !op.is_compare()
            && let Some(y) = fast_f32(op, &va, &vb, &out.dims)
        {
            return Ok(Tensor::F32(y.into_shared()));
        }
        let (sa, sb) = (spread(&va, &out.dims)?, spread(&vb, &out.dims)?);
        let mut y = ArrayD::<f32>::zeros(IxDyn(&out.dims));
        Zip::from(&mut y).and(&sa).and(&sb).for_each(|o, &p, &q| *o = op.f32(p, q));
        return Ok(if op.is_compare() {
            Tensor::Int(y.mapv(|v| v as i64).into_shared(), Elem::Bool)
        } else {
            Tensor::F32(y.into_shared())
        });
    }
    let (ia, ib) = (a.to_i64(), b.to_i64());
    let (va, vb) = (ia.view(), ib.view());
    let (sa, sb) = (spread(&va, &out.dims)?, spread(&vb, &out.dims)?);
    let mut y = ArrayD::<i64>::zeros(IxDyn(&out.dims));
    let mut err = None;
    Zip::from(&mut y).and(&sa).and(&sb).for_each(|o, &p, &q| match op.i64(p, q) {
        Ok(v) => *o = v,
        Err(e) => err = Some(e),
    });
    if let Some(e) = err {
        return Err(e);
    }
    Ok(Tensor::Int(y.into_shared(), out.elem))
}

pub(super) fn infer_variadic(args: &Args<Info>) -> Result<Info, OpError> {
    let first = args.need(0, "input")?;
    let mut dims = first.dims.clone();
    let mut elem = first.elem;
    for i in 1..args.len() {
        if let Some(x) = args.info(i) {
            dims = broadcast_dims(&dims, &x.dims)?;
            if x.elem.is_float() {
                elem = Elem::F32;
            }
        }
    }
    Ok(Info::new(dims, elem))
}

pub(super) fn eval_variadic(
    v: Variadic,
    args: &Args<Tensor>,
    out: &Info,
) -> Result<Tensor, OpError> {
    let mut acc = ArrayD::<f32>::zeros(IxDyn(&out.dims));
    let mut n = 0usize;
    for i in 0..args.len() {
        let Some(x) = args.value(i) else { continue };
        let fx = x.to_f32();
        let vx = fx.view();
        let s = spread(&vx, &out.dims)?;
        if n == 0 {
            acc.assign(&s);
        } else {
            let f = match v {
                Variadic::Sum | Variadic::Mean => Binary::Add,
                Variadic::Max => Binary::Max,
                Variadic::Min => Binary::Min,
            };
            Zip::from(&mut acc).and(&s).for_each(|o, &q| *o = f.f32(*o, q));
        }
        n += 1;
    }
    if v == Variadic::Mean && n > 0 {
        acc.mapv_inplace(|x| x / n as f32);
    }
    Ok(if out.elem.is_float() {
        Tensor::F32(acc.into_shared())
    } else {
        Tensor::Int(acc.mapv(|x| x as i64).into_shared(), out.elem)
    })
}

pub(super) fn infer_where(args: &Args<Info>) -> Result<Info, OpError> {
    let c = args.need(0, "condition")?;
    let x = args.need(1, "X")?;
    let y = args.need(2, "Y")?;
    let dims = broadcast_dims(&broadcast_dims(&c.dims, &x.dims)?, &y.dims)?;
    let elem = if x.elem.is_float() || y.elem.is_float() { Elem::F32 } else { x.elem };
    Ok(Info::new(dims, elem))
}

pub(super) fn eval_where(args: &Args<Tensor>, out: &Info) -> Result<Tensor, OpError> {
    let c = args.get(0)?.to_i64();
    let vc = c.view();
    let sc = spread(&vc, &out.dims)?;
    if out.elem.is_float() {
        let (x, y) = (args.get(1)?.to_f32(), args.get(2)?.to_f32());
        let (vx, vy) = (x.view(), y.view());
        let (sx, sy) = (spread(&vx, &out.dims)?, spread(&vy, &out.dims)?);
        let mut o = ArrayD::<f32>::zeros(IxDyn(&out.dims));
        Zip::from(&mut o)
            .and(&sc)
            .and(&sx)
            .and(&sy)
            .for_each(|o, &c, &a, &b| *o = if c != 0 { a } else { b });
        return Ok(Tensor::F32(o.into_shared()));
    }
    let (x, y) = (args.get(1)?.to_i64(), args.get(2)?.to_i64());
    let (vx, vy) = (x.view(), y.view());
    let (sx, sy) = (spread(&vx, &out.dims)?, spread(&vy, &out.dims)?);
    let mut o = ArrayD::<i64>::zeros(IxDyn(&out.dims));
    Zip::from(&mut o)
        .and(&sc)
        .and(&sx)
        .and(&sy)
        .for_each(|o, &c, &a, &b| *o = if c != 0 { a } else { b });
    Ok(Tensor::Int(o.into_shared(), out.elem))
}

#[cfg(test)]
mod tests {
    use super::super::Op;
    use super::super::testutil::{X, f, i, run, vals};
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_dims(&[2, 1], &[3]).unwrap(), [2, 3]);
        assert_eq!(broadcast_dims(&[1, 3, 4, 4], &[3, 1, 1]).unwrap(), [1, 3, 4, 4]);
        assert!(broadcast_dims(&[1, 3, 4, 4], &[5, 1, 1]).is_err(), "5 channels do not fit 3");
        // [2, 1] + [3] = [[1+10, 1+20, 1+30], [2+10, 2+20, 2+30]].
        let y = run(
            Op::Binary(Binary::Add),
            vec![X::R(f(&[2, 1], &[1., 2.])), X::C(f(&[3], &[10., 20., 30.]))],
        )
        .unwrap();
        assert_eq!(vals(&y), [11., 21., 31., 12., 22., 32.]);
    }

    #[test]
    fn integer_arithmetic_is_exact_and_division_by_zero_an_error() {
        let big = 1i64 << 40;
        let y =
            run(Op::Binary(Binary::Mul), vec![X::R(i(&[1], &[big])), X::C(i(&[1], &[3]))]).unwrap();
        assert_eq!(y.ints(), [3 * big]);
        assert!(
            run(Op::Binary(Binary::Div), vec![X::R(i(&[1], &[4])), X::C(i(&[1], &[0]))]).is_err()
        );
        // Mod takes the divisor's sign without fmod: −7 mod 3 = 2; 7 mod −3 = −2.
        let y = run(
            Op::Binary(Binary::Mod { fmod: false }),
            vec![X::R(i(&[2], &[-7, 7])), X::C(i(&[2], &[3, -3]))],
        )
        .unwrap();
        assert_eq!(y.ints(), [2, -2]);
    }

    #[test]
    fn comparisons_where_and_prelu() {
        let c = run(
            Op::Binary(Binary::Greater),
            vec![X::R(f(&[3], &[-1., 0., 2.])), X::C(f(&[], &[0.]))],
        )
        .unwrap();
        assert_eq!((c.elem(), vals(&c)), (Elem::Bool, vec![0., 0., 1.]));
        let w = run(Op::Where, vec![X::R(c), X::C(f(&[3], &[1., 2., 3.])), X::C(f(&[], &[-9.]))])
            .unwrap();
        assert_eq!(vals(&w), [-9., -9., 3.]);
        // PRelu with a per-channel slope [C, 1, 1] on [1, 2, 1, 2].
        let p = run(
            Op::Binary(Binary::Prelu),
            vec![X::R(f(&[1, 2, 1, 2], &[-2., 4., -2., 4.])), X::C(f(&[2, 1, 1], &[0.5, 0.25]))],
        )
        .unwrap();
        assert_eq!(vals(&p), [-1., 4., -0.5, 4.]);
        let bad = run(
            Op::Binary(Binary::Prelu),
            vec![X::R(f(&[1, 3, 1, 1], &[1.; 3])), X::C(f(&[5, 1, 1], &[0.25; 5]))],
        );
        assert!(bad.is_err(), "five slopes do not fit three channels");
    }

    #[test]
    fn variadic_mean_of_three() {
        let y = run(
            Op::Variadic(Variadic::Mean),
            vec![X::R(f(&[2], &[1., 2.])), X::C(f(&[2], &[3., 4.])), X::C(f(&[1], &[5.]))],
        )
        .unwrap();
        assert_eq!(vals(&y), [3., 11. / 3.]);
    }
}
