#!/usr/bin/env python3
"""Select ONNX backend node test cases for the ops convscope imports, and write them small.

Usage (in a throwaway venv):
    python3 -m venv /tmp/onnxenv && /tmp/onnxenv/bin/pip install onnx numpy
    /tmp/onnxenv/bin/python tools/onnx/select_conformance.py [OUT_DIR]

OUT_DIR defaults to tests/data/onnx/node. Each case becomes
    <case>/model.onnx
    <case>/test_data_set_<k>/input_0.pb     (TensorProto, the running input)
    <case>/test_data_set_<k>/output_0.pb    (TensorProto, the expected output)
the layout of ONNX's own backend test data, which `tests/onnx_conformance.rs` reads with the
prost types (no Python needed at test time).

Where the cases come from
-------------------------
New onnx wheels no longer ship the node test data; they ship the generators
(`onnx.backend.test.case.node`). This script runs them (`collect_testcases`) and takes the cases
listed in OFFICIAL below, each with the model and expected outputs ONNX itself computed.

A convscope network has one running input, a batch of 1 and 4-D NCHW (or 2-D [1, N]) tensors, so
each official case is adapted in one of these ways (the kind is written next to each case):
- "weights": every graph input after the first becomes an initializer holding the case's own
  data (convscope takes weights, slopes, clip bounds, … from constants);
- "samples": a batch of B becomes B data sets of batch 1 (x[i:i+1] → y[i:i+1]); exact for ops
  that treat samples independently, which all of ours do;
- "rows": a 2-D [M, K] input becomes M data sets of [1, K] (Gemm, MatMul, Softmax on rows);
- "reshape:<dims>": an element-wise op's data is reshaped to the given NCHW dims (values and
  their order unchanged, so the expected output is unchanged).
Every adapted case is re-checked here with onnx.reference.ReferenceEvaluator: the adapted model
on the adapted input must give the official expected output (within ONNX's own tolerance for the case), so an adaptation can
never change what is tested.

ONNX's generators have no Add/Mul/Sum/Concat case with a single running input, no grouped or
dilated conv, no Clip in attribute form (opset < 11) and no Flatten → Gemm on a volume with rows
and cols (which needs the CHW → HWD column permutation). CUSTOM builds such small graphs; their
expected outputs come from onnx.reference.ReferenceEvaluator, not from convscope. They are named
`cs_*` so they are never mistaken for ONNX's own cases.

Cases left out, and why, are in EXCLUDED.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.backend.test.case import node as node_cases
from onnx.reference import ReferenceEvaluator

warnings.filterwarnings("ignore")

# case name → adaptation
OFFICIAL = {
    # Conv: W (and B) become initializers.
    "test_basic_conv_with_padding": "weights",
    "test_basic_conv_without_padding": "weights",
    "test_conv_with_strides_padding": "weights",
    "test_conv_with_strides_no_padding": "weights",
    "test_conv_with_strides_and_asymmetric_padding": "weights",
    "test_conv_with_autopad_same": "weights",
    # AveragePool
    "test_averagepool_2d_default": "weights",
    "test_averagepool_2d_pads": "weights",
    "test_averagepool_2d_pads_count_include_pad": "weights",
    "test_averagepool_2d_precomputed_pads": "weights",
    "test_averagepool_2d_precomputed_pads_count_include_pad": "weights",
    "test_averagepool_2d_precomputed_same_upper": "weights",
    "test_averagepool_2d_precomputed_strides": "weights",
    "test_averagepool_2d_same_upper": "weights",
    "test_averagepool_2d_same_lower": "weights",
    "test_averagepool_2d_strides": "weights",
    "test_averagepool_2d_ceil": "weights",
    "test_averagepool_2d_ceil_last_window_starts_on_pad": "weights",
    # MaxPool
    "test_maxpool_2d_default": "weights",
    "test_maxpool_2d_pads": "weights",
    "test_maxpool_2d_precomputed_pads": "weights",
    "test_maxpool_2d_precomputed_same_upper": "weights",
    "test_maxpool_2d_precomputed_strides": "weights",
    "test_maxpool_2d_same_upper": "weights",
    "test_maxpool_2d_same_lower": "weights",
    "test_maxpool_2d_strides": "weights",
    "test_maxpool_2d_ceil": "weights",
    "test_maxpool_2d_ceil_output_size_reduce_by_one": "weights",
    # GlobalAveragePool
    "test_globalaveragepool": "weights",
    "test_globalaveragepool_precomputed": "weights",
    # BatchNormalization (batch 2): scale, B, mean, var become initializers.
    "test_batchnorm_example": "samples",
    "test_batchnorm_epsilon": "samples",
    # LRN (batch 5)
    "test_lrn": "samples",
    "test_lrn_default": "samples",
    # Gemm: B and C become initializers; each row of A is one data set.
    "test_gemm_default_no_bias": "rows",
    "test_gemm_default_scalar_bias": "rows",
    "test_gemm_default_single_elem_vector_bias": "rows",
    "test_gemm_default_vector_bias": "rows",
    "test_gemm_default_zero_bias": "rows",
    "test_gemm_transposeB": "rows",
    "test_gemm_alpha": "rows",
    "test_gemm_beta": "rows",
    "test_gemm_default_matrix_bias": "rows",  # C has one row per row of A: see adapt_rows
    # MatMul, 2-D only
    "test_matmul_2d": "rows",
    # Softmax
    "test_softmax_example": "weights",
    "test_softmax_large_number": "rows",
    "test_softmax_axis_0": "reshape:1,3,4,5;axis=1",
    "test_softmax_axis_1": "samples;reshape:1,4,5,1",
    "test_softmax_axis_2": "rows2d;axis=1",
    "test_softmax_negative_axis": "rows2d",
    "test_softmax_default_axis": "rows2d",
    # Flatten (batch 2 → samples); axis 0 and 1 give [1, C·H·W] for one sample.
    "test_flatten_axis1": "samples",
    "test_flatten_default_axis": "samples",
    "test_flatten_negative_axis3": "samples",
    "test_flatten_axis0": "first_sample_axis0",
    "test_flatten_negative_axis4": "first_sample_axis0",
    # Element-wise activations
    "test_relu": "reshape:1,3,4,5",
    "test_sigmoid": "reshape:1,3,4,5",
    "test_sigmoid_example": "reshape:1,3,1,1",
    "test_leakyrelu": "reshape:1,3,4,5",
    "test_leakyrelu_default": "reshape:1,3,4,5",
    "test_leakyrelu_example": "reshape:1,3,1,1",
    "test_prelu_broadcast": "rows2d",  # slope [5] broadcasts on the last axis: rows of [1, 5]
    # Clip, input form (opset 13); min/max become initializers.
    "test_clip": "reshape:1,3,4,5",
    "test_clip_example": "reshape:1,3,1,1",
    "test_clip_inbounds": "reshape:1,3,1,1",
    "test_clip_outbounds": "reshape:1,3,1,1",
    "test_clip_splitbounds": "reshape:1,3,1,1",
    "test_clip_min_greater_than_max": "reshape:1,3,1,1",
    "test_clip_default_min": "reshape:1,3,4,5",
    "test_clip_default_max": "reshape:1,3,4,5",
    "test_clip_default_inbounds": "reshape:1,3,1,1",
    # Pass-through
    "test_identity": "weights",
    "test_dropout_default": "reshape:1,3,4,5",
    "test_dropout_default_ratio": "reshape:1,3,4,5",
    "test_dropout_default_old": "reshape:1,3,1,1",
    "test_dropout_random_old": "reshape:1,3,4,5",
    # Sum of one input
    "test_sum_one_input": "reshape:1,3,1,1",
}

EXCLUDED = {
    "test_*_1d_*, test_*_3d_*": "1-D and 3-D pools: convscope volumes are 2-D (H × W × D)",
    "test_averagepool_2d_dilations, test_maxpool_2d_dilations": "pool dilation: PoolParams has none",
    "test_maxpool_2d_uint8, test_*_int8, test_*_uint*": "integer tensors: convscope computes in f32",
    "test_maxpool_with_argmax_*": "the second output (indices) is not computed",
    "test_batchnorm_*_training_mode": "training mode: convscope runs inference only",
    "test_gemm_transposeA, test_gemm_all_attributes": "transA = 1 makes the running tensor [K, 1]",
    "test_matmul_3d, _4d, _bcast, _1d_*": "batched or 1-D MatMul: only [1, K] · [K, N] maps to fc",
    "test_flatten_axis2, axis3, negative_axis1, negative_axis2": "output [C·.., ..] is not batch 1",
    "test_reshape_*": "general reshapes; only a flatten to [1, N] maps (see cs_reshape_flatten)",
    "test_add, test_mul, test_sum_two_inputs, test_sum_example, test_mul_example, test_concat_*":
        "two running inputs: a network has one input (see the cs_add/cs_mul/cs_sum/cs_concat cases)",
    "test_add_bcast, test_mul_bcast": "two running inputs, broadcast on the last axis",
    "test_prelu_example": "a slope per element ([3, 4, 5]); convscope's prelu has one per channel",
    "test_clip_default_int8_*": "integer tensors",
    "test_dropout_default_mask*, test_training_dropout*": "mask output / training mode",
    "test_identity_sequence, test_identity_opt": "sequence and optional types",
    "*_expanded": "function expansions use ops outside the supported list",
}


def tensor_dims(a: np.ndarray):
    return helper.make_tensor_value_info("", TensorProto.FLOAT, list(a.shape)).type


def with_io(model: onnx.ModelProto, x: np.ndarray, y: np.ndarray, consts: dict) -> onnx.ModelProto:
    """The case's model with one running input of x's shape, one output of y's shape, and the
    other inputs as initializers."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    first, out = g.input[0].name, g.output[0].name
    del g.input[1:]
    del g.output[1:]
    g.input[0].CopyFrom(helper.make_tensor_value_info(first, TensorProto.FLOAT, list(x.shape)))
    g.output[0].CopyFrom(helper.make_tensor_value_info(out, TensorProto.FLOAT, list(y.shape)))
    for name, value in consts.items():
        g.initializer.append(numpy_helper.from_array(np.asarray(value), name))
    return m


