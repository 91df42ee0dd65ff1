#!/usr/bin/env python3
"""Select ONNX backend node test cases for the ops convscope imports, and write them small.

Usage (in a throwaway venv):
    python3 -m venv /tmp/onnxenv && /tmp/onnxenv/bin/pip install onnx onnxruntime numpy
    /tmp/onnxenv/bin/python tools/onnx/select_conformance.py [OUT_DIR]

OUT_DIR defaults to tests/data/onnx/node. Each case becomes
    <case>/model.onnx
    <case>/test_data_set_<k>/input_0.pb     (TensorProto, the one running input)
    <case>/test_data_set_<k>/output_<j>.pb  (TensorProto, the expected value of graph output j)
the layout of ONNX's own backend test data, which `tests/it/onnx_conformance.rs` reads with the
prost types (no Python needed at test time). Every tensor keeps its element type (float16,
double, int8 … uint64, bool); a case with several graph outputs has one output_<j>.pb for each,
in graph-output order. The README.md written next to the cases lists every case, the op(s) it
tests, where it comes from, how it was adapted and how many data sets it has, then every case
of a selected op that was left out, with the reason.

Written with onnx 1.23.2 and onnxruntime 1.32; another onnx version generates other cases (the
script warns), so regenerate with the same versions to reproduce the folder byte for byte.

Where the cases come from
-------------------------
New onnx wheels no longer ship the node test data; they ship the generators
(`onnx.backend.test.case.node`). This script runs them (`collect_testcases`) and takes, each
with the model and the expected outputs ONNX itself computed:

1. LEGACY: the cases selected for the first importer (one running input, batch 1, 4-D NCHW or
   2-D [1, N] tensors), with the adaptations they always had, unchanged, so that existing tests
   keep their data:
   - "weights": every graph input after the first becomes an initializer holding the case's own
     data (convscope takes weights, slopes, clip bounds, … from constants);
   - "samples": a batch of B becomes B data sets of batch 1 (x[i:i+1] → y[i:i+1]); exact for ops
     that treat samples independently;
   - "rows": a 2-D [M, K] input becomes M data sets of [1, K] (Gemm, MatMul, Softmax on rows);
   - "rows2d": every row of the [.., N] data becomes one [1, N] data set (ops over the last axis);
   - "reshape:<dims>": an element-wise op's data is reshaped to the given NCHW dims (values and
     their order unchanged, so the expected output is unchanged);
   - "axis=<k>": the node's axis attribute is rewritten to k (used with a reshape that moves the
     reduced axis there, so the expected output is unchanged);
   - "first_sample_axis0": Flatten with axis 0 of [B, C, H, W] is [1, B·C·H·W]; one sample is
     its first C·H·W values.

2. NEW_OPS: EVERY case of ONNX's suite whose graph is a single node of one of the ops in NEW_OPS
   (the ops real CNNs use: element-wise math, comparisons and logic, reductions, normalisations,
   pools, resampling, shape and layout ops, Cast, Gemm/MatMul, softmaxes, LSTM/GRU/RNN,
   quantisation, TopK, Range, …), except those left out (see EXCLUDED below). The importer these
   cases are for accepts ONE running graph input of any shape and any element type, so:
   - "weights" (always): the running input stays a graph input, with the concrete shape and
     element type of the case's data, and every other graph input becomes an initializer holding
     the case's data. The running input is input 0, the tensor the op computes on, except where
     RUNNING says otherwise (Where: X stays running, the condition becomes a constant, so the op
     is exercised on a computed float tensor; bool running inputs are covered by Not/And/Or);
   - "samples" (only for the ops in SAMPLE_OPS: Conv/ConvTranspose, pools, normalisations over
     NCHW, whose convscope kernels take batch 1): a batch of B > 1 becomes B data sets. Every
     other case keeps its shape, batch included;
   - "run=<k>": input k is the running one (see RUNNING).
   Graph outputs are all kept, each declared with the element type and shape of its expected
   value.
   A LEGACY case whose adaptation differs from these rules (rows, rows2d, reshape, axis,
   first_sample_axis0, or samples on an op outside SAMPLE_OPS such as Flatten) is ALSO written
   as `<case>_as_is` with them (only "weights"), so e.g. Softmax over axis 0 of a [3, 4, 5]
   tensor, Gemm with a [3, K] A, Flatten of a batch of 2 or PRelu with slopes broadcast over the
   last axis are tested as ONNX wrote them.

3. EXPANDED: ONNX's `*_expanded` cases (the op replaced by its function body) of the families in
   EXPANDED_FAMILIES (softmax, log-softmax, layer norm 4-D, group norm, HardSwish, Mish, MVN,
   DepthToSpace/SpaceToDepth, DynamicQuantizeLinear, CenterCropPad), when every op of the
   expanded graph is a selected op or Constant: they are the decomposed patterns exporters emit
   (softmax as ReduceMax/Sub/Exp/ReduceSum/Div, layer norm with Shape/ConstantOfShape/Reshape
   arithmetic, DepthToSpace as Reshape/Transpose on a Shape-computed shape, …). Adapted with
   "weights" like NEW_OPS; they need the importer to accept Constant nodes.

4. OLDER OPSETS ("opset:<n>", written as `<case>_opset<n>`): ONNX generates each op only at its
   newest version, but real models are exported at opsets 9–17, where several ops took their
   axes, pads, splits or scales as attributes, or had other semantics. For the cases listed in
   DOWNGRADE the node is rewritten to the older form, with the same data:
   - Resize 19 → 13 (same inputs; only cases without antialias, axes, keep_aspect_ratio_policy
     and half_pixel_symmetric, which are 18/19 additions), → 11 (roi and scales are required
     inputs: empty initializers stand for the missing ones) and → 10 (inputs X, scales; mode
     nearest or linear; 'asymmetric' coordinates, nearest pixel = floor when upsampling, ceil
     when downsampling, as onnxruntime implements Resize-10 — only cases whose official output
     is reproduced by those semantics);
   - Upsample 9 → 7 (scales as an attribute);
   - ReduceMean/Max/Min/L2 18 → 13 and ReduceSum 13 → 11 (axes input → attribute);
   - Squeeze/Unsqueeze 13 → 11 and Split 13/18 → 11 (axes/split input → attribute);
   - Pad 25 → 11 (same inputs, no axes, modes constant/reflect/edge) and → 2 (pads and value as
     attributes);
   - Slice 13 → 9 (starts/ends/axes as attributes; only unit steps);
   - QuantizeLinear/DequantizeLinear 28 → 13 (8-bit per-tensor and per-axis cases);
   - Softmax/LogSoftmax 13 → 11, only where the opset-11 semantics (coerce to 2-D at axis, then
     normalise each row) give the same result: the axis is the last one.
   A variant is kept only if the older-opset model reproduces the OFFICIAL expected output, so a
   downgrade can never change what is tested.

Every adapted or downgraded case is re-checked here with onnx.reference.ReferenceEvaluator: the
written model, fed the written input, must give every written expected output (within ONNX's
own tolerance for the case; integer and bool outputs exactly, NaN equal to NaN). onnx.reference
implements Resize, Upsample and (Log)Softmax with their newest semantics only, and
QuantizeLinear/DequantizeLinear from opset 19 on, so `reference()` adds small shims
(OLD_OPSET_SHIMS): below opset 13 Softmax/LogSoftmax coerce to 2-D at `axis` (default 1);
below 11 Resize takes (X, scales) with asymmetric coordinates and nearest = floor when
upsampling, ceil when downsampling (onnxruntime's Resize-10); Upsample-7/9 likewise, with
the scales an attribute in 7; Q/DQ below 19 are evaluated on a copy stamped opset 19 (the
same semantics for 8-bit integers). Resize-10, Upsample-7 and Q/DQ-13 variants must also
reproduce the official output in onnxruntime.

convscope's own graphs (cs_*)
-----------------------------
custom_reference() builds the small graphs made for the first importer (single running input
versions of Add/Mul/Sum/Concat, grouped and dilated convs, Clip in attribute form, Flatten →
Gemm on a volume, …); their expected outputs come from onnx.reference.ReferenceEvaluator, as
before.

custom_ort() builds graphs for what ONNX's suite lacks and for the patterns real CNNs are made
of: Cast to/from integer types and bool (and Shape → Cast → arithmetic), Softmax/LogSoftmax
before opset 13 where the 2-D coercion matters, Resize-10/Upsample with non-integer scales,
linear Upsample, Upsample-7, Resize-11 with sizes as torch exports nearest, Resize-13
bilinear with pytorch_half_pixel and align_corners, and the
patterns ShuffleNet channel shuffle, SE block, NHWC in/out, YOLO Focus slices, FPN resize
pyramid, decomposed LayerNorm (opset 17 and 18), QDQ conv, CRNN (conv → squeeze → transpose →
bidirectional LSTM → MatMul → Softmax), MobileNetV3 block with HardSwish, ConvTranspose +
Resize decoder head, HardSwish and GELU decomposed as older exporters write them. Their
expected outputs come from onnxruntime (CPU, one thread, graph optimisations disabled so no
fused kernel such as QLinearConv replaces the float QDQ arithmetic) and are cross-checked with
onnx.reference (with the shims above where needed): both must agree within the tolerance given
per case. They are named `cs_*` so they are never mistaken for ONNX's own cases.

Cases left out
--------------
EXCLUDED maps case-name patterns to the reason they are left out; besides, any case whose
tensors use float8, float4, int4/uint4, int2/uint2, bfloat16 or string elements, sequence,
optional or map types, a training mode, or an op outside the default domain is left out
automatically with that reason (AUTO_REASONS), whatever its name, and so is a 1-D or 3-D
conv/pool. To keep the folder under 20 MB (about 19 MB on disk with 4 KiB blocks, 8.3 MB of
file contents, 839 cases), an `*_example` case whose `*_random` twin has the same node is left
out, and so are a few element-type variants (see EXCLUDED). The README lists every case of a
selected op that is left out, with its reason.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.backend.test.case import node as node_cases
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

warnings.filterwarnings("ignore")

ONNX_VERSION = "1.23.2"

# ---- 1. LEGACY: case name → adaptation (the first importer's selection, unchanged) ----

LEGACY = {
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

# ---- 2. NEW_OPS: every single-node case of these ops (op → what the cases cover) ----

NEW_OPS = {
    # activations and element-wise math
    "HardSigmoid": "", "HardSwish": "", "Sigmoid": "", "Tanh": "", "Exp": "", "Log": "",
    "Sqrt": "", "Reciprocal": "", "Neg": "", "Abs": "", "Erf": "", "Gelu": "none and tanh",
    "Softplus": "", "Elu": "", "Selu": "", "Floor": "", "Ceil": "", "Round": "half to even",
    "Pow": "float and integer bases/exponents", "Sign": "", "Sin": "", "Cos": "",
    "Mod": "fmod 0/1, integer and float", "Relu": "", "LeakyRelu": "", "PRelu": "broadcast slopes",
    "Clip": "inputs form, int8 too", "Identity": "", "Dropout": "inference",
    # variadic and binary arithmetic (broadcasting, integer types)
    "Max": "", "Min": "", "Mean": "", "Sum": "", "Add": "", "Sub": "", "Mul": "", "Div": "",
    # comparisons and logic
    "Where": "", "Equal": "", "Less": "", "Greater": "", "LessOrEqual": "", "GreaterOrEqual": "",
    "Not": "", "And": "", "Or": "",
    # reductions
    "ReduceMean": "", "ReduceSum": "", "ReduceMax": "", "ReduceMin": "", "ReduceL2": "",
    "ArgMax": "", "GlobalMaxPool": "", "GlobalAveragePool": "",
    # normalisation
    "InstanceNormalization": "", "LayerNormalization": "", "GroupNormalization": "",
    "LpNormalization": "", "BatchNormalization": "", "LRN": "",
    # conv and pools
    "Conv": "", "ConvTranspose": "", "MaxPool": "dilations, uint8, argmax output",
    "AveragePool": "dilations",
    # resampling and layout
    "Pad": "all modes", "Resize": "all modes and transforms", "Upsample": "",
    "DepthToSpace": "", "SpaceToDepth": "", "Reshape": "", "Transpose": "", "Flatten": "",
    "Squeeze": "", "Unsqueeze": "", "Concat": "", "Split": "", "Slice": "", "Gather": "",
    "Expand": "", "Tile": "", "Shape": "", "Size": "", "Cast": "float types",
    "Range": "", "ConstantOfShape": "", "TopK": "",
    # dense layers, softmaxes and recurrent layers
    "Gemm": "transA too", "MatMul": "batched, broadcast, 1-D", "Softmax": "any axis",
    "LogSoftmax": "any axis", "LSTM": "", "GRU": "", "RNN": "",
    # quantisation
    "QuantizeLinear": "", "DequantizeLinear": "", "DynamicQuantizeLinear": "",
    "ConvInteger": "", "MatMulInteger": "", "QLinearConv": "", "QLinearMatMul": "",
    # other plain ops, cheap to include (activations seen in CNNs, shape arithmetic, the
    # gathers of detection heads); ArgMin, the other reductions, Trilu, Hardmax, OneHot, CumSum,
    # Xor, IsNaN/IsInf and the hyperbolic/inverse trigonometric ops are left out to keep the
    # folder small: no CNN in models/ uses them.
    "ReduceProd": "", "Softsign": "", "ThresholdedRelu": "", "Celu": "", "Mish": "", "Swish": "",
    "Shrink": "", "GatherElements": "", "GatherND": "", "NonZero": "",
    "MeanVarianceNormalization": "",
}

# op → which graph input stays running (default 0)
RUNNING = {"Where": 1}

# ops whose cases over NCHW (rank 4, batch > 1) are split into data sets of batch 1
SAMPLE_OPS = {"Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalMaxPool",
              "GlobalAveragePool", "LpPool", "InstanceNormalization", "GroupNormalization",
              "BatchNormalization", "LRN", "ConvInteger", "QLinearConv"}

# ---- 3. EXPANDED: `<family>*_expanded*` cases taken when all their ops are selected ----

EXPANDED_FAMILIES = [
    "test_softmax_", "test_logsoftmax_", "test_layer_normalization_4d_", "test_layer_normalization_default_",
    "test_group_normalization_", "test_hardswish_", "test_mish_", "test_mvn_",
    "test_depthtospace_", "test_spacetodepth_", "test_dynamicquantizelinear_",
    "test_center_crop_pad_crop_expanded", "test_center_crop_pad_pad_expanded",
]

# ---- 4. OLDER OPSETS: case (or fnmatch pattern) → opsets to write it at as well ----

DOWNGRADE = {
    "test_resize_*": [11, 10],
    "test_resize_upsample_sizes_nearest": [13],
    "test_resize_downsample_scales_linear": [13],
    "test_resize_upsample_scales_cubic": [13],
    "test_resize_tf_crop_and_resize": [13],
    "test_upsample_nearest": [7],
    "test_reduce_mean_*_random": [13],
    "test_reduce_max_*_random": [13],
    "test_reduce_min_*_random": [13],
    "test_reduce_l2_*_random": [13],
    "test_reduce_sum_*_random": [11],
    "test_squeeze*": [11],
    "test_unsqueeze_*": [11],
    "test_split_*_opset13": [11],
    "test_split_1d_uneven_split_opset18": [11],
    "test_constant_pad": [11, 2],
    "test_edge_pad": [11, 2],
    "test_reflect_pad": [11, 2],
    "test_slice": [9],
    "test_slice_neg": [9],
    "test_slice_default_axes": [9],
    "test_slice_default_steps": [9],
    "test_slice_end_out_of_bounds": [9],
    "test_slice_start_out_of_bounds": [9],
    "test_slice_negative_axes": [9],
    "test_quantizelinear": [13],
    "test_quantizelinear_axis": [13],
    "test_dequantizelinear": [13],
    "test_dequantizelinear_axis": [13],
    "test_softmax_*": [11],
    "test_logsoftmax_*": [11],
}

# ---- cases left out: pattern → reason ----

AUTO_REASONS = {
    "types": "float8/float4/int4/int2/bfloat16/string elements: convscope tensors are f32, f16, f64 and integers",
    "containers": "sequence/optional/map types: convscope graphs carry tensors only",
    "training": "training mode: convscope runs inference only",
    "domain": "an op outside the default ONNX domain",
    "rank": "1-D or 3-D conv/pool: convscope's conv and pool kernels are 2-D (NCHW)",
}

EXCLUDED = {
    "*FLOAT8*, *float8*, *e4m3*, *e5m2*, *e8m0*, *FLOAT4E2M1*, *float4e2m1*": AUTO_REASONS["types"],
    "*BFLOAT16*, *bfloat16*, *INT4*, *int4*, *INT2*, *int2*": AUTO_REASONS["types"],
    "test_equal_string*": AUTO_REASONS["types"],
    "test_identity_sequence, test_identity_opt": AUTO_REASONS["containers"],
    "test_batchnorm_*_training_mode, test_training_dropout*": AUTO_REASONS["training"],
    "test_maxpool_1d_*, test_maxpool_3d_*, test_averagepool_1d_*, test_averagepool_3d_*": AUTO_REASONS["rank"],
    "test_convtranspose_1d, test_convtranspose_3d": AUTO_REASONS["rank"],
    "test_flexattention_*, test_rotary_embedding_*, test_causal_conv_with_state_*":
        "expanded attention/rotary/causal-conv graphs: not CNN patterns, several running inputs",
    "test_*window*_expanded": "signal windows: not a CNN pattern",
    "test_castlike_*_expanded": "CastLike expands to a single Cast: the Cast cases cover it",
    "test_*_expanded_ver18":
        "the _ver18 expansion differs from the opset-13 one only in the axes-input form of the "
        "reductions, which the ReduceMax/ReduceMean/ReduceSum cases cover",
    "test_qlinearmatmul_*_float16": "float16 scales: the float32-scale cases cover QLinearMatMul",
    "test_mod_*float16*, test_mod_*float64*, test_mod_mixed_sign_int16, test_mod_mixed_sign_int8, "
    "test_mod_uint16, test_mod_uint32, test_mod_uint64":
        "Mod: float32, int32/int64 and uint8 kept, other element types left out to keep the folder small",
}

BANNED_TYPES = {
    TensorProto.BFLOAT16, TensorProto.STRING, TensorProto.FLOAT8E4M3FN, TensorProto.FLOAT8E4M3FNUZ,
    TensorProto.FLOAT8E5M2, TensorProto.FLOAT8E5M2FNUZ, TensorProto.UINT4, TensorProto.INT4,
}
for _n in ("FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2"):
    if hasattr(TensorProto, _n):
        BANNED_TYPES.add(getattr(TensorProto, _n))

SUPPORTED_FOR_EXPANDED = set(NEW_OPS) | {"Constant"}


def excluded_reason(case) -> str | None:
    name = case.name
    for patterns, reason in EXCLUDED.items():
        for p in patterns.split(","):
            if fnmatch.fnmatchcase(name, p.strip()):
                return reason
    return auto_reason(case.model)


def all_nodes(graph):
    for n in graph.node:
        yield n
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(a.g)
            for g in a.graphs:
                yield from all_nodes(g)


def auto_reason(model) -> str | None:
    g = model.graph
    for n in all_nodes(g):
        if n.domain not in ("", "ai.onnx"):
            return AUTO_REASONS["domain"]
    if any(o.domain not in ("", "ai.onnx") for o in model.opset_import) or model.functions:
        return AUTO_REASONS["domain"]
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if not vi.type.HasField("tensor_type"):
            return AUTO_REASONS["containers"]
        if vi.type.tensor_type.elem_type in BANNED_TYPES:
            return AUTO_REASONS["types"]
    for t in g.initializer:
        if t.data_type in BANNED_TYPES:
            return AUTO_REASONS["types"]
    for n in all_nodes(g):
        for a in n.attribute:
            if a.name == "training_mode" and a.i:
                return AUTO_REASONS["training"]
            if a.name == "to" and a.i in BANNED_TYPES:
                return AUTO_REASONS["types"]
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type in BANNED_TYPES:
                return AUTO_REASONS["types"]
        if n.op_type == "Dropout" and len(n.input) >= 3 and n.input[2]:
            return AUTO_REASONS["training"]
    return None


def graph_ops(model) -> list[str]:
    return sorted({n.op_type for n in all_nodes(model.graph)})


# ---- data helpers ----

def as_array(v) -> np.ndarray:
    if isinstance(v, TensorProto):
        return numpy_helper.to_array(v)
    if isinstance(v, (list, tuple, dict)) or v is None:
        raise TypeError(type(v))
    return np.asarray(v)


def value_info(name: str, a: np.ndarray):
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape))


def sliced_batch(sets, n_outputs):
    """samples: (x, [y…]) with batch B → B sets (x[i:i+1], [y[i:i+1]…])."""
    out = []
    for x, ys in sets:
        for i in range(x.shape[0]):
            out.append((x[i : i + 1], [y[i : i + 1] for y in ys]))
    return out


# ---- 1. LEGACY adaptations (unchanged from the first selection) ----

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


def adapt_legacy(case, how: str):
    """(model, [(x, [y]), …]) for one LEGACY case."""
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
            n = x[0].size
            sets = [(x[0:1], y[:, :n])]
        elif step == "rows":
            sets, consts = adapt_rows(case, x, y, consts)
        elif step == "rows2d":
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
    return model, [(sx, [sy]) for sx, sy in sets]


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


# ---- 2./3. the new adaptation: one running input, the rest initializers ----

def running_index(model) -> int:
    ops = graph_ops(model)
    return RUNNING.get(ops[0], 0) if len(ops) == 1 else 0


def adapt_new(case, samples_ok=True):
    """(model, sets, how) for a NEW_OPS/EXPANDED case: input `run` stays running, the others
    become initializers; a batch is split into samples only for the SAMPLE_OPS."""
    g0 = case.model.graph
    run = running_index(case.model)
    how = ["weights"] + ([f"run={run}"] if run else [])
    sets = []
    consts = None
    for inputs, outputs in case.data_sets:
        arrs = [as_array(v) for v in inputs]
        c = {vi.name: a for i, (vi, a) in enumerate(zip(g0.input, arrs)) if i != run}
        if consts is None:
            consts = c
        else:
            assert all(np.array_equal(consts[k], c[k]) for k in c), case.name
        sets.append((arrs[run], [as_array(v) for v in outputs]))
    ops = graph_ops(case.model)
    x = sets[0][0]
    if samples_ok and len(ops) == 1 and ops[0] in SAMPLE_OPS and x.ndim == 4 and x.shape[0] > 1:
        sets = sliced_batch(sets, len(g0.output))
        how.append("samples")
    m = onnx.ModelProto()
    m.CopyFrom(case.model)
    g = m.graph
    keep = g.input[run].name
    del g.input[:]
    g.input.append(value_info(keep, sets[0][0]))
    outs = [o.name for o in g.output]
    del g.output[:]
    for name, y in zip(outs, sets[0][1]):
        g.output.append(value_info(name, y))
    for name, v in consts.items():
        g.initializer.append(numpy_helper.from_array(np.asarray(v), name))
    if g.initializer and m.ir_version < 4:
        m.ir_version = 4  # IR 3 requires every initializer to be a graph input as well
    return m, sets, ";".join(how)


# ---- 4. older opsets ----

def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def set_attr(node, name, value):
    for i, a in enumerate(node.attribute):
        if a.name == name:
            del node.attribute[i]
            break
    if value is not None:
        node.attribute.append(helper.make_attribute(name, value))


def init_value(g, name):
    for t in g.initializer:
        if t.name == name:
            return numpy_helper.to_array(t)
    return None


def drop_init(g, name):
    for i, t in enumerate(g.initializer):
        if t.name == name:
            del g.initializer[i]
            return


def set_opset(m, version):
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = version
    # The oldest IR version that knows the opset keeps the file readable by old tools too.
    m.ir_version = min(m.ir_version, {2: 3, 7: 3, 9: 4, 10: 5, 11: 6, 13: 7}.get(version, m.ir_version))
    if m.graph.initializer:
        m.ir_version = max(m.ir_version, 4)  # IR 3 requires every initializer to be a graph input


def downgrade(model, version):
    """The single-node model rewritten at an older opset, or None when the node has no older
    equivalent (the caller also requires the official output to be reproduced)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    if len(g.node) != 1:
        return None
    n = g.node[0]
    op = n.op_type
    ins = list(n.input) + [""] * 4
    if op == "Resize":
        if any(attr(n, a) is not None for a in ("antialias", "axes", "keep_aspect_ratio_policy")):
            return None
        ctm = attr(n, "coordinate_transformation_mode", b"half_pixel")
        ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
        if ctm == "half_pixel_symmetric":
            return None
        if version == 13:
            pass
        elif version == 11:
            x, roi, scales, sizes = ins[:4]
            if not roi:
                roi = "roi_empty"
                g.initializer.append(numpy_helper.from_array(np.zeros([0], np.float32), roi))
            if not scales:
                scales = "scales_empty"
                g.initializer.append(numpy_helper.from_array(np.zeros([0], np.float32), scales))
            del n.input[:]
            n.input.extend([x, roi, scales] + ([sizes] if sizes else []))
        elif version == 10:
            x, roi, scales, sizes = ins[:4]
            mode = attr(n, "mode", b"nearest")
            mode = mode.decode() if isinstance(mode, bytes) else mode
            if roi or sizes or not scales or mode not in ("nearest", "linear"):
                return None
            del n.input[:]
            n.input.extend([x, scales])
            del n.attribute[:]
            n.attribute.append(helper.make_attribute("mode", mode))
        else:
            return None
    elif op == "Upsample" and version == 7:
        s = init_value(g, ins[1])
        del n.input[1:]
        drop_init(g, ins[1])
        set_attr(n, "scales", [float(v) for v in s])
    elif op in ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceSum"):
        if ins[1]:
            axes = init_value(g, ins[1])
            del n.input[1:]
            drop_init(g, ins[1])
            if axes.size:
                set_attr(n, "axes", [int(a) for a in axes])
            elif attr(n, "noop_with_empty_axes"):
                return None
        if attr(n, "noop_with_empty_axes") is not None:
            set_attr(n, "noop_with_empty_axes", None)
    elif op in ("Squeeze", "Unsqueeze"):
        if ins[1]:
            axes = init_value(g, ins[1])
            del n.input[1:]
            drop_init(g, ins[1])
            set_attr(n, "axes", [int(a) for a in axes])
    elif op == "Split":
        if attr(n, "num_outputs") is not None:
            # Split-18's num_outputs may split unevenly; Split-11 needs explicit sizes then.
            set_attr(n, "num_outputs", None)
            axis = attr(n, "axis", 0)
            sizes = [o.type.tensor_type.shape.dim[axis].dim_value for o in g.output]
            if len(set(sizes)) > 1:
                set_attr(n, "split", sizes)
        if ins[1]:
            s = init_value(g, ins[1])
            del n.input[1:]
            drop_init(g, ins[1])
            set_attr(n, "split", [int(a) for a in s])
    elif op == "Pad":
        mode = attr(n, "mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if ins[3] or mode == "wrap":
            return None
        if version == 2:
            pads = init_value(g, ins[1])
            value = init_value(g, ins[2]) if ins[2] else None
            if value is not None and value.dtype != np.float32:
                return None
            for nm in ins[1:3]:
                if nm:
                    drop_init(g, nm)
            del n.input[1:]
            set_attr(n, "pads", [int(p) for p in pads])
            if value is not None:
                set_attr(n, "value", float(value))
            if g.input[0].type.tensor_type.elem_type not in (TensorProto.FLOAT, TensorProto.DOUBLE,
                                                             TensorProto.FLOAT16):
                return None  # Pad-2 takes float types only
    elif op == "Slice" and version == 9:
        starts, ends = init_value(g, ins[1]), init_value(g, ins[2])
        axes = init_value(g, ins[3]) if ins[3] else None
        steps = init_value(g, ins[4]) if ins[4] else None
        if steps is not None and np.any(steps != 1):
            return None
        for nm in ins[1:5]:
            if nm:
                drop_init(g, nm)
        del n.input[1:]
        set_attr(n, "starts", [int(v) for v in starts])
        set_attr(n, "ends", [int(v) for v in ends])
        if axes is not None:
            if np.any(axes < 0):
                return None  # Slice-1 takes non-negative axes only
            set_attr(n, "axes", [int(v) for v in axes])
    elif op in ("QuantizeLinear", "DequantizeLinear") and version == 13:
        t = [init_value(g, nm) for nm in ins[1:3] if nm]
        if len(ins[1:3]) < 2 or any(v is None for v in t) or attr(n, "block_size") or \
                attr(n, "output_dtype") or attr(n, "saturate") is not None:
            return None
        if not all(v.dtype in (np.float32, np.uint8, np.int8) for v in t):
            return None
        if len(t) == 2 and t[1].dtype not in (np.uint8, np.int8):
            return None
    elif op in ("Softmax", "LogSoftmax") and version == 11:
        rank = len(g.input[0].type.tensor_type.shape.dim)
        axis = attr(n, "axis", -1)
        if axis % rank != rank - 1:
            return None
        if attr(n, "axis") is None:
            set_attr(n, "axis", rank - 1)  # Softmax-11's default axis is 1, not -1
    else:
        return None
    set_opset(m, version)
    return m


# ---- ReferenceEvaluator, with shims for old opsets it implements with newer semantics ----

def _coerced(x, axis, fn):
    axis = axis % x.ndim if x.ndim else 0
    rows = int(np.prod(x.shape[:axis], dtype=np.int64))
    return fn(x.reshape(rows, -1)).reshape(x.shape)


def _softmax_rows(r):
    e = np.exp(r - r.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _node_attr(op, name, default):
    """The attribute as written on the node (not a default from the newest schema)."""
    return attr(op.onnx_node, name, default)


class Softmax_1(OpRun):
    """Softmax-1..12: coerce the input to 2-D [prod(dims[:axis]), prod(dims[axis:])], axis
    defaulting to 1, and normalise each row."""
    op_domain = ""

    def _run(self, x, **_):
        return (_coerced(x, _node_attr(self, "axis", 1), _softmax_rows).astype(x.dtype),)


class LogSoftmax_1(OpRun):
    op_domain = ""

    def _run(self, x, **_):
        rows = lambda r: np.log(_softmax_rows(r))  # noqa: E731
        return (_coerced(x, _node_attr(self, "axis", 1), rows).astype(x.dtype),)


def _resize_like_19(x, scales, mode, nearest_mode):
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], mode=mode,
                            coordinate_transformation_mode="asymmetric", nearest_mode=nearest_mode)
    g = helper.make_graph([node], "r", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None),
                                        helper.make_tensor_value_info("s", TensorProto.FLOAT, None)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    return ReferenceEvaluator(m).run(None, {"x": x.astype(np.float32), "s": scales})[0].astype(x.dtype)


