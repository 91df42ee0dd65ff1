"""Generate the reference vectors under tests/data/ (run with the venv's python from the crate
root: `python tools/gen_vectors.py`). cargo test only reads the JSON; it never runs this.

Ground truth, per case:
* onnxruntime's output when it implements the case ("source": "onnxruntime");
* otherwise a numpy definition ("source": "definition"): exact int64 sums, and for the QLinear
  ops onnxruntime's f32 requantisation (`requant_f32`), which is asserted equal to onnxruntime
  on every case it does implement;
* onnx.reference is run on every case and whether it agrees is recorded ("ref_agrees"); a
  disagreement not declared with `ref_differs=...` stops the generator.
"""

from __future__ import annotations

import os

import numpy as np
from onnx import TensorProto as TP

from conv_def import conv_def, matmul_def
from refvec import Unsupported, requant_f32, rng_ints, run_ort, run_ref, same, tensor, write

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "tests", "data", "kernels", "quant")
f32 = np.float32
u8, i8, u16, i16, i32 = np.uint8, np.int8, np.uint16, np.int16, np.int32


def case(name, op, opset, inputs, out_types, attrs=None, truth=None, ref_differs=None, ref_opset=None):
    attrs = attrs or {}
    try:
        ref = run_ref(op, inputs, out_types, ref_opset or opset, attrs)
    except Exception as e:  # noqa: BLE001
        ref, ref_err = None, str(e)[:120]
    try:
        ort_out = run_ort(op, inputs, out_types, opset, attrs)
    except Unsupported as e:
        ort_out, ort_err = None, str(e)
    if ort_out is not None:
        expected, source = ort_out, "onnxruntime"
        if truth is not None:
            for t, o in zip(truth, ort_out):
                assert same(t, o), f"{name}: the definition disagrees with onnxruntime"
    elif truth is not None:
        expected, source = truth, "definition"
        print(f"  {name}: onnxruntime refuses ({ort_err[:90]}); using the definition")
    else:
        assert ref is not None, f"{name}: nothing ran"
        expected, source = ref, "onnx.reference"
        print(f"  {name}: onnxruntime refuses ({ort_err[:90]}); using onnx.reference")
    agrees = ref is not None and all(same(r, e) for r, e in zip(ref, expected))
    if not agrees:
        why = ref_err if ref is None else "different values"
        assert ref_differs, f"{name}: onnx.reference disagrees ({why})"
        print(f"  {name}: onnx.reference differs, as expected: {ref_differs}")
    return {
        "name": name,
        "op": op,
        "opset": opset,
        "attrs": attrs,
        "inputs": [None if a is None else tensor(a) for a in inputs],
        "expected": [tensor(np.asarray(e)) for e in expected],
        "source": source,
        "ref_agrees": agrees,
        "note": ref_differs or "",
    }


def float_check(op, inputs, want, attrs, name):
    """Cross-check an integer definition with onnxruntime's float op on the zero-point-adjusted
    values (exact: every partial sum here is far below 2^24)."""
    try:
        (got,) = run_ort(op, inputs, [TP.FLOAT], 13, attrs)
    except Unsupported:
        print(f"  {name}: onnxruntime's float {op} refuses it too; onnx.reference is the cross-check")
        return
    assert np.array_equal(got.astype(np.int64), want.astype(np.int64)), f"{name}: float {op} disagrees"


