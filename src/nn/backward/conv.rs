//! Backward of convolutions with respect to their input.
//!
//! Conv: `V[k, r, c] = Σ X[ci, r·S − P + fy·d, c·S − P + fx·d]·W[k, fy, fx, ci] + b[k]`, so
//! `∂s/∂X[ci, iy, ix] = Σ_k Σ_taps W[k, fy, fx, ci]·G[k, r, c]` over the outputs whose window
//! puts tap `(fy, fx)` on `(iy, ix)`. Per group this is one GEMM, `cols = Wᵀ_g · G_g`
//! (`FH·FW·C_g × pixels`), then col2im scatter-adds each row of `cols` back onto its input
//! plane, shifted by its tap. Depthwise convs (one channel per group) take a direct loop.
//!
//! ConvTranspose is the transpose of a conv, so its input gradient is a conv of `G` with its
//! weights: `∂s/∂X[ci, iy, ix] = Σ_k Σ_taps W[ci, k, fy, fx]·G[k, iy·S + fy·d − P, …]`.

use crate::nn::geometry::{Axis, ConvGeometry};
use crate::nn::kernels::sgemm::{Mat, matmul, parallelism};
use crate::nn::ops::convt::geometry::{ConvTransposeGeometry, TransposeAxis};
use ndarray::{Array3, ArrayView3, ArrayView4};

/// Most values one band of `cols` may hold (16 MiB).
const BAND_VALUES: usize = 1 << 22;

/// Input index of output `o`'s tap `t` along an axis, if it is inside the input.
fn tap(a: &Axis, o: usize, t: usize) -> Option<usize> {
    let i = (o * a.stride + t * a.dilation) as i64 - a.pad_before as i64;
    (0..a.n as i64).contains(&i).then_some(i as usize)
}

/// `∂s/∂X` of a conv with weights `w` `(K, FH, FW, C/groups)`, from `gy` `(K, OH, OW)`.
///
/// # Panics
/// If the shapes disagree with the geometry (a bug in shape analysis).
pub fn conv_input(gy: &ArrayView3<f32>, w: &ArrayView4<f32>, g: &ConvGeometry) -> Array3<f32> {
    let (ra, ca) = (g.window.rows, g.window.cols);
    let (k, oh, ow) = gy.dim();
    assert_eq!((k, oh, ow), (g.filters, ra.out, ca.out), "conv backward: gradient shape");
    let (fh, fw, cg) = (ra.f, ca.f, g.cg());
    assert_eq!(w.dim(), (k, fh, fw, cg), "conv backward: weight shape");
    let (c, h, wd) = (g.input.d, g.input.h, g.input.w);
    let mut gx = Array3::<f32>::zeros((c, h, wd));
    let kg = g.kg();
    let gy = gy.as_standard_layout();
    let w = w.as_standard_layout();
    let gys = gy.as_slice().expect("standard layout");
    let ws = w.as_slice().expect("standard layout");
    let gxs = gx.as_slice_mut().expect("standard layout");
    let npix = oh * ow;
    if cg == 1 && kg == 1 {
        // Depthwise: filter k reads only channel k.
        for ch in 0..k {
            let plane = &mut gxs[ch * h * wd..(ch + 1) * h * wd];
            for fy in 0..fh {
                for fx in 0..fw {
                    let wv = ws[(ch * fh + fy) * fw + fx];
                    for r in 0..oh {
                        let Some(iy) = tap(&ra, r, fy) else { continue };
                        let grow = &gys[ch * npix + r * ow..ch * npix + (r + 1) * ow];
                        for (cc, &gv) in grow.iter().enumerate() {
                            if let Some(ix) = tap(&ca, cc, fx) {
                                plane[iy * wd + ix] += wv * gv;
                            }
                        }
                    }
                }
            }
        }
        return gx;
    }
    let f2 = fh * fw * cg;
    if npix == 0 || f2 == 0 {
        return gx;
    }
    let band_rows = (BAND_VALUES / (f2 * ow).max(1)).clamp(1, oh);
    let mut cols = vec![0.0f32; f2 * band_rows * ow];
    for grp in 0..g.groups {
        // Wᵀ_g: (FH·FW·C_g × K_g), the group's rows of W read with swapped strides.
        let wt = Mat {
            data: &ws[grp * kg * f2..(grp + 1) * kg * f2],
            rows: f2,
            cols: kg,
            rs: 1,
            cs: f2,
        };
        let mut r0 = 0;
        while r0 < oh {
            let nb = band_rows.min(oh - r0);
            let ncols = nb * ow;
            let gband = Mat {
                data: &gys[grp * kg * npix + r0 * ow..],
                rows: kg,
                cols: ncols,
                rs: npix,
                cs: 1,
            };
            let dst = &mut cols[..f2 * ncols];
            matmul(dst, ncols, wt, gband, parallelism(2 * f2 * kg * ncols));
            for fy in 0..fh {
                for fx in 0..fw {
                    for ci in 0..cg {
                        let row = &dst[((fy * fw + fx) * cg + ci) * ncols..][..ncols];
                        let ch = grp * cg + ci;
                        let plane = &mut gxs[ch * h * wd..(ch + 1) * h * wd];
                        for rr in 0..nb {
                            let Some(iy) = tap(&ra, r0 + rr, fy) else { continue };
                            for cc in 0..ow {
                                if let Some(ix) = tap(&ca, cc, fx) {
                                    plane[iy * wd + ix] += row[rr * ow + cc];
                                }
                            }
                        }
                    }
                }
            }
            r0 += nb;
        }
    }
    gx
}

/// Output index of input `i`'s tap `t` along a ConvTranspose axis, if it lands in the output.
fn out_of(a: &TransposeAxis, i: usize, t: usize) -> Option<usize> {
    let o = (i * a.stride + t * a.dilation) as i64 - a.pad_begin as i64;
    (0..a.out as i64).contains(&o).then_some(o as usize)
}

/// `∂s/∂X` of a ConvTranspose with ONNX weights `w` `(C, K/groups, FH, FW)`, from `gy`
/// `(K, OH, OW)`.
///
/// # Panics
/// If the shapes disagree with the geometry.
pub fn conv_transpose_input(
    gy: &ArrayView3<f32>,
    w: &ArrayView4<f32>,
    g: &ConvTransposeGeometry,
) -> Array3<f32> {
    let (c, h, wd) = (g.input.c, g.input.h, g.input.w);
    let (wc, kg, fh, fw) = w.dim();
    assert_eq!(wc, c, "conv_transpose backward: weight shape");
    assert_eq!(gy.dim().0, kg * g.groups, "conv_transpose backward: gradient depth");
    let cg = c / g.groups.max(1);
    Array3::from_shape_fn((c, h, wd), |(ci, iy, ix)| {
        let grp = ci / cg.max(1);
        let mut s = 0.0f32;
        for kk in 0..kg {
            let k = grp * kg + kk;
            for fy in 0..fh {
                let Some(r) = out_of(&g.rows, iy, fy) else { continue };
                for fx in 0..fw {
                    if let Some(cc) = out_of(&g.cols, ix, fx) {
                        s += w[[ci, kk, fy, fx]] * gy[[k, r, cc]];
                    }
                }
            }
        }
        s
    })
}