def _resize_10(x, scales, mode):
    mode = mode.decode() if isinstance(mode, bytes) else (mode or "nearest")
    scales = np.asarray(scales, np.float32)
    if mode == "nearest":
        # onnxruntime's Resize-10/Upsample: floor when upsampling an axis, ceil when downsampling.
        y = x
        for axis, s in enumerate(scales):
            if s == 1:
                continue
            one = np.ones_like(scales)
            one[axis] = s
            y = _resize_like_19(y, one, "nearest", "floor" if s >= 1 else "ceil")
        return y
    return _resize_like_19(x, scales, mode, "floor")


class Resize_10(OpRun):
    """Resize-10: inputs X, scales; asymmetric coordinates."""
    op_domain = ""

    def _run(self, x, scales, **_):
        return (_resize_10(x, scales, _node_attr(self, "mode", "nearest")),)


class Upsample_7(OpRun):
    """Upsample-7/9 (scales an attribute in 7, an input in 9); same semantics as Resize-10."""
    op_domain = ""

    def _run(self, x, *inputs, **_):
        s = inputs[0] if inputs else _node_attr(self, "scales", None)
        return (_resize_10(x, s, _node_attr(self, "mode", "nearest")),)


def _rename(cls, name):
    return type(name, (cls,), {"op_domain": ""})