def quantize_cases(rng):
    q = "QuantizeLinear"
    ties = np.array([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5, 2.4999998, 2.5000002], dtype=f32)
    sat = np.array([1000.0, -1000.0, 127.4, 127.6, -128.4, -128.6, 0.0], dtype=f32)
    x3 = rng.uniform(-3, 3, (2, 3, 4)).astype(f32)
    s3 = np.array([0.01, 0.02, 0.05], dtype=f32)
    s4 = np.array([0.011, 0.023, 0.037, 0.041], dtype=f32)
    nonfinite = np.array([np.nan, np.inf, -np.inf, 1e10, -1e10, 3e9, 1.0], dtype=f32)
    big = rng.normal(0, 1, (2, 3, 5, 5)).astype(f32)
    return [
        case("ties_u8_opset10", q, 10, [ties, np.array(f32(1.0)), np.array(u8(10))], [TP.UINT8]),
        case("ties_i8_no_offset", q, 13, [ties, np.array(f32(1.0)), np.array(i8(0))], [TP.INT8]),
        case("saturate_i8", q, 13, [sat, np.array(f32(1.0)), np.array(i8(0))], [TP.INT8]),
        case("saturate_u8_zp", q, 13, [sat, np.array(f32(0.5)), np.array(u8(200))], [TP.UINT8]),
        case("no_zero_point_u8", q, 13, [x3.ravel(), np.array(f32(0.02))], [TP.UINT8]),
        case("per_axis_1_u8", q, 13, [x3, s3, np.array([0, 128, 255], dtype=u8)], [TP.UINT8], {"axis": 1}),
        case("per_axis_last_i8", q, 13, [x3, s4, np.array([-5, 0, 5, 127], dtype=i8)], [TP.INT8], {"axis": -1}),
        case("per_axis_0_no_zp", q, 13, [x3, np.array([0.1, 0.2], dtype=f32)], [TP.UINT8], {"axis": 0}),
        case("per_axis_rank1", q, 13, [np.array([1.0, 2.0, 3.0], dtype=f32), s3, np.array([1, 2, 3], dtype=u8)], [TP.UINT8], {"axis": 0}),
        case("one_element_scale", q, 13, [x3, np.array([0.03], dtype=f32), np.array([7], dtype=i8)], [TP.INT8], {"axis": 2}),
        case("per_tensor_axis_ignored", q, 13, [x3, np.array(f32(0.03)), np.array(u8(9))], [TP.UINT8], {"axis": 7}),
        case("u16_opset21", q, 21, [x3, np.array(f32(1e-4)), np.array(u16(30000))], [TP.UINT16]),
        case("i16_opset21_per_axis", q, 21, [x3, np.array([1e-4, 2e-5, 3e-4], dtype=f32), np.array([-7, 0, 9], dtype=i16)], [TP.INT16], {"axis": 1}),
        case("negative_scale", q, 13, [x3.ravel(), np.array(f32(-0.02)), np.array(u8(128))], [TP.UINT8]),
        case("conv_like_per_channel_i8", q, 13, [big, np.array([0.02, 0.01, 0.03], dtype=f32), np.array([0, -1, 1], dtype=i8)], [TP.INT8], {"axis": 1}),
        case("nonfinite_u8", q, 13, [nonfinite, np.array(f32(0.5)), np.array(u8(10))], [TP.UINT8],
             ref_differs="onnx.reference casts NaN/inf/huge through int32 (platform garbage); onnxruntime saturates, NaN → min"),
        case("nonfinite_i8", q, 13, [nonfinite, np.array(f32(0.5)), np.array(i8(-3))], [TP.INT8],
             ref_differs="as nonfinite_u8"),
        case("zero_scale", q, 13, [np.array([1.0, -1.0, 0.0], dtype=f32), np.array(f32(0.0)), np.array(u8(10))], [TP.UINT8],
             ref_differs="x/0 = ±inf and 0/0 = NaN: onnx.reference's int32 cast is garbage"),
    ]


