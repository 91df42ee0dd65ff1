//! Backward of the normalisations. Inference batch norm is a per-channel scale; the others
//! normalise over groups of values with their own statistics, so each value's gradient depends on
//! its whole group: with `x̂ = (x − μ)/σ` and `ĝ = g·γ`,
//! `∂s/∂x = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) / σ`.

use crate::nn::ops::OpError;

/// The gradient of one normalised run (`n` values, population variance, as the forward).
/// `gamma(i)` is the scale applied to value `i`.
pub fn normalize(x: &[f32], gy: &[f32], eps: f32, gamma: impl Fn(usize) -> f32) -> Vec<f32> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let nf = n as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / nf;
    let var = x.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / nf;
    let inv = 1.0 / (var + f64::from(eps)).sqrt();
    let xh: Vec<f64> = x.iter().map(|&v| (f64::from(v) - mean) * inv).collect();
    let gh: Vec<f64> =
        gy.iter().enumerate().map(|(i, &g)| f64::from(g) * f64::from(gamma(i))).collect();
    let m_g = gh.iter().sum::<f64>() / nf;
    let m_gx = gh.iter().zip(&xh).map(|(g, x)| g * x).sum::<f64>() / nf;
    gh.iter().zip(&xh).map(|(g, x)| ((g - m_g - x * m_gx) * inv) as f32).collect()
}

/// ONNX LRN `y_c = x_c / d_c^β`, `d_c = bias + α/size · Σ_{j ∈ win(c)} x_j²`, on `(D, H, W)`:
/// `∂s/∂x_i = g_i/d_i^β − 2x_i·β·α/size · Σ_{c: i ∈ win(c)} g_c·x_c·d_c^(−β−1)`.
pub fn lrn(
    x: &ndarray::ArrayView3<f32>,
    gy: &ndarray::ArrayView3<f32>,
    (size, alpha, beta, bias): (usize, f32, f32, f32),
) -> ndarray::Array3<f32> {
    let (depth, h, w) = x.dim();
    let (before, after) = ((size - 1) / 2, size / 2);
    let k = f64::from(alpha) / size as f64;
    let mut gx = ndarray::Array3::<f32>::zeros((depth, h, w));
    for r in 0..h {
        for c in 0..w {
            let xs: Vec<f64> = (0..depth).map(|d| f64::from(x[[d, r, c]])).collect();
            let gs: Vec<f64> = (0..depth).map(|d| f64::from(gy[[d, r, c]])).collect();
            let win = |ch: usize| ch.saturating_sub(before)..(ch + after + 1).min(depth);
            let dn: Vec<f64> = (0..depth)
                .map(|ch| f64::from(bias) + k * win(ch).map(|j| xs[j] * xs[j]).sum::<f64>())
                .collect();
            let b = f64::from(beta);
            // t_c = g_c·x_c·d_c^(−β−1), summed over every c whose window holds i.
            let t: Vec<f64> =
                (0..depth).map(|ch| gs[ch] * xs[ch] * dn[ch].powf(-b - 1.0)).collect();
            for i in 0..depth {
                let cross: f64 =
                    (0..depth).filter(|&ch| win(ch).contains(&i)).map(|ch| t[ch]).sum();
                gx[[i, r, c]] = (gs[i] * dn[i].powf(-b) - 2.0 * xs[i] * b * k * cross) as f32;
            }
        }
    }
    gx
}

/// `∂s/∂x` of an ONNX normalisation op (operands as the forward: scale, B, …), on `x` of
/// `dims`, in C order.
///
/// # Errors
/// A scale operand missing or of the wrong length (the forward would have refused it).
pub fn op(
    op: &crate::nn::ops::Op,
    dims: &[usize],
    x: &[f32],
    gy: &[f32],
    consts: &[Vec<f32>],
) -> Result<Vec<f32>, OpError> {
    use crate::nn::ops::Op;
    let vec = |i: usize| -> Result<&Vec<f32>, OpError> {
        consts.get(i).ok_or_else(|| OpError::Operand(format!("input {i} is missing")))
    };
    let mut gx = vec![0.0f32; x.len()];
    let (n, c) = (dims.first().copied().unwrap_or(1), dims.get(1).copied().unwrap_or(1));
    let inner: usize = dims.iter().skip(2).product();
    match op {
        Op::BatchNorm { eps } => {
            let (g, var) = (vec(1)?, vec(4)?);
            for s in 0..n {
                for (ch, (gc, vc)) in g.iter().zip(var.iter()).enumerate().take(c) {
                    let k = gc / (vc + eps).sqrt();
                    let at = (s * c + ch) * inner;
                    for i in at..at + inner {
                        gx[i] = gy[i] * k;
                    }
                }
            }
        }
        Op::InstanceNorm { eps } => {
            let g = vec(1)?;
            for s in 0..n {
                for (ch, &gc) in g.iter().enumerate().take(c) {
                    let r = (s * c + ch) * inner..(s * c + ch + 1) * inner;
                    let v = normalize(&x[r.clone()], &gy[r.clone()], *eps, |_| gc);
                    gx[r].copy_from_slice(&v);
                }
            }
        }
        Op::GroupNorm { groups, eps } => {
            let g = vec(1)?;
            let per = c / groups;
            for s in 0..n {
                for grp in 0..*groups {
                    let r = (s * c + grp * per) * inner..(s * c + (grp + 1) * per) * inner;
                    let v = normalize(&x[r.clone()], &gy[r.clone()], *eps, |i| {
                        let ch = grp * per + i / inner.max(1);
                        if g.len() == c { g[ch] } else { g[grp] }
                    });
                    gx[r].copy_from_slice(&v);
                }
            }
        }
        Op::LayerNorm { axis, eps } => {
            let a = crate::nn::ops::axis(*axis, dims.len())?;
            let run: usize = dims[a..].iter().product();
            let g = vec(1)?;
            if run > 0 {
                for (k, (xs, gs)) in x.chunks(run).zip(gy.chunks(run)).enumerate() {
                    let v = normalize(xs, gs, *eps, |i| g[i % g.len().max(1)]);
                    gx[k * run..(k + 1) * run].copy_from_slice(&v);
                }
            }
        }
        Op::LpNorm { axis, p } => {
            let a = crate::nn::ops::axis(*axis, dims.len())?;
            let (len, inner) = (dims[a], dims[a + 1..].iter().product::<usize>());
            let outer: usize = dims[..a].iter().product();
            for o in 0..outer {
                for i in 0..inner {
                    let at = |k: usize| (o * len + k) * inner + i;
                    let norm: f64 = (0..len)
                        .map(|k| f64::from(x[at(k)]))
                        .map(|v| if *p == 1 { v.abs() } else { v * v })
                        .sum();
                    let norm = if *p == 1 { norm } else { norm.sqrt() };
                    if norm == 0.0 {
                        (0..len).for_each(|k| gx[at(k)] = gy[at(k)]);
                        continue;
                    }
                    // y = x/‖x‖: ∂s/∂x = (g − ∂‖x‖/∂x · Σ g·y)/‖x‖.
                    let dot: f64 =
                        (0..len).map(|k| f64::from(gy[at(k)]) * f64::from(x[at(k)]) / norm).sum();
                    for k in 0..len {
                        let xv = f64::from(x[at(k)]);
                        let dn =
                            if *p == 1 { xv.signum() * f64::from(xv != 0.0) } else { xv / norm };
                        gx[at(k)] = ((f64::from(gy[at(k)]) - dn * dot) / norm) as f32;
                    }
                }
            }
        }
        _ => return Err(OpError::Unsupported(op.name().into())),
    }
    Ok(gx)
}