def reference(model):
    """A ReferenceEvaluator for the model, with OLD_OPSET_SHIMS where its opset needs them."""
    v = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    ops = set(graph_ops(model))
    shims = []
    if v < 13 and "Softmax" in ops:
        shims.append(_rename(Softmax_1, "Softmax"))
    if v < 13 and "LogSoftmax" in ops:
        shims.append(_rename(LogSoftmax_1, "LogSoftmax"))
    if v < 11 and "Resize" in ops:
        shims.append(_rename(Resize_10, "Resize"))
    if "Upsample" in ops:
        shims.append(_rename(Upsample_7, "Upsample"))
    if v < 19 and ops & {"QuantizeLinear", "DequantizeLinear"}:
        # onnx.reference implements QuantizeLinear/DequantizeLinear from opset 19 on; for 8-bit
        # integers opsets 13–18 have the same semantics, so evaluate a copy stamped 19.
        m = onnx.ModelProto()
        m.CopyFrom(model)
        set_opset_version(m, 19)
        m.ir_version = max(m.ir_version, 9)
        model = m
    return ReferenceEvaluator(model, new_ops=shims or None)


def set_opset_version(m, version):
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = version


OLD_OPSET_SHIMS = "Softmax_1, LogSoftmax_1, Resize_10, Upsample_7, Q/DQ evaluated at opset 19"