def adapt(case, how: str):
    """(model, [(x, y), …]) for one official case."""
    inputs, outputs = case.data_sets[0]
    names = [i.name for i in case.model.graph.input]
    x, y = np.asarray(inputs[0]), np.asarray(outputs[0])
    consts = {n: v for n, v in zip(names[1:], inputs[1:])}
    model = case.model
    sets = [(x, y)]
    for step in how.split(";"):
        if step == "weights":
            pass
        elif step == "samples":
            sets = [(sx[i : i + 1], sy[i : i + 1]) for sx, sy in sets for i in range(sx.shape[0])]
        elif step == "first_sample_axis0":
            # Flatten axis 0 of [B, C, H, W] is [1, B·C·H·W]; one sample is its first C·H·W values.
            n = x[0].size
            sets = [(x[0:1], y[:, :n])]
        elif step == "rows":
            sets, consts = adapt_rows(case, x, y, consts)
        elif step == "rows2d":
            # Softmax/PRelu over the last axis: every row of the [.., N] data is one [1, N] set.
            n = x.shape[-1]
            sets = [(r[None, :], s[None, :]) for r, s in zip(x.reshape(-1, n), y.reshape(-1, n))]
        elif step.startswith("reshape:"):
            dims = [int(d) for d in step[len("reshape:") :].split(",")]
            sets = [(sx.reshape(dims), sy.reshape(dims)) for sx, sy in sets]
        elif step.startswith("axis="):
            model = onnx.ModelProto()
            model.CopyFrom(case.model)
            for a in model.graph.node[0].attribute:
                if a.name == "axis":
                    a.i = int(step[len("axis=") :])
        else:
            raise ValueError(step)
    model = with_io(model, sets[0][0], sets[0][1], consts)
    return model, sets


