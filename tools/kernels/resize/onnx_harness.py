"""Run one ONNX node through onnx.reference and onnxruntime, for test vectors.

Only used to generate tests/data/*.json; `cargo test` never runs Python.
"""

import json

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator


def make_model(op, opset, inputs, attrs):
    """inputs: list of (name, array or None); the first is the graph input 'x', the rest are
    initializers; None leaves the slot empty ('')."""
    names, inits = [], []
    x = inputs[0][1]
    for i, (name, arr) in enumerate(inputs):
        if arr is None:
            names.append("")
            continue
        names.append(name)
        if i > 0:
            inits.append(onnx.numpy_helper.from_array(arr, name))
    while names and names[-1] == "":
        names.pop()
    node = helper.make_node(op, names, ["y"], **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info(inputs[0][0], TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def run_reference(model, x):
    try:
        return ReferenceEvaluator(model).run(None, {"x": x})[0]
    except Exception as e:  # noqa: BLE001 - any failure means "no reference answer"
        return "error: " + str(e).splitlines()[0][:160]


def run_ort(model, x):
    so = ort.SessionOptions()
    so.log_severity_level = 4
    try:
        sess = ort.InferenceSession(
            model.SerializeToString(), so, providers=["CPUExecutionProvider"]
        )
        return sess.run(None, {"x": x})[0]
    except Exception as e:  # noqa: BLE001
        return "error: " + str(e).splitlines()[0][:160]


def close(a, b):
    if isinstance(a, str) or isinstance(b, str) or a.shape != b.shape:
        return False
    # The Rust tests' tolerance: 1e-5 relative, measured against max(|b|, 1).
    return bool(np.all(np.abs(a - b) <= 1e-5 * np.maximum(np.abs(b), 1)))


def f32s(arr):
    """Shortest decimal strings that read back as the same f32 values."""
    return [float(np.format_float_positional(np.float32(v), unique=True, trim="-"))
            for v in np.asarray(arr, np.float32).ravel()]


def settle(case, ref, rt):
    """Pick the expected output: the reference unless the case says onnxruntime (or the
    reference cannot run it). Records whether the other runtime agrees."""
    truth = case.pop("truth", "reference")
    if truth == "reference" and isinstance(ref, str):
        truth = "onnxruntime"
    y = ref if truth == "reference" else rt
    other = rt if truth == "reference" else ref
    if isinstance(y, str):
        if case.get("expect_error"):
            case["error"] = y
            case["truth"] = truth
            return case
        raise SystemExit(f"{case['name']}: {truth} failed: {y}")
    case["truth"] = truth
    case["other_agrees"] = None if isinstance(other, str) else close(y, other)
    case["y_shape"] = list(y.shape)
    case["y"] = f32s(y)
    if case["other_agrees"] is False:
        note = other if isinstance(other, str) else (
            f"max difference {float(np.max(np.abs(y - other))):.3g}"
            if y.shape == other.shape else f"shape {other.shape}")
        print(f"  note: {case['name']}: the other runtime disagrees ({note})")
    return case


def write(path, generator, cases):
    with open(path, "w") as f:
        json.dump({"generated_by": generator, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path}")