def onnxruntime_run(model, x):
    import onnxruntime as ort  # noqa: PLC0415

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, {model.graph.input[0].name: x})


def same(got, want, rtol, atol) -> bool:
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return False
    if want.dtype.kind in "fc":
        if got.dtype != want.dtype:
            return False
        return bool(np.allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol,
                                equal_nan=True))
    return got.dtype == want.dtype and bool(np.array_equal(got, want))


def reproduces(model, sets, rtol, atol, runner=None) -> bool:
    try:
        onnx.checker.check_model(model)
        run = runner or (lambda m, x: reference(m).run(None, {m.graph.input[0].name: x}))
        for x, ys in sets:
            got = run(model, x)
            if len(got) != len(ys) or not all(same(a, b, rtol, atol) for a, b in zip(got, ys)):
                return False
        return True
    except Exception:  # noqa: BLE001 — a model that cannot run does not reproduce the output
        return False


def check(name, model, sets, rtol=1e-5, atol=1e-6, runner=None):
    """The written model must reproduce the expected outputs (ONNX's tolerance for its cases:
    some official outputs are rounded to 4 decimals). runner: onnxruntime for CUSTOM_ORT (whose
    cross-check with onnx.reference is made in ort_case), onnx.reference otherwise."""
    if not reproduces(model, sets, rtol, atol, runner):
        raise SystemExit(f"{name}: the adapted model does not give the expected output")


