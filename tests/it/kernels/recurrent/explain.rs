//! The explain panel against the kernels' own outputs.

use super::common::load;
use convscope::nn::ops::recurrent::{GateQuery, Layout, gates_at};

/// For every reference case, direction and a spread of times, units and batch entries, the
/// explanation's h is Y's value (and for an LSTM, the C it reports at a sequence's last step
/// is Y_c's); past a sequence's end it is an error.
#[test]
fn gates_at_agrees_with_the_kernels() {
    let mut checked = 0;
    for case in load("lstm.json").into_iter().chain(load("gru.json")) {
        let o = case.owned();
        let out = case.run(&o);
        let p = case.params();
        let inputs = case.inputs(&o);
        let batch_major = p.layout == Layout::BatchMajor;
        let (seq, batch) = if batch_major {
            (o.x.shape()[1], o.x.shape()[0])
        } else {
            (o.x.shape()[0], o.x.shape()[1])
        };
        let hidden = o.r.shape()[2];
        for d in 0..p.direction.count() {
            for b in 0..batch {
                let len = o.lens.as_ref().map_or(seq, |l| l[b] as usize);
                for t in 0..seq {
                    let j = (t + b + d) % hidden;
                    let q = GateQuery { direction: d, t, batch: b, unit: j };
                    let res = gates_at(&inputs, &p, q);
                    if t >= len {
                        assert!(res.is_err(), "{}: t {t} past {len}", case.name);
                        continue;
                    }
                    let g = res.unwrap_or_else(|e| panic!("{}: {e}", case.name));
                    let y = if batch_major { out.y[[b, t, d, j]] } else { out.y[[t, d, b, j]] };
                    let h = g.rows.last().unwrap().value;
                    assert!(
                        (h - y).abs() <= 1e-5 * y.abs().max(0.1),
                        "{} {q:?}: h {h}, Y {y}",
                        case.name
                    );
                    let last = if p.direction.is_reverse(d) { 0 } else { len - 1 };
                    if let (Some(yc), true) = (&out.y_c, t == last) {
                        let c = g.rows.iter().find(|r| r.name == "C").unwrap().value;
                        let want = if batch_major { yc[[b, d, j]] } else { yc[[d, b, j]] };
                        assert!((c - want).abs() <= 1e-5 * want.abs().max(0.1), "{} C", case.name);
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 400, "{checked}");
}
