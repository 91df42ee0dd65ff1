"""Reference vectors for Pad: tests/data/pad.json.

Run from the crate root: /work/venv/bin/python tools/gen_pad.py
Positive pads come from onnx.reference (numpy.pad); negative pads (crops) and the cases
onnxruntime refuses come from onnxruntime, which defines them (numpy.pad refuses negative
widths, and reflects past the edge where onnxruntime reports an error).
"""

import sys

import numpy as np

sys.path.insert(0, "tools")
from onnx_harness import f32s, make_model, run_ort, run_reference, settle, write  # noqa: E402

RNG = np.random.RandomState(11)
CASES = []


def case(name, x, pads, mode="constant", value=None, axes=None, opset=19, truth=None,
         expect_error=False):
    attrs = {"mode": mode}
    if opset < 11:
        attrs["pads"] = list(pads)
        if value is not None:
            attrs["value"] = float(value)
        inputs = [("x", x)]
    else:
        inputs = [("x", x), ("pads", np.array(pads, np.int64)),
                  ("cv", None if value is None else np.array(value, np.float32))]
        if axes is not None:
            inputs.append(("axes", np.array(axes, np.int64)))
    model = make_model("Pad", opset, inputs, attrs)
    c = {"name": name, "opset": opset, "mode": mode, "pads": list(pads), "axes": axes,
         "value": value, "x_shape": list(x.shape), "x": f32s(x)}
    if truth:
        c["truth"] = truth
    if expect_error:
        c["expect_error"] = True
    CASES.append(settle(c, run_reference(model, x), run_ort(model, x)))


X2 = (RNG.randint(-32, 32, size=(3, 4)) / 4).astype(np.float32)
X4 = (RNG.randint(-32, 32, size=(1, 2, 3, 4)) / 4).astype(np.float32)
MODES = ["constant", "reflect", "edge", "wrap"]

for mode in MODES:
    case(f"{mode}_both_sides", X2, [1, 2, 2, 1], mode, value=1.5 if mode == "constant" else None)
    case(f"{mode}_at_the_reflect_limit", X2, [2, 3, 2, 3], mode)
    case(f"{mode}_4d_spatial", X4, [0, 0, 1, 2, 0, 0, 2, 1], mode)
    case(f"{mode}_axes", X4, [1, 2, 2, 1], mode, axes=[2, 3], opset=18)
    case(f"{mode}_negative_axes", X4, [2, 1, 1, 2], mode, axes=[-1, -2], opset=18)
    case(f"{mode}_nothing", X2, [0, 0, 0, 0], mode)
    # Crops, alone and with padding on the same or the other side.
    case(f"{mode}_crop", X2, [-1, 0, 0, -2], mode, truth="onnxruntime")
    case(f"{mode}_crop_then_pad", X2, [0, -1, 0, 2], mode, truth="onnxruntime")
    case(f"{mode}_crop_and_pad_both", X4, [0, 0, -1, 1, 0, 0, 1, -1], mode,
         truth="onnxruntime")
    case(f"{mode}_crop_axes", X4, [-1, 1, 1, -2], mode, axes=[-2, 3], opset=18,
         truth="onnxruntime")
case("wrap_wider_than_the_axis", X2, [0, 5, 1, 9], "wrap")
case("edge_wider_than_the_axis", X2, [4, 5, 3, 9], "edge")
case("constant_crop_past_the_axis", X2, [0, -5, 0, 7], "constant", value=-2.0,
     truth="onnxruntime")
case("constant_crop_to_empty", X2, [0, -2, 0, -2], "constant", truth="onnxruntime")
case("reflect_crop_leaves_one", X2, [0, -3, 0, 0], "reflect", truth="onnxruntime")

# Opsets: 2 (attributes), 11 and 13 (inputs), 18 (axes), 19 (wrap).
for opset in [2, 11, 13, 18]:
    case(f"opset{opset}_constant", X2, [1, 0, 0, 2], "constant", value=3.0, opset=opset)
    case(f"opset{opset}_reflect", X2, [0, 2, 1, 1], "reflect", opset=opset)
    case(f"opset{opset}_edge_crop", X2, [0, -1, 2, 1], "edge", opset=opset, truth="onnxruntime")
case("opset2_default_value", X2, [1, 1, 1, 1], "constant", opset=2)

# What onnxruntime refuses (and so do we).
case("reflect_pad_equal_to_the_axis", X2, [0, 4, 0, 0], "reflect", truth="onnxruntime",
     expect_error=True)
case("reflect_past_the_crop", X2, [0, -1, 0, 3], "reflect", truth="onnxruntime",
     expect_error=True)
case("reflect_crop_to_one", X2, [0, -3, 0, 3], "reflect", truth="onnxruntime",
     expect_error=True)
for mode in ["edge", "wrap"]:
    case(f"{mode}_crop_to_nothing", X2, [0, -4, 0, 1], mode, truth="onnxruntime",
         expect_error=True)
case("constant_negative_length", X2, [0, -3, 0, -2], "constant", truth="onnxruntime",
     expect_error=True)

write("tests/data/kernels/resize/pad.json", "tools/gen_pad.py", CASES)
