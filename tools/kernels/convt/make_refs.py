"""Reference vectors for convt's ConvTranspose, from onnxruntime and onnx.reference.

Writes two small JSON files that `cargo test` reads (it never runs Python):

- tests/data/convtranspose_ref.json: `cases`, each a one-node model's attributes, inputs and
  onnxruntime's output, with whether onnx.reference agrees (it mishandles groups, bias with
  groups, and output_shape without SAME_*); `rejects`, nodes onnxruntime refuses.
- tests/data/convtranspose_sizes.json: a sweep of one-axis fits (the other axis trivial): for
  each, onnxruntime's output size and first pad (found by matching its output against shifted
  scatters), or its refusal.

Inputs are multiples of 1/16 in [-2, 2], so every product and small sum is exact in f32: the
expected values are exact, short in JSON, and agree bit for bit between runtimes.

Run:  /work/venv/bin/python tools/make_refs.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from ort_model import feeds, message, model, run_ort, run_ref  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "data", "kernels", "convt")
rng = np.random.default_rng(2024)


def sixteenths(shape):
    return (rng.integers(-32, 33, size=shape) / 16).astype(np.float32)


def attrs_json(a):
    return {
        "auto_pad": a.get("auto_pad", "NOTSET"),
        "group": a.get("group", 1),
        "strides": a.get("strides", [1, 1]),
        "dilations": a.get("dilations", [1, 1]),
        "pads": a.get("pads"),
        "output_padding": a.get("output_padding", [0, 0]),
        "output_shape": a.get("output_shape"),
    }


# name: (opset, C, H, W, K/group, FH, FW, bias, attributes)
CASES = {
    "plain_3x3": (11, 2, 3, 4, 3, 3, 3, True, {}),
    "paddleocr_3x3_s2_p1_op1": (11, 3, 4, 3, 2, 3, 3, True, dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])),
    "paddleocr_2x2_s2": (11, 3, 3, 4, 2, 2, 2, True, dict(strides=[2, 2])),
    "stride3_2x2": (11, 2, 3, 3, 2, 2, 2, True, dict(strides=[3, 3])),
    "stride3_op2": (11, 1, 2, 3, 2, 2, 3, True, dict(strides=[3, 3], output_padding=[2, 1])),
    "dilation2_stride2": (11, 2, 3, 3, 2, 3, 3, True, dict(strides=[2, 2], dilations=[2, 2])),
    "dilation3_op1_stride2": (11, 1, 3, 2, 1, 2, 2, True, dict(strides=[2, 2], dilations=[3, 1], output_padding=[1, 1])),
    "asymmetric_pads": (11, 2, 4, 3, 2, 3, 3, True, dict(strides=[2, 1], pads=[0, 1, 2, 0])),
    "mixed_axes": (11, 2, 3, 4, 2, 2, 3, True, dict(strides=[3, 2], dilations=[1, 2], pads=[1, 0, 0, 2], output_padding=[1, 0])),
    "crop_to_one": (11, 1, 1, 1, 1, 3, 3, True, dict(pads=[1, 2, 1, 0])),
    "output_shape_notset_odd": (11, 2, 3, 3, 2, 3, 3, True, dict(strides=[2, 2], output_shape=[6, 5])),
    "output_shape_surplus": (11, 1, 3, 3, 2, 3, 3, True, dict(strides=[2, 2], output_shape=[8, 7])),
    "output_shape_same_upper": (11, 2, 3, 3, 1, 3, 3, True, dict(strides=[2, 2], auto_pad="SAME_UPPER", output_shape=[6, 4])),
    "output_shape_same_lower": (11, 2, 3, 3, 1, 3, 3, True, dict(strides=[2, 2], auto_pad="SAME_LOWER", output_shape=[6, 4])),
    "output_shape_with_op": (11, 1, 3, 3, 1, 3, 3, True, dict(strides=[2, 2], output_padding=[1, 1], output_shape=[6, 7])),
    "output_shape_ignores_pads": (11, 1, 3, 3, 1, 3, 3, True, dict(strides=[2, 2], pads=[2, 2, 0, 0], output_shape=[5, 5])),
    "same_upper_s2": (11, 2, 3, 3, 2, 3, 3, True, dict(strides=[2, 2], auto_pad="SAME_UPPER")),
    "same_lower_s2": (11, 2, 3, 3, 2, 3, 3, True, dict(strides=[2, 2], auto_pad="SAME_LOWER")),
    "same_upper_op1": (11, 1, 3, 2, 1, 3, 2, True, dict(strides=[2, 2], auto_pad="SAME_UPPER", output_padding=[1, 1])),
    "same_lower_dilated": (11, 1, 4, 4, 2, 3, 2, True, dict(strides=[1, 2], dilations=[2, 1], auto_pad="SAME_LOWER")),
    "same_upper_clamped_k1_s2": (11, 1, 3, 3, 1, 1, 1, True, dict(strides=[2, 2], auto_pad="SAME_UPPER")),
    "same_upper_opset1": (1, 2, 3, 3, 1, 3, 3, True, dict(strides=[2, 2], auto_pad="SAME_UPPER")),
    "same_lower_opset1": (1, 2, 3, 3, 1, 3, 3, True, dict(strides=[2, 2], auto_pad="SAME_LOWER")),
    "output_shape_opset1": (1, 1, 3, 3, 1, 3, 3, True, dict(strides=[2, 2], output_shape=[6, 6])),
    "valid_s2": (11, 2, 3, 2, 2, 3, 3, True, dict(strides=[2, 2], auto_pad="VALID")),
    "groups2_kg3": (11, 4, 3, 3, 3, 3, 3, True, dict(group=2, strides=[2, 2], pads=[1, 1, 1, 1])),
    "groups2_kg1": (11, 4, 3, 3, 1, 2, 2, True, dict(group=2, strides=[2, 2])),
    "depthwise_groups_eq_c": (11, 4, 3, 3, 1, 3, 3, True, dict(group=4, strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])),
    "depthwise_multiplier2": (11, 3, 3, 3, 2, 3, 3, True, dict(group=3, strides=[1, 1], pads=[1, 1, 1, 1])),
    "groups3_dilated_same": (11, 6, 3, 4, 2, 3, 3, True, dict(group=3, strides=[2, 2], dilations=[2, 1], auto_pad="SAME_UPPER")),
    "no_bias": (11, 2, 3, 3, 2, 3, 3, False, dict(strides=[2, 2], pads=[0, 1, 1, 0])),
    "no_bias_groups": (11, 4, 2, 2, 2, 2, 2, False, dict(group=2, strides=[2, 2])),
    "opset22": (22, 2, 3, 3, 2, 3, 3, True, dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 0])),
}

# Nodes onnxruntime refuses: name: (opset, C, H, W, K/group, FH, FW, attributes)
REJECTS = {
    "output_padding_ge_stride_and_dilation": (11, 1, 3, 3, 1, 3, 3, dict(strides=[2, 2], output_padding=[2, 0])),
    "output_padding_ge_stride_lt_dilation": (11, 1, 3, 3, 1, 3, 3, dict(strides=[1, 1], dilations=[2, 2], output_padding=[1, 0])),
    "output_shape_too_large": (11, 1, 3, 3, 1, 3, 3, dict(strides=[2, 2], output_shape=[9, 7])),
    "output_shape_zero": (11, 1, 3, 3, 1, 3, 3, dict(strides=[2, 2], output_shape=[0, 7])),
    "output_shape_negative": (11, 1, 3, 3, 1, 3, 3, dict(strides=[2, 2], output_shape=[-1, 7])),
    "empty_output": (11, 1, 3, 3, 1, 3, 3, dict(strides=[2, 2], pads=[4, 0, 3, 0])),
    "negative_pad": (11, 1, 3, 3, 1, 3, 3, dict(pads=[-1, 0, 0, 0])),
    "negative_output_padding": (11, 1, 3, 3, 1, 3, 3, dict(output_padding=[0, -1])),
    "pads_with_same_upper": (11, 1, 3, 3, 1, 3, 3, dict(auto_pad="SAME_UPPER", pads=[1, 1, 1, 1])),
    "pads_with_valid": (11, 1, 3, 3, 1, 3, 3, dict(auto_pad="VALID", pads=[0, 0, 0, 0])),
    "stride_zero": (11, 1, 3, 3, 1, 3, 3, dict(strides=[0, 1])),
    "dilation_zero": (11, 1, 3, 3, 1, 3, 3, dict(dilations=[1, 0])),
    "group_not_dividing_c": (11, 3, 3, 3, 1, 3, 3, dict(group=2)),
    "group_zero": (11, 2, 3, 3, 1, 3, 3, dict(group=0)),
}


def make_cases():
    cases = []
    for name, (opset, c, h, w, kg, fh, fw, bias, a) in CASES.items():
        g = a.get("group", 1)
        x = sixteenths((1, c, h, w))
        wt = sixteenths((c, kg, fh, fw))
        b = sixteenths((kg * g,)) if bias else None
        m = model(list(x.shape), list(wt.shape), opset, bias, **a)
        f = feeds(x, wt, b)
        y = run_ort(m, f)
        try:
            r = run_ref(m, f)
            if r.shape != y.shape:
                ref = f"reference's shape {list(r.shape)} differs"
            elif not np.array_equal(r.astype(np.float32), y):
                ref = f"reference differs by {float(np.abs(r - y).max())}"
            else:
                ref = "agrees"
        except Exception as e:  # the reference's own failure, recorded
            ref = "reference raises: " + message(e)
        cases.append({
            "name": name, "opset": opset, "attrs": attrs_json(a),
            "x_shape": [c, h, w], "x": x.ravel().tolist(),
            "w_shape": list(wt.shape), "w": wt.ravel().tolist(),
            "b": None if b is None else b.tolist(),
            "y_shape": list(y.shape[1:]), "y": y.ravel().tolist(),
            "reference": ref,
        })
        print(f"{name:40} {list(x.shape)} -> {list(y.shape)}  onnx.reference: {ref}")
    rejects = []
    for name, (opset, c, h, w, kg, fh, fw, a) in REJECTS.items():
        x = sixteenths((1, c, h, w))
        wt = sixteenths((c, kg, fh, fw))
        try:
            y = run_ort(model(list(x.shape), list(wt.shape), opset, False, **a), feeds(x, wt, None))
            raise SystemExit(f"{name}: onnxruntime accepted it ({y.shape})")
        except SystemExit:
            raise
        except Exception as e:
            err = message(e)
        rejects.append({"name": name, "opset": opset, "attrs": attrs_json(a),
                        "x_shape": [c, h, w], "w_shape": [c, kg, fh, fw], "onnxruntime": err})
        print(f"{name:40} refused: {err}")
    return {"generator": "tools/make_refs.py", "cases": cases, "rejects": rejects}


def scatter(x, w, s, d, pb, out):
    y = np.zeros(out)
    for i, xv in enumerate(x):
        for t, wv in enumerate(w):
            o = i * s + t * d - pb
            if 0 <= o < out:
                y[o] += xv * wv
    return y


def fit_1d(n, f, s, d, op, mode, pads, oshape):
    a = dict(strides=[s, 1], dilations=[d, 1], output_padding=[op, 0])
    if mode != "NOTSET":
        a["auto_pad"] = mode
    if pads is not None:
        a["pads"] = [pads[0], 0, pads[1], 0]
    if oshape is not None:
        a["output_shape"] = [oshape, 1]
    # Positive, distinct values: no shift but the right one reproduces the output.
    x = rng.uniform(1, 2, (1, 1, n, 1)).astype(np.float32)
    w = rng.uniform(1, 2, (1, 1, f, 1)).astype(np.float32)
    try:
        y = run_ort(model([1, 1, n, 1], [1, 1, f, 1], 11, False, **a), feeds(x, w, None))
    except Exception as e:
        return {"error": message(e)}
    out = y.shape[2]
    if not y.any():
        # No input lands inside the output: every large enough shift matches.
        return {"out": out, "pad_begin": -2}
    for pb in range(0, 3 * n * s + f * d + 8):
        if np.allclose(scatter(x.ravel(), w.ravel(), s, d, pb, out), y.ravel(), atol=1e-6):
            return {"out": out, "pad_begin": pb}
    raise SystemExit(f"no shift reproduces onnxruntime for {n, f, s, d, op, mode, pads, oshape}")


MODES = ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]


def make_sizes():
    rows, errors = [], []
    for _ in range(700):
        n, f = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        s, d, op = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
        mode = ["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"][int(rng.integers(0, 5))]
        pads = None
        if mode == "NOTSET" and rng.random() < 0.8:
            pads = [int(rng.integers(0, 4)), int(rng.integers(0, 4))]
        oshape = None
        if rng.random() < 0.3:
            full = (n - 1) * s + (f - 1) * d + 1 + op
            oshape = int(max(1, full + rng.integers(-4, 3)))
        r = fit_1d(n, f, s, d, op, mode, pads, oshape)
        if "error" in r:
            if r["error"] not in errors:
                errors.append(r["error"])
            result = [-1, errors.index(r["error"])]
        else:
            result = [r["out"], r["pad_begin"]]
        p = pads if pads is not None else [-1, -1]
        rows.append([n, f, s, d, op, MODES.index(mode), *p, -1 if oshape is None else oshape, *result])
    ok = sum(r[-2] >= 0 for r in rows)
    print(f"sizes: {len(rows)} fits, {ok} accepted by onnxruntime")
    return {
        "generator": "tools/make_refs.py",
        "columns": "n, f, stride, dilation, output_padding, auto_pad (index into modes), pad_begin, "
                   "pad_end (-1, -1: no pads attribute), output_shape (-1: none), then onnxruntime's "
                   "out and pad_begin (-2: no input lands inside the output), or -1 and an index "
                   "into errors",
        "modes": MODES, "errors": errors, "fits": rows,
    }


def main():
    os.makedirs(DATA, exist_ok=True)
    for fname, data in [("convtranspose_ref.json", make_cases()), ("convtranspose_sizes.json", make_sizes())]:
        with open(os.path.join(DATA, fname), "w") as fh:
            json.dump(data, fh, separators=(",", ":"))
            fh.write("\n")


if __name__ == "__main__":
    main()