def adapt_rows(case, x, y, consts):
    """Gemm/MatMul/Softmax on [M, K]: row i of A gives row i of Y. A matrix bias C [M, N] differs
    per row, so only row 0 is kept, with C[0:1]."""
    node = case.model.graph.node[0]
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    assert not attrs.get("transA"), case.name
    consts = dict(consts)
    rows = range(x.shape[0])
    if node.op_type == "Gemm" and len(node.input) > 2:
        c = np.asarray(consts[node.input[2]])
        if c.ndim == 2 and c.shape[0] > 1:
            consts[node.input[2]] = c[0:1]
            rows = range(1)
    return [(x[i : i + 1], y[i : i + 1]) for i in rows], consts


def check(name, model, sets, rtol=1e-5, atol=1e-6):
    """The adapted model must reproduce the expected outputs (ONNX's tolerance for its cases:
    some official outputs are rounded to 4 decimals)."""
    onnx.checker.check_model(model)
    ref = ReferenceEvaluator(model)
    feed = model.graph.input[0].name
    for k, (x, y) in enumerate(sets):
        got = ref.run(None, {feed: x})[0]
        if got.shape != y.shape or not np.allclose(got, y, rtol=rtol, atol=atol):
            raise SystemExit(f"{name} set {k}: the adapted model does not give the official output")


# ---- convscope's own small graphs (expected outputs from onnx.reference) ----

RNG = np.random.default_rng(20240601)


def rand(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, size=shape).astype(np.float32)


