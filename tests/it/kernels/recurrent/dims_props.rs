//! output_dims on arbitrary shapes: an answer, never a panic.

use convscope::nn::ops::recurrent::{Cell, Layout, MAX_DIM, RnnAttrs, RnnParams, output_dims};
use proptest::prelude::*;

fn arb_dims() -> impl Strategy<Value = Vec<usize>> {
    let dim = prop_oneof![
        0usize..14,
        Just(MAX_DIM),
        Just(MAX_DIM + 1),
        1usize << 20..1 << 26,
        any::<usize>()
    ];
    prop::collection::vec(dim, 0..5)
}

fn arb_params() -> impl Strategy<Value = RnnParams> {
    (any::<bool>(), 0usize..3, 0i64..2, prop::option::of(1i64..5)).prop_map(
        |(lstm, d, layout, hs)| {
            let cell = if lstm { Cell::Lstm } else { Cell::Gru };
            let dir = ["forward", "reverse", "bidirectional"][d];
            let a = RnnAttrs {
                direction: Some(dir.into()),
                layout: Some(layout),
                hidden_size: hs,
                ..Default::default()
            };
            RnnParams::from_attrs(cell, 14, &a).unwrap()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Arbitrary dims for every input: an answer, never a panic.
    #[test]
    fn output_dims_never_panics(
        p in arb_params(),
        x in arb_dims(), w in arb_dims(), r in arb_dims(),
        opt in prop::collection::vec(prop::option::of(arb_dims()), 5),
    ) {
        let o = |i: usize| opt[i].as_deref();
        let _ = output_dims(&p, &x, &w, &r, o(0), o(1), o(2), o(3), o(4));
    }

    /// Consistent shapes (reaching the deeper checks), some sizes huge: an answer, never a
    /// panic, and an Ok one whose outputs agree with the inputs.
    #[test]
    fn consistent_shapes_never_panic(
        p in arb_params(),
        seq in prop_oneof![0usize..5, 1usize << 10..1 << 25],
        batch in prop_oneof![0usize..5, 1usize << 10..1 << 25],
        input in prop_oneof![0usize..5, 1usize << 10..1 << 25],
        hidden in prop_oneof![0usize..5, 1usize << 10..1 << 25],
    ) {
        let dirs = p.direction.count();
        let gh = p.cell.gates() * hidden;
        let x = if p.layout == Layout::SeqMajor { [seq, batch, input] } else { [batch, seq, input] };
        let st = if p.layout == Layout::SeqMajor { [dirs, batch, hidden] } else { [batch, dirs, hidden] };
        let lstm = p.cell == Cell::Lstm;
        let got = output_dims(&p, &x, &[dirs, gh, input], &[dirs, gh, hidden], Some(&[dirs, 2 * gh]),
            Some(&[batch]), Some(&st), lstm.then_some(&st[..]), lstm.then_some(&[dirs, 3 * hidden][..]));
        if let Ok(d) = got {
            prop_assert_eq!((d.seq, d.batch, d.input, d.hidden, d.dirs), (seq, batch, input, hidden, dirs));
            prop_assert_eq!(d.y.iter().product::<usize>(), seq * batch * dirs * hidden);
        }
    }
}
