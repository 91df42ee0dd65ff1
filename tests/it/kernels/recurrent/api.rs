//! Attribute and shape checking: hostile files get errors naming the attribute or input.

use super::common::load;
use convscope::nn::ops::recurrent::{
    Cell, Direction, Layout, RnnAttrs, RnnError, RnnParams, gru, lstm, output_dims,
};
use ndarray::{ArrayD, IxDyn};

fn attr_err(cell: Cell, opset: i64, a: RnnAttrs) -> (String, String) {
    match RnnParams::from_attrs(cell, opset, &a) {
        Err(e @ RnnError::Attr { attr, .. }) => (attr.to_string(), e.to_string()),
        other => panic!("expected an attribute error, got {other:?}"),
    }
}

fn names(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|s| s.to_string()).collect())
}

#[test]
fn bad_attributes_are_errors_naming_the_attribute() {
    let a = RnnAttrs::default;
    let cases: Vec<(Cell, i64, RnnAttrs, &str, &str)> = vec![
        (
            Cell::Lstm,
            14,
            RnnAttrs { activations: names(&["Sigmoid", "Swish", "Tanh"]), ..a() },
            "activations",
            "\"Swish\" is not one of",
        ),
        (
            Cell::Lstm,
            14,
            RnnAttrs { activations: names(&["Sigmoid", "Tanh"]), ..a() },
            "activations",
            "2 names, but LSTM one-way takes 3",
        ),
        (
            Cell::Gru,
            14,
            RnnAttrs {
                direction: Some("bidirectional".into()),
                activations: names(&["Sigmoid", "Tanh"]),
                ..a()
            },
            "activations",
            "takes 4",
        ),
        (
            Cell::Lstm,
            14,
            RnnAttrs { activation_alpha: Some(vec![0.1]), ..a() },
            "activation_alpha",
            "1 values, but the activations",
        ),
        (
            Cell::Gru,
            14,
            RnnAttrs {
                activations: names(&["LeakyRelu", "Tanh"]),
                activation_alpha: Some(vec![0.1, 0.2]),
                ..a()
            },
            "activation_alpha",
            "take only 1",
        ),
        (
            Cell::Gru,
            14,
            RnnAttrs {
                activations: names(&["Affine", "Tanh"]),
                activation_beta: Some(vec![f32::NAN]),
                ..a()
            },
            "activation_beta",
            "not finite",
        ),
        (
            Cell::Lstm,
            14,
            RnnAttrs { direction: Some("both".into()), ..a() },
            "direction",
            "\"both\"",
        ),
        (Cell::Lstm, 14, RnnAttrs { hidden_size: Some(0), ..a() }, "hidden_size", "not positive"),
        (
            Cell::Lstm,
            14,
            RnnAttrs { hidden_size: Some(1 << 40), ..a() },
            "hidden_size",
            "too large",
        ),
        (Cell::Gru, 14, RnnAttrs { clip: Some(0.0), ..a() }, "clip", "not a positive"),
        (Cell::Gru, 14, RnnAttrs { clip: Some(f32::NAN), ..a() }, "clip", "not a positive"),
        (
            Cell::Gru,
            14,
            RnnAttrs { input_forget: Some(1), ..a() },
            "input_forget",
            "GRU has no such",
        ),
        (
            Cell::Lstm,
            14,
            RnnAttrs { linear_before_reset: Some(0), ..a() },
            "linear_before_reset",
            "LSTM has no such",
        ),
        (
            Cell::Gru,
            14,
            RnnAttrs { linear_before_reset: Some(2), ..a() },
            "linear_before_reset",
            "2 is not 0 or 1",
        ),
        (Cell::Lstm, 14, RnnAttrs { input_forget: Some(-1), ..a() }, "input_forget", "not 0 or 1"),
        (Cell::Lstm, 13, RnnAttrs { layout: Some(0), ..a() }, "layout", "LSTM-7 has no layout"),
        (Cell::Gru, 14, RnnAttrs { layout: Some(2), ..a() }, "layout", "not 0 or 1"),
    ];
    for (cell, opset, attrs, want_attr, want_msg) in cases {
        let (attr, msg) = attr_err(cell, opset, attrs);
        assert_eq!(attr, want_attr, "{msg}");
        assert!(msg.contains(want_msg), "{msg:?} lacks {want_msg:?}");
        assert!(msg.starts_with(cell.name()), "{msg}");
    }
    for opset in [6, 29] {
        let e = RnnParams::from_attrs(Cell::Lstm, opset, &a()).unwrap_err();
        assert!(matches!(e, RnnError::Unsupported { .. }), "{e}");
    }
}