def graph_case(nodes, x_shape, inits, opset=13, out="y"):
    x = rand(*x_shape)
    g = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    y = ReferenceEvaluator(m).run(None, {"x": x})[0]
    m.graph.output[0].CopyFrom(helper.make_tensor_value_info(out, TensorProto.FLOAT, list(y.shape)))
    return m, [(x, y)]


def custom():
    n = helper.make_node
    c = {}
    w_dw = rand(6, 1, 3, 3)
    c["cs_conv_depthwise_stride2_same_upper"] = graph_case(
        [n("Conv", ["x", "w", "b"], ["y"], group=6, strides=[2, 2], auto_pad="SAME_UPPER")],
        (1, 6, 9, 8), {"w": w_dw, "b": rand(6)})
    c["cs_conv_groups2_dilation2_asymmetric_pads"] = graph_case(
        [n("Conv", ["x", "w", "b"], ["y"], group=2, dilations=[2, 1], pads=[1, 0, 2, 1], kernel_shape=[3, 2])],
        (1, 4, 9, 7), {"w": rand(6, 2, 3, 2), "b": rand(6)})
    c["cs_conv_same_lower_stride2"] = graph_case(
        [n("Conv", ["x", "w"], ["y"], strides=[2, 2], auto_pad="SAME_LOWER")],
        (1, 3, 8, 8), {"w": rand(4, 3, 4, 4)})
    c["cs_conv_valid_rect_stride"] = graph_case(
        [n("Conv", ["x", "w", "b"], ["y"], strides=[2, 3], auto_pad="VALID")],
        (1, 2, 10, 11), {"w": rand(3, 2, 3, 3), "b": rand(3)})
    c["cs_conv_fp16_weights_cast"] = graph_case(
        [n("Cast", ["w16"], ["w"], to=TensorProto.FLOAT), n("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
        (1, 3, 6, 6), {"w16": rand(5, 3, 3, 3).astype(np.float16)})
    c["cs_clip_attribute_form_opset10"] = graph_case(
        [n("Clip", ["x"], ["y"], min=-0.25, max=0.5)], (1, 3, 4, 4), {}, opset=10)
    c["cs_relu6_clip_inputs"] = graph_case(
        [n("Mul", ["x", "k"], ["xs"]), n("Clip", ["xs", "lo", "hi"], ["y"])],
        (1, 3, 4, 4), {"k": np.float32(10.0), "lo": np.float32(0.0), "hi": np.float32(6.0)})
    c["cs_prelu_per_channel"] = graph_case(
        [n("PRelu", ["x", "s"], ["y"])], (1, 4, 3, 3), {"s": rand(4, 1, 1)})
    c["cs_batchnorm_4d"] = graph_case(
        [n("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"], epsilon=1e-3)],
        # opset 15: onnx.reference's BatchNormalization-9 uses batch statistics when momentum is set.
        (1, 3, 4, 5), {"g": rand(3), "b": rand(3), "m": rand(3), "v": rand(3, lo=0.5, hi=2.0)}, opset=15)
    c["cs_add_residual"] = graph_case(
        [n("Relu", ["x"], ["r"]), n("Add", ["x", "r"], ["y"])], (1, 3, 4, 5), {})
    c["cs_mul_gate"] = graph_case(
        [n("Sigmoid", ["x"], ["s"]), n("Mul", ["x", "s"], ["y"])], (1, 3, 4, 5), {})
    c["cs_mul_channel_gate_broadcast"] = graph_case(
        [n("GlobalAveragePool", ["x"], ["p"]), n("Sigmoid", ["p"], ["s"]), n("Mul", ["x", "s"], ["y"])],
        (1, 4, 5, 5), {})
    c["cs_sum_three"] = graph_case(
        [n("Relu", ["x"], ["a"]), n("Sigmoid", ["x"], ["b"]), n("Sum", ["x", "a", "b"], ["y"])], (1, 2, 3, 3), {})
    c["cs_concat_channels"] = graph_case(
        [n("Relu", ["x"], ["a"]), n("Sigmoid", ["x"], ["b"]), n("Concat", ["a", "x", "b"], ["y"], axis=1)],
        (1, 2, 3, 4), {})
    c["cs_add_mul_sub_div_constants"] = graph_case(
        [n("Add", ["x", "c"], ["a"]), n("Mul", ["a", "s"], ["m"]), n("Sub", ["k", "m"], ["d"]),
         n("Div", ["d", "q"], ["y"])],
        (1, 3, 4, 4), {"c": rand(3, 1, 1), "s": rand(1, 3, 1, 1), "k": np.float32(0.5), "q": np.float32(4.0)})
    c["cs_flatten_gemm_chw_order"] = graph_case(
        [n("Flatten", ["x"], ["f"]), n("Gemm", ["f", "w", "b"], ["y"], transB=1, alpha=0.5, beta=2.0)],
        (1, 3, 2, 4), {"w": rand(5, 24), "b": rand(5)})
    c["cs_flatten_is_chw_order"] = graph_case([n("Flatten", ["x"], ["y"])], (1, 3, 2, 2), {})
    c["cs_matmul_add_fc"] = graph_case(
        [n("Flatten", ["x"], ["f"]), n("MatMul", ["f", "w"], ["m"]), n("Add", ["m", "b"], ["y"])],
        (1, 2, 3, 3), {"w": rand(18, 4), "b": rand(4)})
    c["cs_reshape_flatten_shape_pattern"] = graph_case(
        [n("Shape", ["x"], ["s"]), n("Gather", ["s", "zero"], ["b"], axis=0),
         n("Unsqueeze", ["b", "axes"], ["b1"]), n("Concat", ["b1", "minus1"], ["t"], axis=0),
         n("Reshape", ["x", "t"], ["f"]), n("Gemm", ["f", "w"], ["y"], transB=1)],
        (1, 2, 3, 3), {"zero": np.int64(0), "axes": np.array([0], np.int64),
                       "minus1": np.array([-1], np.int64), "w": rand(3, 18)})
    c["cs_gap_flatten_gemm_softmax"] = graph_case(
        [n("GlobalAveragePool", ["x"], ["p"]), n("Flatten", ["p"], ["f"]),
         n("Gemm", ["f", "w", "b"], ["l"], transB=1), n("Softmax", ["l"], ["y"], axis=1)],
        (1, 8, 4, 4), {"w": rand(5, 8), "b": rand(5)})
    c["cs_softmax_channels_opset11_1x1"] = graph_case(
        [n("GlobalAveragePool", ["x"], ["p"]), n("Softmax", ["p"], ["y"], axis=1)], (1, 5, 3, 3), {}, opset=11)
    c["cs_lrn_alexnet"] = graph_case(
        [n("LRN", ["x"], ["y"], size=5, alpha=1e-4 * 5, beta=0.75, bias=2.0)], (1, 7, 4, 4), {})
    c["cs_maxpool_ceil_pnet"] = graph_case(
        [n("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)], (1, 3, 7, 9), {})
    c["cs_avgpool_ceil_pads_exclude_pad"] = graph_case(
        [n("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)],
        (1, 2, 8, 8), {})
    c["cs_dropout_identity_chain"] = graph_case(
        [n("Dropout", ["x"], ["d"]), n("Identity", ["d"], ["i"]), n("LeakyRelu", ["i"], ["y"], alpha=0.2)],
        (1, 3, 3, 3), {})
    return c


def write(out_dir, name, model, sets):
    d = os.path.join(out_dir, name)
    os.makedirs(d)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for k, (x, y) in enumerate(sets):
        s = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(s)
        for fname, a, tname in [("input_0.pb", x, model.graph.input[0].name),
                                ("output_0.pb", y, model.graph.output[0].name)]:
            with open(os.path.join(s, fname), "wb") as f:
                f.write(numpy_helper.from_array(np.asarray(a, np.float32), tname).SerializeToString())


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "tests", "data", "onnx", "node")
    out_dir = os.path.normpath(out_dir)
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    cases = {c.name: c for c in node_cases.collect_testcases() if c.model is not None}
    lines = [f"# ONNX conformance cases (onnx {onnx.__version__})", "",
             "Written by `tools/onnx/select_conformance.py`; do not edit by hand.", "",
             "| case | source | adaptation | data sets |", "| --- | --- | --- | --- |"]
    for name, how in OFFICIAL.items():
        model, sets = adapt(cases[name], how)
        check(name, model, sets, cases[name].rtol, cases[name].atol)
        write(out_dir, name, model, sets)
        lines.append(f"| {name} | onnx backend | {how} | {len(sets)} |")
    for name, (model, sets) in custom().items():
        check(name, model, sets)
        write(out_dir, name, model, sets)
        lines.append(f"| {name} | convscope, expected by onnx.reference | — | {len(sets)} |")
    lines += ["", "## Left out", ""] + [f"- `{k}`: {v}" for k, v in EXCLUDED.items()]
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(OFFICIAL)} official and {len(custom())} convscope cases to {out_dir}")


if __name__ == "__main__":
    main()
