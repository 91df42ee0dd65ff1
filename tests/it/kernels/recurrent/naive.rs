//! Sizes the JSON vectors are too small for: the batch > 1 recurrent GEMM through gemm itself
//! (the vectors' products are small enough for the plain loop), and the two-thread
//! bidirectional path, against a plain float64 loop written from the spec's equations.

use convscope::nn::ops::recurrent::{Cell, RnnAttrs, RnnParams, gru, lstm};
use ndarray::{ArrayD, IxDyn};

/// Deterministic values in [−scale, scale).
fn values(dims: &[usize], seed: u64, scale: f32) -> ArrayD<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let n = dims.iter().product();
    let v = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(dims), v).unwrap()
}

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

struct Net {
    cell: Cell,
    x: ArrayD<f32>,
    w: ArrayD<f32>,
    r: ArrayD<f32>,
    b: ArrayD<f32>,
    h0: ArrayD<f32>,
    c0: ArrayD<f32>,
    p: ArrayD<f32>,
    lens: Vec<i64>,
    lbr: bool,
}

impl Net {
    fn new(cell: Cell, seq: usize, batch: usize, input: usize, h: usize, lbr: bool) -> Net {
        let g = cell.gates();
        Net {
            cell,
            x: values(&[seq, batch, input], 1, 1.0),
            w: values(&[2, g * h, input], 2, 0.15),
            r: values(&[2, g * h, h], 3, 0.15),
            b: values(&[2, 2 * g * h], 4, 0.2),
            h0: values(&[2, batch, h], 5, 0.5),
            c0: values(&[2, batch, h], 6, 0.5),
            p: values(&[2, 3 * h], 7, 0.3),
            lens: (0..batch).map(|b| (seq - (b * 7) % seq) as i64).collect(),
            lbr,
        }
    }

    /// Y `[seq, 2, batch, H]` by plain loops in f64, straight from the spec's equations.
    fn reference(&self) -> Vec<f64> {
        let (seq, batch, input) = (self.x.shape()[0], self.x.shape()[1], self.x.shape()[2]);
        let h = self.r.shape()[2];
        let g = self.cell.gates();
        let mut y = vec![0.0; seq * 2 * batch * h];
        let f = |a: &ArrayD<f32>, i: &[usize]| a[IxDyn(i)] as f64;
        for d in 0..2 {
            for b in 0..batch {
                let len = self.lens[b] as usize;
                let mut hs: Vec<f64> = (0..h).map(|j| f(&self.h0, &[d, b, j])).collect();
                let mut cs: Vec<f64> = (0..h).map(|j| f(&self.c0, &[d, b, j])).collect();
                for s in 0..len {
                    let t = if d == 1 { len - 1 - s } else { s };
                    // wx[k] + wb[k], rh[k] + rb[k] for every gate row k.
                    let wx: Vec<f64> = (0..g * h)
                        .map(|k| {
                            (0..input)
                                .map(|i| f(&self.w, &[d, k, i]) * f(&self.x, &[t, b, i]))
                                .sum::<f64>()
                                + f(&self.b, &[d, k])
                        })
                        .collect();
                    let rv = |k: usize, v: &[f64]| {
                        (0..h).map(|i| f(&self.r, &[d, k, i]) * v[i]).sum::<f64>()
                    };
                    let rb = |k: usize| f(&self.b, &[d, g * h + k]);
                    let new: Vec<f64> = if self.cell == Cell::Lstm {
                        let pre = |k: usize| wx[k] + rv(k, &hs) + rb(k);
                        let mut out = vec![0.0; h];
                        for j in 0..h {
                            let p = |q: usize| f(&self.p, &[d, q * h + j]);
                            let i = sig(pre(j) + p(0) * cs[j]);
                            let fg = sig(pre(2 * h + j) + p(2) * cs[j]);
                            let c = pre(3 * h + j).tanh();
                            cs[j] = fg * cs[j] + i * c;
                            let o = sig(pre(h + j) + p(1) * cs[j]);
                            out[j] = o * cs[j].tanh();
                        }
                        out
                    } else {
                        let z: Vec<f64> = (0..h).map(|j| sig(wx[j] + rv(j, &hs) + rb(j))).collect();
                        let r: Vec<f64> =
                            (0..h).map(|j| sig(wx[h + j] + rv(h + j, &hs) + rb(h + j))).collect();
                        let rh: Vec<f64> = (0..h).map(|j| r[j] * hs[j]).collect();
                        (0..h)
                            .map(|j| {
                                let k = 2 * h + j;
                                let hh = if self.lbr {
                                    (wx[k] + r[j] * (rv(k, &hs) + rb(k))).tanh()
                                } else {
                                    (wx[k] + rv(k, &rh) + rb(k)).tanh()
                                };
                                (1.0 - z[j]) * hh + z[j] * hs[j]
                            })
                            .collect()
                    };
                    hs = new;
                    for j in 0..h {
                        y[((t * 2 + d) * batch + b) * h + j] = hs[j];
                    }
                }
            }
        }
        y
    }

    fn run(&self) -> ArrayD<f32> {
        let h = self.r.shape()[2];
        let attrs = RnnAttrs {
            direction: Some("bidirectional".into()),
            hidden_size: Some(h as i64),
            linear_before_reset: (self.cell == Cell::Gru).then_some(self.lbr as i64),
            ..Default::default()
        };
        let p = RnnParams::from_attrs(self.cell, 14, &attrs).unwrap();
        let (x, w, r, b, h0) =
            (self.x.view(), self.w.view(), self.r.view(), self.b.view(), self.h0.view());
        let lens = Some(&self.lens[..]);
        match self.cell {
            Cell::Lstm => lstm(
                x,
                w,
                r,
                Some(b),
                lens,
                Some(h0),
                Some(self.c0.view()),
                Some(self.p.view()),
                &p,
            ),
            Cell::Gru => gru(x, w, r, Some(b), lens, Some(h0), &p),
        }
        .unwrap()
        .y
    }
}

fn check(net: &Net) {
    let want = net.reference();
    let got = net.run();
    assert_eq!(got.len(), want.len());
    let worst = got
        .iter()
        .zip(&want)
        .map(|(&g, &w)| (g as f64 - w).abs() / w.abs().max(0.1))
        .fold(0.0, f64::max);
    assert!(worst <= 1e-5, "{:?} lbr {}: worst {worst:.2e}", net.cell, net.lbr);
}

/// Batch 3, hidden 40: H·Rᵀ is 3×160×40 (LSTM) = 19 200 multiply-adds, past the plain loop.
#[test]
fn batch_gemm_path() {
    check(&Net::new(Cell::Lstm, 6, 3, 24, 40, false));
    check(&Net::new(Cell::Gru, 6, 3, 24, 40, false));
    check(&Net::new(Cell::Gru, 6, 3, 24, 40, true));
}

/// Past 2²² = 4 194 304 multiply-adds the directions run on two threads (on a machine with
/// two cores or more): LSTM seq 40 × batch 2 × gates·H 384 × (input 64 + H 96) = 4 915 200;
/// GRU 50 × 2 × 288 × 160 = 4 608 000; LSTM batch 1, 80 × 1 × 384 × 160 = 4 915 200.
#[test]
fn two_thread_bidirectional() {
    check(&Net::new(Cell::Lstm, 40, 2, 64, 96, false));
    check(&Net::new(Cell::Gru, 50, 2, 64, 96, true));
    check(&Net::new(Cell::Lstm, 80, 1, 64, 96, false));
}