#[test]
fn attributes_resolve() {
    let p = RnnParams::from_attrs(Cell::Lstm, 7, &RnnAttrs::default()).unwrap();
    assert_eq!((p.since_version, p.direction, p.layout), (7, Direction::Forward, Layout::SeqMajor));
    assert_eq!(
        p.activations.iter().map(|a| a.name()).collect::<Vec<_>>(),
        ["Sigmoid", "Tanh", "Tanh"]
    );
    let attrs = RnnAttrs {
        direction: Some("bidirectional".into()),
        activations: names(&["sigmoid", "Tanh", "HardSigmoid", "Elu", "LeakyRelu", "relu"]),
        activation_alpha: Some(vec![0.3, 2.0]),
        layout: Some(1),
        ..Default::default()
    };
    let p = RnnParams::from_attrs(Cell::Lstm, 22, &attrs).unwrap();
    assert_eq!(p.since_version, 22);
    assert_eq!(
        p.acts(0)[2],
        convscope::nn::ops::recurrent::Activation::HardSigmoid { alpha: 0.3, beta: 0.5 }
    );
    assert_eq!(p.acts(1)[0], convscope::nn::ops::recurrent::Activation::Elu { alpha: 2.0 });
    assert_eq!(p.acts(1)[1], convscope::nn::ops::recurrent::Activation::LeakyRelu { alpha: 0.01 });
    assert_eq!(p.layout, Layout::BatchMajor);
}

fn prm(cell: Cell, dir: &str, layout: i64) -> RnnParams {
    let a = RnnAttrs {
        direction: Some(dir.into()),
        layout: Some(layout),
        hidden_size: Some(3),
        ..Default::default()
    };
    RnnParams::from_attrs(cell, 14, &a).unwrap()
}

/// Params, X / W / R dims, B / sequence_lens / initial_h / initial_c / P dims, and what the
/// error must say.
type BadShape<'a> = (&'a RnnParams, [&'a [usize]; 3], [Option<&'a [usize]>; 5], &'a str);