# ---- convscope's own small graphs ----

RNG = np.random.default_rng(20240601)


def rand(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, size=shape).astype(np.float32)


def graph_case(nodes, x_shape, inits, opset=13, out="y"):
    """CUSTOM_REFERENCE: expected output from onnx.reference."""
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
    return m, [(x, [y])]


def custom_reference():
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


RNG2 = np.random.default_rng(20250301)


def rnd(*shape, lo=-1.0, hi=1.0):
    return RNG2.uniform(lo, hi, size=shape).astype(np.float32)


def ort_case(nodes, x, inits, opset=13, outs=("y",), rtol=1e-4, atol=1e-5, ref_ok=True,
             max_ulp_quanta=None):
    """CUSTOM_ORT: a graph with one running input x; expected outputs from onnxruntime,
    cross-checked with onnx.reference (ref_ok=False where it cannot run the graph).
    max_ulp_quanta=(q, n): for QDQ graphs, at most n values may differ by one quantum q
    (a float accumulation on the edge of a rounding step)."""
    x = np.asarray(x)
    g = helper.make_graph(
        nodes, "g", [value_info("x", x)],
        [onnx.ValueInfoProto(name=o) for o in outs],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8 if opset <= 18 else 9
    ys = onnxruntime_run(m, x)
    del m.graph.output[:]
    for o, y in zip(outs, ys):
        m.graph.output.append(value_info(o, np.asarray(y)))
    onnx.checker.check_model(m)
    if ref_ok:
        got = reference(m).run(None, {"x": x})
        for o, a, b in zip(outs, got, ys):
            if same(a, b, rtol, atol):
                continue
            if max_ulp_quanta is not None:
                q, limit = max_ulp_quanta
                d = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
                if np.all(d <= q * 1.001 + atol) and np.count_nonzero(d > atol) <= limit:
                    continue
            raise SystemExit(f"onnxruntime and onnx.reference disagree on output {o}: "
                             f"max |diff| {np.max(np.abs(np.asarray(a, np.float64) - b))}")
    return m, [(x, [np.asarray(y) for y in ys])]


def custom_ort():
    n = helper.make_node
    T = TensorProto
    c = {}
    # -- Cast to and from integer types and bool (ONNX's suite only casts between float types) --
    xf = np.array([[-2.9, -1.5, -0.5, 0.0, 0.4, 0.5, 1.5, 2.7, 100.2, -100.7, 3.999, 7.0]], np.float32)
    for to, nm in [(T.INT64, "int64"), (T.INT32, "int32"), (T.INT8, "int8"), (T.INT16, "int16")]:
        c[f"cs_cast_float_to_{nm}"] = ort_case([n("Cast", ["x"], ["y"], to=to)], xf, {})
    xu = np.array([[0.0, 0.4, 0.6, 1.5, 2.5, 17.9, 200.0, 254.9]], np.float32)
    c["cs_cast_float_to_uint8"] = ort_case([n("Cast", ["x"], ["y"], to=T.UINT8)], xu, {})
    c["cs_cast_float_to_bool"] = ort_case(
        [n("Cast", ["x"], ["y"], to=T.BOOL)], np.array([[0.0, -0.0, 0.1, -3.0, 1e-30]], np.float32), {})
    c["cs_cast_float16_to_int64"] = ort_case([n("Cast", ["x"], ["y"], to=T.INT64)], xf.astype(np.float16), {})
    c["cs_cast_double_to_int32"] = ort_case([n("Cast", ["x"], ["y"], to=T.INT32)], xf.astype(np.float64), {})
    xi = np.array([[-7, -1, 0, 1, 2, 3, 1000, 123456789]], np.int64)
    c["cs_cast_int64_to_float"] = ort_case([n("Cast", ["x"], ["y"], to=T.FLOAT)], xi, {})
    c["cs_cast_int64_to_int32"] = ort_case([n("Cast", ["x"], ["y"], to=T.INT32)], xi[:, :7], {})
    c["cs_cast_int32_to_float16"] = ort_case([n("Cast", ["x"], ["y"], to=T.FLOAT16)], xi[:, :7].astype(np.int32), {})
    c["cs_cast_uint8_to_float"] = ort_case(
        [n("Cast", ["x"], ["y"], to=T.FLOAT)], np.array([[0, 1, 127, 128, 255]], np.uint8), {})
    c["cs_cast_int8_to_float"] = ort_case(
        [n("Cast", ["x"], ["y"], to=T.FLOAT)], np.array([[-128, -1, 0, 1, 127]], np.int8), {})
    c["cs_cast_bool_to_float"] = ort_case(
        [n("Cast", ["x"], ["y"], to=T.FLOAT)], np.array([[True, False, True]]), {})
    c["cs_cast_int64_to_bool"] = ort_case(
        [n("Cast", ["x"], ["y"], to=T.BOOL)], np.array([[0, 3, -1, 0]], np.int64), {})
    c["cs_cast_shape_to_float_arith"] = ort_case(
        [n("Shape", ["x"], ["s"]), n("Cast", ["s"], ["sf"], to=T.FLOAT), n("Mul", ["sf", "half"], ["h"]),
         n("Floor", ["h"], ["fl"]), n("Cast", ["fl"], ["y"], to=T.INT64)],
        rnd(1, 3, 7, 10), {"half": np.float32(0.5)})
    # -- Softmax/LogSoftmax before opset 13: the input is coerced to 2-D at `axis` --
    c["cs_softmax_opset11_axis1_3d"] = ort_case([n("Softmax", ["x"], ["y"], axis=1)], rnd(2, 3, 4, lo=-3, hi=3),
                                                {}, opset=11)
    c["cs_softmax_opset11_default_axis_4d"] = ort_case([n("Softmax", ["x"], ["y"])], rnd(1, 3, 2, 2, lo=-3, hi=3),
                                                       {}, opset=11)
    c["cs_softmax_opset9_axis2_4d"] = ort_case([n("Softmax", ["x"], ["y"], axis=2)], rnd(1, 3, 4, 5, lo=-3, hi=3),
                                               {}, opset=9)
    c["cs_softmax_opset11_axis0"] = ort_case([n("Softmax", ["x"], ["y"], axis=0)], rnd(2, 3, 2, lo=-3, hi=3),
                                             {}, opset=11)
    c["cs_logsoftmax_opset11_axis1_3d"] = ort_case([n("LogSoftmax", ["x"], ["y"], axis=1)],
                                                   rnd(2, 3, 4, lo=-3, hi=3), {}, opset=11)
    c["cs_logsoftmax_opset9_default_axis_4d"] = ort_case([n("LogSoftmax", ["x"], ["y"])],
                                                         rnd(1, 2, 3, 3, lo=-3, hi=3), {}, opset=9)
    # -- Resize-10 / Upsample with non-integer scales and linear mode --
    x44 = rnd(1, 2, 4, 4)
    c["cs_resize_opset10_nearest_x1_5"] = ort_case(
        [n("Resize", ["x", "s"], ["y"], mode="nearest")], x44, {"s": np.array([1, 1, 1.5, 1.5], np.float32)}, opset=10)
    c["cs_resize_opset10_nearest_down_0_6"] = ort_case(
        [n("Resize", ["x", "s"], ["y"], mode="nearest")], rnd(1, 1, 5, 7), {"s": np.array([1, 1, 0.6, 0.6], np.float32)},
        opset=10)
    c["cs_resize_opset10_linear_x2"] = ort_case(
        [n("Resize", ["x", "s"], ["y"], mode="linear")], x44, {"s": np.array([1, 1, 2, 2], np.float32)}, opset=10)
    c["cs_resize_opset10_linear_x1_5x2_5"] = ort_case(
        [n("Resize", ["x", "s"], ["y"], mode="linear")], x44, {"s": np.array([1, 1, 1.5, 2.5], np.float32)}, opset=10)
    c["cs_upsample_opset9_linear_x2"] = ort_case(
        [n("Upsample", ["x", "s"], ["y"], mode="linear")], x44, {"s": np.array([1, 1, 2, 2], np.float32)}, opset=9)
    c["cs_upsample_opset7_nearest_attr_x2x3"] = ort_case(
        [n("Upsample", ["x"], ["y"], mode="nearest", scales=[1.0, 1.0, 2.0, 3.0])], x44, {}, opset=7)
    c["cs_resize_opset11_sizes_nearest_torch"] = ort_case(
        [n("Resize", ["x", "roi", "sc", "sz"], ["y"], mode="nearest", coordinate_transformation_mode="asymmetric",
           nearest_mode="floor")], x44,
        {"roi": np.zeros([0], np.float32), "sc": np.zeros([0], np.float32), "sz": np.array([1, 2, 8, 12], np.int64)},
        opset=11)
    c["cs_resize_opset13_bilinear_pytorch_half_pixel"] = ort_case(
        [n("Resize", ["x", "", "sc"], ["y"], mode="linear", coordinate_transformation_mode="pytorch_half_pixel")],
        x44, {"sc": np.array([1, 1, 2, 2], np.float32)})
    c["cs_resize_opset13_bilinear_align_corners"] = ort_case(
        [n("Resize", ["x", "", "sc"], ["y"], mode="linear", coordinate_transformation_mode="align_corners")],
        x44, {"sc": np.array([1, 1, 2, 2], np.float32)})

    # -- patterns real CNNs are made of --
    # ShuffleNet channel shuffle on a computed tensor (groups 2, 8 channels)
    c["cs_shufflenet_channel_shuffle"] = ort_case(
        [n("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         n("Reshape", ["c", "s5"], ["r"]), n("Transpose", ["r"], ["t"], perm=[0, 2, 1, 3, 4]),
         n("Reshape", ["t", "s4"], ["y"])],
        rnd(1, 4, 6, 5), {"w": rnd(8, 4, 3, 3), "b": rnd(8), "s5": np.array([1, 2, 4, 6, 5], np.int64),
                          "s4": np.array([1, -1, 6, 5], np.int64)})
    # Squeeze-and-excitation (MobileNetV3 style: HardSigmoid gate)
    c["cs_se_block"] = ort_case(
        [n("Conv", ["x", "w0", "b0"], ["c"], pads=[1, 1, 1, 1]),
         n("GlobalAveragePool", ["c"], ["p"]), n("Conv", ["p", "w1", "b1"], ["r"]), n("Relu", ["r"], ["rr"]),
         n("Conv", ["rr", "w2", "b2"], ["e"]), n("HardSigmoid", ["e"], ["s"], alpha=1.0 / 6, beta=0.5),
         n("Mul", ["c", "s"], ["y"])],
        rnd(1, 3, 5, 5), {"w0": rnd(8, 3, 3, 3), "b0": rnd(8), "w1": rnd(2, 8, 1, 1), "b1": rnd(2),
                          "w2": rnd(8, 2, 1, 1), "b2": rnd(8)}, opset=13)
    # NHWC graph input and output around an NCHW conv (TF/Keras exports)
    c["cs_nhwc_in_out"] = ort_case(
        [n("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]), n("Conv", ["t", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         n("Transpose", ["c"], ["y"], perm=[0, 2, 3, 1])],
        rnd(1, 5, 7, 3), {"w": rnd(4, 3, 3, 3), "b": rnd(4)})
    # YOLOv5 Focus: four strided slices of the input, concatenated on channels, then a conv
    big = np.iinfo(np.int64).max
    focus = []
    for k, (h0, w0) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
        focus.append(n("Slice", ["x", f"st{k}", "en", "ax", "sp"], [f"s{k}"]))
    inits = {"en": np.array([big, big], np.int64), "ax": np.array([2, 3], np.int64),
             "sp": np.array([2, 2], np.int64), "w": rnd(4, 12, 3, 3), "b": rnd(4)}
    for k, (h0, w0) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
        inits[f"st{k}"] = np.array([h0, w0], np.int64)
    c["cs_yolo_focus_slice_concat"] = ort_case(
        focus + [n("Concat", ["s0", "s1", "s2", "s3"], ["cat"], axis=1),
                 n("Conv", ["cat", "w", "b"], ["y"], pads=[1, 1, 1, 1])],
        rnd(1, 3, 8, 10), inits)
    # FPN: conv levels at strides 1, 2, 4; nearest Resize of the coarse ones by 2 and 4; Add; Concat
    c["cs_fpn_resize_pyramid"] = ort_case(
        [n("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
         n("Conv", ["c1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
         n("Conv", ["c2", "w3", "b3"], ["c3"], pads=[1, 1, 1, 1], strides=[2, 2]),
         n("Resize", ["c2", "", "x2"], ["u2"], mode="nearest", coordinate_transformation_mode="asymmetric",
           nearest_mode="floor"),
         n("Resize", ["c3", "", "x4"], ["u3"], mode="nearest", coordinate_transformation_mode="asymmetric",
           nearest_mode="floor"),
         n("Add", ["c1", "u2"], ["a"]), n("Add", ["a", "u3"], ["p"]),
         n("Concat", ["p", "u2", "u3"], ["y"], axis=1)],
        rnd(1, 3, 16, 12), {"w1": rnd(4, 3, 3, 3), "b1": rnd(4), "w2": rnd(4, 4, 3, 3), "b2": rnd(4),
                            "w3": rnd(4, 4, 3, 3), "b3": rnd(4), "x2": np.array([1, 1, 2, 2], np.float32),
                            "x4": np.array([1, 1, 4, 4], np.float32)})
    # LayerNorm decomposed over the last axis of [1, T, C] (opset 17: ReduceMean axes attribute)
    ln_x = rnd(1, 6, 8, lo=-2, hi=2)
    ln_inits = {"two": np.float32(2.0), "eps": np.float32(1e-5), "g": rnd(8), "bt": rnd(8)}
    ln17 = [n("ReduceMean", ["x"], ["m"], axes=[-1]), n("Sub", ["x", "m"], ["d"]), n("Pow", ["d", "two"], ["p"]),
            n("ReduceMean", ["p"], ["v"], axes=[-1]), n("Add", ["v", "eps"], ["ve"]), n("Sqrt", ["ve"], ["s"]),
            n("Div", ["d", "s"], ["nrm"]), n("Mul", ["nrm", "g"], ["sc"]), n("Add", ["sc", "bt"], ["y"])]
    c["cs_layernorm_decomposed"] = ort_case(ln17, ln_x, ln_inits, opset=17)
    ln18 = [n("ReduceMean", ["x", "ax"], ["m"]), n("Sub", ["x", "m"], ["d"]), n("Pow", ["d", "two"], ["p"]),
            n("ReduceMean", ["p", "ax"], ["v"]), n("Add", ["v", "eps"], ["ve"]), n("Sqrt", ["ve"], ["s"]),
            n("Div", ["d", "s"], ["nrm"]), n("Mul", ["nrm", "g"], ["sc"]), n("Add", ["sc", "bt"], ["y"])]
    c["cs_layernorm_decomposed_opset18"] = ort_case(ln18, ln_x, dict(ln_inits, ax=np.array([-1], np.int64)),
                                                    opset=18)
    # QDQ conv: activation u8 per tensor, weights s8 per output channel (axis 0), int32 bias
    sx, zx = np.float32(2.0 / 255), np.uint8(128)
    w = rnd(4, 3, 3, 3, lo=-0.5, hi=0.5)
    sw = (np.abs(w).reshape(4, -1).max(axis=1) / 127).astype(np.float32)
    b = rnd(4, lo=-0.2, hi=0.2)
    sb = (sx * sw).astype(np.float32)
    bq = np.round(b / sb).astype(np.int32)
    sy, zy = np.float32(0.05), np.uint8(120)
    c["cs_qdq_conv"] = ort_case(
        [n("QuantizeLinear", ["x", "sx", "zx"], ["xq"]), n("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
         n("QuantizeLinear", ["w", "sw", "zw"], ["wq"], axis=0), n("DequantizeLinear", ["wq", "sw", "zw"], ["wd"], axis=0),
         n("DequantizeLinear", ["bq", "sb"], ["bd"], axis=0),
         n("Conv", ["xd", "wd", "bd"], ["c"], pads=[1, 1, 1, 1]),
         n("QuantizeLinear", ["c", "sy", "zy"], ["cq"]), n("DequantizeLinear", ["cq", "sy", "zy"], ["y"])],
        rnd(1, 3, 6, 6), {"sx": sx, "zx": zx, "w": w, "sw": sw, "zw": np.zeros(4, np.int8), "bq": bq, "sb": sb,
                          "sy": sy, "zy": zy}, max_ulp_quanta=(float(sy), 2))
    # CRNN head: conv features [1, C, 1, W] → Squeeze → [W, 1, C] → bidirectional LSTM → MatMul → Softmax
    C, W, H, K = 6, 12, 5, 7
    c["cs_crnn_conv_squeeze_bilstm_softmax"] = ort_case(
        [n("Conv", ["x", "cw", "cb"], ["f"], kernel_shape=[2, 3], pads=[0, 1, 0, 1]),
         n("Squeeze", ["f", "ax2"], ["sq"]), n("Transpose", ["sq"], ["seq"], perm=[2, 0, 1]),
         n("LSTM", ["seq", "W", "R", "B"], ["Y", "Yh", "Yc"], hidden_size=H, direction="bidirectional"),
         n("Transpose", ["Y"], ["yt"], perm=[0, 2, 1, 3]), n("Reshape", ["yt", "shp"], ["yr"]),
         n("MatMul", ["yr", "fc"], ["lg"]), n("Add", ["lg", "fb"], ["lb"]), n("Softmax", ["lb"], ["y"], axis=-1)],
        rnd(1, 3, 2, W), {"cw": rnd(C, 3, 2, 3), "cb": rnd(C), "ax2": np.array([2], np.int64),
                          "W": rnd(2, 4 * H, C), "R": rnd(2, 4 * H, H), "B": rnd(2, 8 * H),
                          "shp": np.array([W, 1, 2 * H], np.int64), "fc": rnd(2 * H, K), "fb": rnd(K)})
    # MobileNetV3 inverted residual: expand 1x1 → HardSwish → depthwise 3x3 → HardSwish → SE → project → Add
    c["cs_mobilenetv3_block_hardswish"] = ort_case(
        [n("Conv", ["x", "we", "be"], ["e"]), n("HardSwish", ["e"], ["e_hs"]),
         n("Conv", ["e_hs", "wd", "bd"], ["d"], group=16, pads=[1, 1, 1, 1]), n("HardSwish", ["d"], ["d_hs"]),
         n("GlobalAveragePool", ["d_hs"], ["p"]), n("Conv", ["p", "w1", "b1"], ["r"]), n("Relu", ["r"], ["rr"]),
         n("Conv", ["rr", "w2", "b2"], ["g"]), n("HardSigmoid", ["g"], ["gs"], alpha=1.0 / 6, beta=0.5),
         n("Mul", ["d_hs", "gs"], ["se"]), n("Conv", ["se", "wp", "bp"], ["pr"]), n("Add", ["x", "pr"], ["y"])],
        rnd(1, 8, 6, 6, lo=-3, hi=3),
        {"we": rnd(16, 8, 1, 1), "be": rnd(16), "wd": rnd(16, 1, 3, 3), "bd": rnd(16), "w1": rnd(4, 16, 1, 1),
         "b1": rnd(4), "w2": rnd(16, 4, 1, 1), "b2": rnd(16), "wp": rnd(8, 16, 1, 1), "bp": rnd(8)}, opset=14)
    # Decoder head: ConvTranspose ×2 → Relu → bilinear Resize ×2 → 1x1 conv → Sigmoid
    c["cs_decoder_convtranspose_resize_head"] = ort_case(
        [n("ConvTranspose", ["x", "wt", "bt"], ["u"], kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1]),
         n("Relu", ["u"], ["ur"]),
         n("Resize", ["ur", "", "sc"], ["r"], mode="linear", coordinate_transformation_mode="pytorch_half_pixel"),
         n("Conv", ["r", "wc", "bc"], ["l"]), n("Sigmoid", ["l"], ["y"])],
        rnd(1, 8, 4, 5), {"wt": rnd(8, 4, 4, 4), "bt": rnd(4), "sc": np.array([1, 1, 2, 2], np.float32),
                          "wc": rnd(2, 4, 1, 1), "bc": rnd(2)})
    # HardSwish and GELU as older exporters decompose them
    c["cs_hardswish_decomposed_clip"] = ort_case(
        [n("Add", ["x", "three"], ["a"]), n("Clip", ["a", "zero", "six"], ["cl"]), n("Mul", ["x", "cl"], ["m"]),
         n("Div", ["m", "six"], ["y"])],
        rnd(1, 3, 4, 4, lo=-5, hi=5), {"three": np.float32(3), "zero": np.float32(0), "six": np.float32(6)})
    c["cs_gelu_erf_decomposed"] = ort_case(
        [n("Div", ["x", "sq2"], ["d"]), n("Erf", ["d"], ["e"]), n("Add", ["e", "one"], ["a"]),
         n("Mul", ["x", "a"], ["m"]), n("Mul", ["m", "half"], ["y"])],
        rnd(1, 6, 8, lo=-4, hi=4), {"sq2": np.float32(np.sqrt(2.0)), "one": np.float32(1), "half": np.float32(0.5)})
    return c


# ---- writing ----

def write(out_dir, name, model, sets):
    d = os.path.join(out_dir, name)
    os.makedirs(d)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    in_name = model.graph.input[0].name
    out_names = [o.name for o in model.graph.output]
    for k, (x, ys) in enumerate(sets):
        s = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(s)
        files = [("input_0.pb", x, in_name)] + [(f"output_{j}.pb", y, out_names[j]) for j, y in enumerate(ys)]
        for fname, a, tname in files:
            with open(os.path.join(s, fname), "wb") as f:
                f.write(numpy_helper.from_array(np.asarray(a), tname).SerializeToString())


def selected(cases):
    """[(name, case, kind)] for NEW_OPS and EXPANDED, and {name: reason} for left-out cases."""
    chosen, left_out = [], {}
    for name, case in cases.items():
        if name in LEGACY:
            continue
        ops = graph_ops(case.model)
        if "_expanded" in name:
            if not any(name.startswith(f) for f in EXPANDED_FAMILIES):
                continue
            if not set(ops) <= SUPPORTED_FOR_EXPANDED:
                continue
            kind = "onnx backend (expanded)"
        else:
            if len(ops) != 1 or ops[0] not in NEW_OPS:
                continue
            kind = "onnx backend"
        reason = excluded_reason(case)
        if reason is None and ops[0] in ("Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool",
                                         "ConvInteger", "QLinearConv") and len(ops) == 1:
            rank = len(case.model.graph.input[0].type.tensor_type.shape.dim)
            if rank != 4:
                reason = AUTO_REASONS["rank"]
        if reason is None and name.endswith("_example") and name[: -len("example")] + "random" in cases:
            reason = ("same node as the `*_random` case (hand-written data): left out to keep the "
                      "folder small")
        if reason:
            left_out[name] = reason
            continue
        chosen.append((name, case, kind))
    return chosen, left_out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "tests", "data", "onnx", "node")
    out_dir = os.path.normpath(out_dir)
    if onnx.__version__ != ONNX_VERSION:
        print(f"warning: onnx {onnx.__version__}, the selection was made with {ONNX_VERSION}", file=sys.stderr)
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    cases = {c.name: c for c in node_cases.collect_testcases() if c.model is not None}
    rows = []  # (case, ops, source, adaptation, sets)

    def emit(name, model, sets, source, how, rtol=1e-5, atol=1e-6, runner=None):
        check(name, model, sets, rtol, atol, runner)
        write(out_dir, name, model, sets)
        rows.append((name, ", ".join(o for o in graph_ops(model)), source, how, len(sets)))

    # 1. LEGACY, unchanged; plus the unadapted version where the adaptation changed the shape
    for name, how in LEGACY.items():
        case = cases[name]
        model, sets = adapt_legacy(case, how)
        emit(name, model, sets, "onnx backend", how, case.rtol, case.atol)
    for name, how in LEGACY.items():
        case = cases[name]
        model, sets, how2 = adapt_new(case)
        if set(how2.split(";")) - {"weights"} == set(how.split(";")) - {"weights"}:
            continue  # the new rules adapt it the same way
        emit(f"{name}_as_is", model, sets, f"onnx backend ({name})", how2, case.rtol, case.atol)

    # 2./3. NEW_OPS and EXPANDED
    chosen, left_out = selected(cases)
    for name, case, kind in chosen:
        model, sets, how = adapt_new(case)
        emit(name, model, sets, kind, how, case.rtol, case.atol)

    # 4. older opsets: every selected case matching DOWNGRADE, kept where it reproduces the
    # official output (Resize-10 and Upsample-7 must reproduce it in onnxruntime too)
    by_name = {name: case for name, case, _ in chosen}
    by_name.update({n: cases[n] for n in LEGACY})
    downgraded = []
    for pattern, versions in DOWNGRADE.items():
        for name in sorted(by_name):
            if "_expanded" in name or not fnmatch.fnmatchcase(name, pattern):
                continue
            case = by_name[name]
            base, sets, how = adapt_new(case)
            for v in versions:
                vname = f"{name}_opset{v}"
                if vname in {d[0] for d in downgraded}:
                    continue
                m = downgrade(base, v)
                if m is None or not reproduces(m, sets, case.rtol, case.atol):
                    continue
                op = graph_ops(m)[0]
                if (op == "Resize" and v == 10) or op in ("Upsample", "QuantizeLinear", "DequantizeLinear"):
                    if not reproduces(m, sets, case.rtol, case.atol, runner=onnxruntime_run):
                        continue
                downgraded.append((vname, m, sets, f"onnx backend ({name})", f"{how};opset:{v}",
                                   case.rtol, case.atol))
    for vname, m, sets, source, how, rtol, atol in downgraded:
        emit(vname, m, sets, source, how, rtol, atol)

    # convscope's own graphs
    for name, (model, sets) in custom_reference().items():
        emit(name, model, sets, "convscope, expected by onnx.reference", "—")
    for name, (model, sets) in custom_ort().items():
        emit(name, model, sets, "convscope, expected by onnxruntime (checked with onnx.reference)", "—",
             rtol=1e-4, atol=1e-5, runner=onnxruntime_run)

    lines = [f"# ONNX conformance cases (onnx {onnx.__version__})", "",
             "Written by `tools/onnx/select_conformance.py`; do not edit by hand. See its docstring for",
             "how the cases were selected and what each adaptation means.", "",
             f"{len(rows)} cases: {sum(1 for r in rows if not r[0].startswith('cs_'))} from ONNX's backend suite, "
             f"{sum(1 for r in rows if r[0].startswith('cs_'))} convscope graphs (`cs_*`).", "",
             "| case | op(s) | source | adaptation | data sets |", "| --- | --- | --- | --- | --- |"]
    for name, ops, source, how, k in rows:
        lines.append(f"| {name} | {ops} | {source} | {how} | {k} |")
    lines += ["", "## Left out", "", "Patterns (EXCLUDED):", ""]
    lines += [f"- `{k}`: {v}" for k, v in EXCLUDED.items()]
    lines += ["", "Cases of the selected ops left out:", ""]
    by_reason = {}
    for name, reason in sorted(left_out.items()):
        by_reason.setdefault(reason, []).append(name)
    for reason, names in by_reason.items():
        lines.append(f"- {reason}: " + ", ".join(f"`{n}`" for n in names))
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(rows)} cases to {out_dir} ({len(left_out)} cases of the selected ops left out)")


if __name__ == "__main__":
    main()