def dequantize_cases(rng):
    d = "DequantizeLinear"
    xu = rng_ints(rng, u8, (2, 3, 4))
    xi = rng_ints(rng, i8, (2, 3, 4))
    xw = np.array([-2**31, -2**24 - 1, -1, 0, 1, 2**24 + 1, 2**31 - 1, 123456789], dtype=i32)
    s3 = np.array([0.0123, 0.5, 3.0], dtype=f32)
    return [
        case("u8_per_tensor_opset10", d, 10, [xu, np.array(f32(0.0118)), np.array(u8(128))], [TP.FLOAT], ref_opset=19),
        case("u8_no_zero_point", d, 13, [xu, np.array(f32(0.25))], [TP.FLOAT], ref_opset=19),
        case("i8_per_axis_1", d, 13, [xi, s3, np.array([-1, 0, 127], dtype=i8)], [TP.FLOAT], {"axis": 1}, ref_opset=19),
        case("i8_per_axis_last", d, 19, [xi, np.array([0.1, 0.2, 0.3, 0.4], dtype=f32), np.array([1, 2, 3, 4], dtype=i8)], [TP.FLOAT], {"axis": -1}),
        case("i32_bias_no_zp", d, 13, [xw, np.array(f32(0.000123))], [TP.FLOAT], ref_opset=19),
        case("i32_bias_zero_zp", d, 19, [xw, np.array(f32(3.0)), np.array(i32(0))], [TP.FLOAT]),
        case("u16_opset21", d, 21, [rng_ints(rng, u16, (3, 4)), np.array(f32(1e-3)), np.array(u16(32768))], [TP.FLOAT]),
        case("i16_opset21_per_axis", d, 21, [rng_ints(rng, i16, (3, 4)), np.array([1e-3, 2e-3, 5e-4], dtype=f32), np.array([0, -100, 100], dtype=i16)], [TP.FLOAT], {"axis": 0}),
        case("negative_scale", d, 19, [xu, np.array(f32(-0.5)), np.array(u8(3))], [TP.FLOAT]),
    ]


def dynamic_cases(rng):
    dq = "DynamicQuantizeLinear"
    outs = [TP.UINT8, TP.FLOAT, TP.UINT8]
    mk = lambda v: np.array(v, dtype=f32)  # noqa: E731
    return [
        case("mixed", dq, 11, [rng.uniform(-2, 5, (3, 4, 5)).astype(f32)], outs),
        case("mixed_small", dq, 11, [mk([-1.0, 0.5, 3.0])], outs),
        case("all_positive", dq, 11, [mk([1.0, 2.0, 3.0, 0.25])], outs),
        case("all_negative", dq, 11, [mk([-1.0, -2.0, -3.0])], outs),
        case("single_negative", dq, 11, [mk([-2.0])], outs),
        case("constant", dq, 11, [mk([2.0, 2.0, 2.0])], outs),
        case("negative_heavy", dq, 11, [rng.uniform(-9, 0.3, (40,)).astype(f32)], outs),
        case("all_zero", dq, 11, [mk([0.0, 0.0, -0.0])], outs,
             ref_differs="onnx.reference returns scale 1/255 (misplaced parenthesis); onnxruntime 1"),
        case("empty", dq, 11, [np.zeros((0, 3), dtype=f32)], outs,
             ref_differs="onnx.reference cannot reduce an empty array"),
    ]


