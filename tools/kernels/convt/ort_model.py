"""One-node ConvTranspose models run by onnxruntime and onnx.reference (shared by the tools)."""

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

ort.set_default_logger_severity(4)


def model(x_shape, w_shape, opset, with_bias, **attrs):
    inputs = [
        helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape),
        helper.make_tensor_value_info("W", TensorProto.FLOAT, w_shape),
    ]
    names = ["X", "W"]
    if with_bias:
        inputs.append(helper.make_tensor_value_info("B", TensorProto.FLOAT, [w_shape[1] * attrs.get("group", 1)]))
        names.append("B")
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    node = helper.make_node("ConvTranspose", names, ["Y"], **attrs)
    graph = helper.make_graph([node], "convtranspose", inputs, [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def feeds(x, w, b):
    f = {"X": x, "W": w}
    if b is not None:
        f["B"] = b
    return f


def run_ort(m, f, threads=1):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return s.run(None, f)[0]


def run_ref(m, f):
    return ReferenceEvaluator(m).run(None, f)[0]


def message(e):
    """The useful part of an onnxruntime or onnx.reference error."""
    s = str(e)
    i = s.find("Status Message:")
    s = s[i + 16:] if i >= 0 else s
    return " ".join(s.split())[:160]