#[test]
fn shapes_are_checked_against_each_other() {
    let l = prm(Cell::Lstm, "bidirectional", 0);
    let ok = output_dims(
        &l,
        &[5, 2, 4],
        &[2, 12, 4],
        &[2, 12, 3],
        Some(&[2, 24]),
        Some(&[2]),
        Some(&[2, 2, 3]),
        Some(&[2, 2, 3]),
        Some(&[2, 9]),
    )
    .unwrap();
    assert_eq!(
        (ok.y.clone(), ok.y_h.clone(), ok.y_c.clone()),
        (vec![5, 2, 2, 3], vec![2, 2, 3], Some(vec![2, 2, 3]))
    );
    let l1 = prm(Cell::Lstm, "bidirectional", 1);
    let ok1 = output_dims(
        &l1,
        &[2, 5, 4],
        &[2, 12, 4],
        &[2, 12, 3],
        None,
        None,
        Some(&[2, 2, 3]),
        None,
        None,
    )
    .unwrap();
    assert_eq!((ok1.seq, ok1.batch, ok1.y), (5, 2, vec![2, 5, 2, 3]));
    let g = prm(Cell::Gru, "forward", 0);
    assert_eq!(
        output_dims(&g, &[5, 2, 4], &[1, 9, 4], &[1, 9, 3], None, None, None, None, None)
            .unwrap()
            .y_c,
        None
    );

    let bad: Vec<BadShape> = vec![
        (&l, [&[5, 2], &[2, 12, 4], &[2, 12, 3]], [None; 5], "input X [5, 2]: rank 2"),
        (&l, [&[5, 2, 4], &[1, 12, 4], &[2, 12, 3]], [None; 5], "input W [1, 12, 4]: dim 0 is 1"),
        (
            &l,
            [&[5, 2, 4], &[2, 12, 5], &[2, 12, 3]],
            [None; 5],
            "input W [2, 12, 5]: dim 2 is 5, X's input size is 4",
        ),
        (
            &l,
            [&[5, 2, 4], &[2, 12, 4], &[2, 12, 4]],
            [None; 5],
            "input R [2, 12, 4]: dim 2 is 4, but hidden_size is 3",
        ),
        (&l, [&[5, 2, 4], &[2, 9, 4], &[2, 12, 3]], [None; 5], "dim 1 is 9, 4·hidden_size is 12"),
        (
            &l,
            [&[5, 2, 4], &[2, 12, 4], &[2, 12, 3]],
            [Some(&[2, 12]), None, None, None, None],
            "input B [2, 12]",
        ),
        (
            &l,
            [&[5, 2, 4], &[2, 12, 4], &[2, 12, 3]],
            [None, Some(&[3]), None, None, None],
            "sequence_lens [3]: X's batch size is 2",
        ),
        (
            &l,
            [&[5, 2, 4], &[2, 12, 4], &[2, 12, 3]],
            [None, None, Some(&[2, 1, 3]), None, None],
            "initial_h [2, 1, 3]",
        ),
        (
            &l1,
            [&[2, 5, 4], &[2, 12, 4], &[2, 12, 3]],
            [None, None, Some(&[2, 2, 3]), Some(&[2, 5, 3]), None],
            "initial_c [2, 5, 3]",
        ),
        (
            &l,
            [&[5, 2, 4], &[2, 12, 4], &[2, 12, 3]],
            [None, None, None, None, Some(&[2, 12])],
            "input P [2, 12]",
        ),
        (
            &g,
            [&[5, 2, 4], &[1, 9, 4], &[1, 9, 3]],
            [None, None, None, Some(&[1, 2, 3]), None],
            "initial_c [1, 2, 3]: GRU has no such input",
        ),
        (&l, [&[1 << 25, 2, 4], &[2, 12, 4], &[2, 12, 3]], [None; 5], "too large"),
        (&l, [&[1 << 24, 1 << 24, 4], &[2, 12, 4], &[2, 12, 3]], [None; 5], "more than"),
        (&l, [&[1 << 22, 1 << 6, 4], &[2, 12, 4], &[2, 12, 3]], [None; 5], "X·Wᵀ for every step"),
    ];
    for (p, [x, w, r], [b, s, h0, c0, pp], want) in bad {
        let e = output_dims(p, x, w, r, b, s, h0, c0, pp).unwrap_err().to_string();
        assert!(e.contains(want), "{e:?} lacks {want:?}");
    }
}

#[test]
fn bad_values_and_calls_are_errors() {
    let case = load("lstm.json").into_iter().find(|c| c.name == "seq_lens_forward").unwrap();
    let o = case.owned();
    let p = case.params();
    fn v(a: &Option<ArrayD<f32>>) -> Option<ndarray::ArrayViewD<'_, f32>> {
        a.as_ref().map(|a| a.view())
    }
    for lens in [[5i64, 1], [-1, 2]] {
        let e = lstm(
            o.x.view(),
            o.w.view(),
            o.r.view(),
            v(&o.b),
            Some(&lens),
            v(&o.h0),
            v(&o.c0),
            None,
            &p,
        );
        assert!(matches!(e, Err(RnnError::SeqLen { .. })), "{e:?}");
    }
    let e = gru(o.x.view(), o.w.view(), o.r.view(), None, None, None, &p).unwrap_err();
    assert!(e.to_string().contains("called with LSTM parameters"), "{e}");
    let short = [1i64];
    let e = lstm(o.x.view(), o.w.view(), o.r.view(), None, Some(&short), None, None, None, &p)
        .unwrap_err();
    assert!(e.to_string().contains("sequence_lens [1]"), "{e}");
}

#[test]
fn empty_sequence_and_batch() {
    let p = prm(Cell::Gru, "bidirectional", 0);
    let w = ArrayD::from_elem(IxDyn(&[2, 9, 2]), 0.5f32);
    let r = ArrayD::from_elem(IxDyn(&[2, 9, 3]), 0.5f32);
    for (seq, batch) in [(0, 2), (3, 0)] {
        let x = ArrayD::<f32>::zeros(IxDyn(&[seq, batch, 2]));
        let out = gru(x.view(), w.view(), r.view(), None, None, None, &p).unwrap();
        assert_eq!(out.y.shape(), [seq, 2, batch, 3]);
        assert!(out.y_h.iter().all(|&v| v == 0.0));
    }
}