def conv_integer_cases(rng):
    op = "ConvInteger"
    cases = []

    def add(name, xt, wt, xshape, wshape, attrs, xz=True, wz="scalar"):
        x = rng_ints(rng, xt, xshape)
        w = rng_ints(rng, wt, wshape)
        xzp = np.array(rng_ints(rng, xt, ())) if xz else None
        if wz == "scalar":
            wzp = np.array(rng_ints(rng, wt, ()))
        elif wz == "per_channel":
            wzp = rng_ints(rng, wt, (wshape[0],))
        else:
            wzp = None
        X = x.astype(np.int64) - (0 if xzp is None else int(xzp))
        W = w.astype(np.int64) - (0 if wzp is None else wzp.astype(np.int64).reshape(-1, 1, 1, 1))
        truth = [conv_def(X, W, attrs).astype(i32)]
        float_check("Conv", [X.astype(f32), W.astype(f32)], truth[0], attrs, name)
        cases.append(case(name, op, 10, [x, w, xzp, wzp], [TP.INT32], attrs, truth=truth))

    add("u8_u8_pads_strides", u8, u8, (1, 3, 7, 6), (4, 3, 3, 2), {"pads": [1, 0, 2, 1], "strides": [2, 1]})
    add("u8_i8_dilation_groups", u8, i8, (2, 4, 8, 7), (6, 2, 3, 3), {"group": 2, "dilations": [2, 1], "pads": [1, 1, 1, 1]})
    add("i8_i8_same_upper_stride2", i8, i8, (1, 2, 7, 6), (3, 2, 3, 2), {"auto_pad": "SAME_UPPER", "strides": [2, 2]})
    add("i8_u8_same_lower", i8, u8, (1, 2, 6, 6), (2, 2, 2, 2), {"auto_pad": "SAME_LOWER"})
    add("u8_u8_valid_no_zp", u8, u8, (1, 2, 5, 5), (2, 2, 3, 3), {"auto_pad": "VALID"}, xz=False, wz=None)
    add("depthwise", u8, i8, (1, 3, 5, 5), (3, 1, 3, 3), {"group": 3, "pads": [1, 1, 1, 1]})
    add("pads_larger_than_kernel", u8, u8, (1, 1, 4, 4), (1, 1, 2, 2), {"pads": [3, 2, 3, 2], "strides": [2, 3]})
    add("per_channel_w_zp_u8", u8, u8, (1, 3, 6, 6), (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}, wz="per_channel")
    add("per_channel_w_zp_i8_groups", u8, i8, (2, 4, 5, 5), (4, 2, 2, 2), {"group": 2, "strides": [2, 2]}, wz="per_channel")
    add("same_upper_dilation", u8, u8, (1, 2, 7, 7), (2, 2, 3, 3), {"auto_pad": "SAME_UPPER", "dilations": [2, 2]})
    return cases


def matmul_integer_cases(rng):
    op = "MatMulInteger"
    cases = []

    def add(name, at, bt, ashape, bshape, azs=None, bzs=None):
        a, b = rng_ints(rng, at, ashape), rng_ints(rng, bt, bshape)
        az = None if azs is None else rng_ints(rng, at, azs)
        bz = None if bzs is None else rng_ints(rng, bt, bzs)
        truth = [matmul_def(a, b, az, bz).astype(i32)]
        A = a.astype(np.int64) - (0 if az is None else (az.reshape(-1, 1) if az.ndim == 1 and az.size > 1 else az))
        B = b.astype(np.int64) - (0 if bz is None else bz)
        float_check("MatMul", [A.astype(f32), B.astype(f32)], truth[0], {}, name)
        row_vector = azs is not None and len(azs) == 1 and azs[0] > 1
        diff = "onnx.reference broadcasts an [M] a_zero_point along K" if row_vector else None
        cases.append(case(name, op, 10, [a, b, az, bz], [TP.INT32], truth=truth, ref_differs=diff))

    add("u8_u8_2d_zps", u8, u8, (4, 5), (5, 6), (), ())
    add("u8_i8_batch_broadcast", u8, i8, (2, 3, 4, 5), (3, 5, 6), (), ())
    add("i8_i8_broadcast_ones", i8, i8, (2, 1, 3, 4), (1, 5, 4, 2), (), ())
    add("b_zp_per_column", u8, i8, (4, 5), (5, 6), (), (6,))
    add("b_zp_per_column_nd", u8, u8, (3, 4, 5), (3, 5, 6), None, (3, 1, 6))
    add("a_zp_per_row", u8, u8, (4, 5), (5, 3), (4,), ())
    add("a_zp_per_row_nd", i8, i8, (2, 4, 5), (5, 3), (2, 4, 1), None)
    add("vector_times_matrix", u8, u8, (5,), (5, 3), (), ())
    add("matrix_times_vector", i8, u8, (2, 4, 5), (5,), (), ())
    return cases


