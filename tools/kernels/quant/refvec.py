"""Shared helpers of the reference-vector generator: build a one-node model, run it under
onnx.reference and onnxruntime, and write tensors as JSON the Rust tests read.

Floats that JSON cannot hold (NaN, ±inf) are written as the strings "nan", "inf", "-inf".
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper as oh
from onnx.reference import ReferenceEvaluator

warnings.filterwarnings("ignore")
ort.set_default_logger_severity(4)

NP2TP = {
    np.dtype("float32"): TP.FLOAT,
    np.dtype("uint8"): TP.UINT8,
    np.dtype("int8"): TP.INT8,
    np.dtype("uint16"): TP.UINT16,
    np.dtype("int16"): TP.INT16,
    np.dtype("int32"): TP.INT32,
}
NAMES = {
    np.dtype("float32"): "float32",
    np.dtype("uint8"): "uint8",
    np.dtype("int8"): "int8",
    np.dtype("uint16"): "uint16",
    np.dtype("int16"): "int16",
    np.dtype("int32"): "int32",
}


class Unsupported(Exception):
    """The runtime refused the model."""


def build(op, inputs, out_types, opset, attrs):
    names, vi, feeds = [], [], {}
    for i, a in enumerate(inputs):
        if a is None:
            names.append("")
            continue
        n = f"in{i}"
        names.append(n)
        feeds[n] = a
        vi.append(oh.make_tensor_value_info(n, NP2TP[a.dtype], a.shape))
    while names and names[-1] == "":
        names.pop()
    outs = [oh.make_tensor_value_info(f"out{j}", t, None) for j, t in enumerate(out_types)]
    node = oh.make_node(op, names, [o.name for o in outs], **attrs)
    graph = oh.make_graph([node], "g", vi, outs)
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)])
    model.ir_version = 10 if opset >= 21 else 8
    return model, feeds


def run_ref(op, inputs, out_types, opset, attrs):
    model, feeds = build(op, inputs, out_types, opset, attrs)
    return ReferenceEvaluator(model).run(None, feeds)


def run_ort(op, inputs, out_types, opset, attrs):
    model, feeds = build(op, inputs, out_types, opset, attrs)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        s = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
        return s.run(None, feeds)
    except Exception as e:  # noqa: BLE001 - any refusal means "not supported here"
        raise Unsupported(str(e).splitlines()[0][:200]) from e


def f32_list(a):
    out = []
    for v in np.asarray(a, dtype=np.float32).ravel().tolist():
        if np.isnan(v):
            out.append("nan")
        elif np.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v)
    return out


def tensor(a):
    a = np.asarray(a)
    if a.dtype == np.float32:
        data = f32_list(a)
    else:
        data = [int(v) for v in a.ravel().tolist()]
    return {"type": NAMES[a.dtype], "dims": list(a.shape), "data": data}


def same(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if x.dtype == np.float32:
        return bool(np.array_equal(x.view(np.uint32), y.view(np.uint32)))
    return bool(np.array_equal(x, y))


def write(path, cases):
    with open(path, "w") as f:
        json.dump({"generator": "tools/gen_vectors.py", "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


def rng_ints(rng, dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)


def requant_f32(acc, mult, zp, dtype):
    """onnxruntime's requantisation: f32(acc) · m in f32, round half to even, + zp, clip."""
    v = acc.astype(np.float32) * np.asarray(mult, dtype=np.float32)
    info = np.iinfo(dtype)
    return np.clip(np.rint(v).astype(np.int64) + int(zp), info.min, info.max).astype(dtype)