def qlinear_conv_cases(rng):
    op = "QLinearConv"
    cases = []

    def add(name, xt, wt, yt, xshape, wshape, attrs, per_channel=True, bias=True, scales=None, data=None, diff=None, zps=None):
        x, w = data if data is not None else (rng_ints(rng, xt, xshape), rng_ints(rng, wt, wshape))
        m = w.shape[0]
        if scales is None:
            xs = f32(rng.uniform(0.002, 0.05))
            ws = rng.uniform(0.002, 0.05, m).astype(f32) if per_channel else np.array(f32(rng.uniform(0.002, 0.05)))
            ys = f32(rng.uniform(0.05, 0.5))
        else:
            xs, ws, ys = scales
        info_w = np.iinfo(wt)
        xz = np.array(rng_ints(rng, xt, ()))
        wz = (rng.integers(info_w.min // 8, info_w.max // 8, m).astype(wt) if per_channel else np.array(wt(rng.integers(info_w.min // 8, info_w.max // 8))))
        yz = np.array(rng_ints(rng, yt, ()))
        if zps is not None:
            xz, wz, yz = (np.array(t(v)) for t, v in zip((xt, wt, yt), zps))
        b = rng.integers(-20000, 20000, m).astype(i32) if bias else None
        X = x.astype(np.int64) - int(xz)
        W = w.astype(np.int64) - wz.astype(np.int64).reshape(-1, 1, 1, 1)
        acc = conv_def(X, W, attrs) + (0 if b is None else b.astype(np.int64).reshape(1, -1, 1, 1))
        mult = (f32(xs) * np.asarray(ws, dtype=f32) / f32(ys)).astype(f32).reshape(1, -1, 1, 1)
        truth = [requant_f32(acc, mult, yz, yt)]
        inputs = [x, np.array(f32(xs)), xz, w, np.asarray(ws, dtype=f32), wz, np.array(f32(ys)), yz, b]
        cases.append(case(name, op, 10, inputs, [TP.UINT8 if yt == u8 else TP.INT8], attrs, truth=truth, ref_differs=diff))

    add("u8_u8_per_tensor_bias", u8, u8, u8, (1, 3, 6, 6), (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}, per_channel=False)
    add("u8_i8_per_channel_bias", u8, i8, u8, (1, 4, 7, 6), (5, 4, 3, 2), {"pads": [1, 0, 1, 1], "strides": [2, 1]})
    add("i8_i8_groups_dilation", i8, i8, i8, (2, 4, 7, 7), (6, 2, 3, 3), {"group": 2, "dilations": [2, 1], "auto_pad": "SAME_UPPER"})
    add("u8_i8_depthwise_no_bias", u8, i8, u8, (1, 3, 5, 5), (3, 1, 3, 3), {"group": 3, "pads": [1, 1, 1, 1]}, bias=False)
    add("i8_x_u8_w", i8, u8, i8, (1, 2, 5, 5), (3, 2, 3, 3), {})
    add("u8_x_i8_y", u8, i8, i8, (1, 2, 5, 5), (3, 2, 3, 3), {"strides": [2, 2]})
    # Ties where f32 and f64 requantisation part ways: x_scale = w_scale = 1, y_scale = 6.
    tie_x = np.array([3, 9, 15, 21, 27, 33, 39, 45], dtype=u8).reshape(1, 1, 2, 4)
    tie_w = np.array([1], dtype=u8).reshape(1, 1, 1, 1)
    add("f32_ties_vs_f64", u8, u8, u8, None, None, {}, per_channel=False, bias=False,
        scales=(f32(1.0), np.array(f32(1.0)), f32(6.0)), data=(tie_x, tie_w), zps=(0, 0, 0),
        diff="onnx.reference requantises in f64: 3·f32(1/6) = 0.50000001 → 1; onnxruntime's f32 product is 0.5 → 0")
    # Saturation at both ends: big biases.
    x = rng_ints(rng, u8, (1, 2, 4, 4))
    w = rng_ints(rng, i8, (2, 2, 2, 2))
    cases.append(sat_case(x, w))
    return cases


def sat_case(x, w):
    op = "QLinearConv"
    xs, ws, ys = f32(0.02), np.array([0.01, 0.01], dtype=f32), f32(0.01)
    xz, wz, yz = np.array(u8(128)), np.array([0, 0], dtype=i8), np.array(u8(128))
    b = np.array([2_000_000, -2_000_000], dtype=i32)
    acc = conv_def(x.astype(np.int64) - 128, w.astype(np.int64), {}) + b.astype(np.int64).reshape(1, -1, 1, 1)
    mult = (xs * ws / ys).astype(f32).reshape(1, -1, 1, 1)
    truth = [requant_f32(acc, mult, yz, u8)]
    return case("saturate_both_ends", op, 10, [x, np.array(xs), xz, w, ws, wz, np.array(ys), yz, b], [TP.UINT8], {}, truth=truth)


def qlinear_matmul_cases(rng):
    op = "QLinearMatMul"
    cases = []

    def add(name, at, bt, yt, ashape, bshape, a_row=False, b_col=False, diff=None, scales=None, data=None, zps=None):
        a, b = data if data is not None else (rng_ints(rng, at, ashape), rng_ints(rng, bt, bshape))
        m, n = (a.shape[-2] if a.ndim > 1 else 1), (b.shape[-1] if b.ndim > 1 else 1)
        if scales is None:
            a_s = rng.uniform(0.01, 0.1, m).astype(f32) if a_row else np.array(f32(rng.uniform(0.01, 0.1)))
            b_s = rng.uniform(0.01, 0.1, n).astype(f32) if b_col else np.array(f32(rng.uniform(0.01, 0.1)))
            y_s = np.array(f32(rng.uniform(0.5, 3.0)))
        else:
            a_s, b_s, y_s = (np.array(f32(v)) for v in scales)
        a_z = rng_ints(rng, at, (m,)) if a_row else np.array(rng_ints(rng, at, ()))
        b_z = rng_ints(rng, bt, (n,)) if b_col else np.array(rng_ints(rng, bt, ()))
        y_z = np.array(rng_ints(rng, yt, ()))
        if zps is not None:
            a_z, b_z, y_z = (np.array(t(v)) for t, v in zip((at, bt, yt), zps))
        acc = matmul_def(a, b, a_z, b_z)
        mult = (a_s.reshape(-1, 1) * b_s.reshape(1, -1) / y_s).astype(f32) if (a_row or b_col) else f32(a_s * b_s / y_s)
        truth = [requant_f32(acc, mult, y_z, yt)]
        inputs = [a, a_s, a_z, b, b_s, b_z, y_s, y_z]
        out = TP.UINT8 if yt == u8 else TP.INT8
        cases.append(case(name, op, 10, inputs, [out], truth=truth, ref_differs=diff))

    add("u8_per_tensor", u8, u8, u8, (4, 16), (16, 5))
    add("u8_b_per_column", u8, u8, u8, (3, 8), (8, 6), b_col=True)
    add("i8_batch_broadcast", i8, i8, i8, (2, 3, 4, 8), (3, 8, 5))
    add("u8_i8_mixed", u8, i8, i8, (4, 8), (8, 3))
    add("a_per_row", u8, u8, u8, (4, 8), (8, 3), a_row=True,
        diff="onnx.reference broadcasts an [M] a_scale/a_zero_point along K")
    tie_a = np.array([[3], [9], [15], [21], [27], [33]], dtype=u8)
    add("f32_ties_vs_f64", u8, u8, u8, None, None, scales=(1.0, 1.0, 6.0), data=(tie_a, np.array([[1]], dtype=u8)), zps=(0, 0, 0),
        diff="onnx.reference requantises in f64 (see QLinearConv f32_ties_vs_f64)")
    return cases


def main():
    os.makedirs(DATA, exist_ok=True)
    gens = {
        "quantize_linear": quantize_cases,
        "dequantize_linear": dequantize_cases,
        "dynamic_quantize_linear": dynamic_cases,
        "conv_integer": conv_integer_cases,
        "matmul_integer": matmul_integer_cases,
        "qlinear_conv": qlinear_conv_cases,
        "qlinear_matmul": qlinear_matmul_cases,
    }
    for i, (stem, gen) in enumerate(gens.items()):
        print(stem)
        cases = gen(np.random.default_rng(1000 + i))
        write(os.path.join(DATA, f"{stem}.json"), cases)
        print(f"  {len(cases)} cases")


if __name__ == "__main__":
    main()
