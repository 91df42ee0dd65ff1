"""Reference vectors for Resize and Upsample: tests/data/resize.json.

Run from the crate root: /work/venv/bin/python tools/gen_resize.py
Each case is a node (op, opset, attributes, inputs) run through onnx.reference and
onnxruntime. The expected output is the reference's unless the case says
truth="onnxruntime": Resize 10 and Upsample with fractional scales (the reference cannot run
them), tf_half_pixel_for_nn (not in the reference), and the documented cases where the
reference departs from the operator text (fractional output widths with align_corners /
tf_crop_and_resize, pytorch_half_pixel with one output).
"""

import itertools
import sys

import numpy as np

sys.path.insert(0, "tools")
from onnx_harness import f32s, make_model, run_ort, run_reference, settle, write  # noqa: E402

RNG = np.random.RandomState(7)
CASES = []


def data(shape):
    # Multiples of 1/8 in [-4, 4): exact in f32 and short in JSON.
    return (RNG.randint(-32, 32, size=shape) / 8).astype(np.float32)


def case(name, x, opset=19, op="Resize", scales=None, sizes=None, roi=None, truth=None, **attrs):
    f32 = lambda v: None if v is None else np.array(v, np.float32)  # noqa: E731
    if op == "Upsample" and opset == 7:
        inputs = [("x", x)]
        attrs["scales"] = [float(s) for s in scales]
    elif op == "Upsample" or opset == 10:
        inputs = [("x", x), ("scales", f32(scales))]
    else:
        roi_in = f32(roi)
        sc = f32(scales)
        if opset == 11:  # roi and scales must be present (empty when unused)
            roi_in = roi_in if roi_in is not None else np.array([], np.float32)
            sc = sc if sc is not None else np.array([], np.float32)
        inputs = [("x", x), ("roi", roi_in), ("scales", sc),
                  ("sizes", None if sizes is None else np.array(sizes, np.int64))]
    model = make_model(op, opset, inputs, attrs)
    c = {"name": name, "op": op, "opset": opset, "attrs": attrs,
         "x_shape": list(x.shape), "x": f32s(x),
         "scales": None if scales is None else [float(s) for s in scales],
         "sizes": sizes, "roi": None if roi is None else [float(v) for v in roi]}
    if truth:
        c["truth"] = truth
    c["attrs"] = {k: v for k, v in attrs.items() if k != "scales"}
    CASES.append(settle(c, run_reference(model, x), run_ort(model, x)))


X = data((1, 2, 4, 6))
UP = [1, 1, 1.5, 2]       # 4×6 → 6×12
DOWN = [1, 1, 0.75, 0.5]  # 4×6 → 3×3
SIZES = [1, 2, 3, 7]
COORDS = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
          "asymmetric"]
NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]

# Every coordinate transform × nearest mode, up and down.
for ct, nm in itertools.product(COORDS, NEAREST):
    for tag, sc in [("up", UP), ("down", DOWN)]:
        case(f"nearest_{ct}_{nm}_{tag}", X, scales=sc, mode="nearest",
             coordinate_transformation_mode=ct, nearest_mode=nm)
    case(f"nearest_{ct}_{nm}_sizes", X, sizes=SIZES, mode="nearest",
         coordinate_transformation_mode=ct, nearest_mode=nm)

# Linear and cubic for every transform.
for ct in COORDS:
    for tag, sc in [("up", UP), ("down", DOWN)]:
        case(f"linear_{ct}_{tag}", X, scales=sc, mode="linear", coordinate_transformation_mode=ct)
        for a, ex in [(-0.75, 0), (-0.5, 0), (-0.75, 1)]:
            case(f"cubic_{ct}_{tag}_a{a}_ex{ex}", X, scales=sc, mode="cubic",
                 coordinate_transformation_mode=ct, cubic_coeff_a=a, exclude_outside=ex)
    case(f"linear_{ct}_sizes", X, sizes=SIZES, mode="linear", coordinate_transformation_mode=ct)
    case(f"cubic_{ct}_sizes", X, sizes=SIZES, mode="cubic", coordinate_transformation_mode=ct)

# tf_crop_and_resize: an roi that reaches outside the input, with extrapolation.
ROI = [0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3]
for mode in ["nearest", "linear", "cubic"]:
    modes = NEAREST if mode == "nearest" else [None]
    for nm in modes:
        extra = {"nearest_mode": nm} if nm else {}
        case(f"tf_crop_{mode}_{nm}_up", X, scales=UP, roi=ROI, mode=mode,
             coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=10.0,
             **extra)
    case(f"tf_crop_{mode}_sizes", X, sizes=[1, 2, 5, 4], roi=ROI, mode=mode,
         coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-1.5)
    case(f"tf_crop_{mode}_axes", X, scales=[2, 0.5], roi=[0.1, 0.2, 0.8, 1.2], axes=[3, 2],
         mode=mode, coordinate_transformation_mode="tf_crop_and_resize")

# Antialias (opset 18+): downscales, with and without exclude_outside, several transforms.
XA = data((1, 1, 8, 12))
for mode, sc, ct, ex in itertools.product(
        ["linear", "cubic"], [[1, 1, 0.5, 0.5], [1, 1, 0.75, 0.25], [1, 1, 2, 0.75]],
        ["half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"], [0, 1]):
    tag = "x".join(str(s) for s in sc[2:])
    case(f"antialias_{mode}_{ct}_{tag}_ex{ex}", XA, opset=18, scales=sc, mode=mode,
         coordinate_transformation_mode=ct, antialias=1, exclude_outside=ex)
case("antialias_linear_sizes", XA, sizes=[1, 1, 3, 5], mode="linear", antialias=1)
case("antialias_cubic_fractional", XA, scales=[1, 1, 0.6, 0.3], mode="cubic", antialias=1)
for mode in ["linear", "cubic"]:
    case(f"antialias_{mode}_align_corners_fractional", XA, scales=[1, 1, 0.6, 0.3], mode=mode,
         coordinate_transformation_mode="align_corners", antialias=1, truth="onnxruntime")

# sizes with keep_aspect_ratio_policy and axes.
for pol in ["stretch", "not_larger", "not_smaller"]:
    for mode in ["nearest", "linear"]:
        case(f"keep_{pol}_{mode}", X, sizes=[5, 5], axes=[2, 3], mode=mode,
             keep_aspect_ratio_policy=pol)
        case(f"keep_{pol}_{mode}_reversed_axes", X, sizes=[9, 2], axes=[3, 2], mode=mode,
             keep_aspect_ratio_policy=pol)
case("axes_one_scale", X, scales=[2.5], axes=[3], mode="linear")
case("axes_channels_and_width", X, scales=[2, 0.5], axes=[1, 3], mode="linear")

# N-d: a 3-D and a 5-D tensor, all axes resized, and a 1-D one.
case("nd_3d_linear", data((2, 3, 4)), scales=[1.5, 2, 0.5], mode="linear")
case("nd_3d_cubic", data((2, 3, 4)), scales=[2, 1, 1.5], mode="cubic",
     coordinate_transformation_mode="align_corners")
case("nd_5d_nearest", data((1, 2, 2, 3, 2)), scales=[1, 1, 2, 1.5, 2], mode="nearest")
case("nd_5d_linear", data((1, 1, 2, 3, 2)), sizes=[1, 1, 3, 4, 3], mode="linear")
case("nd_1d_cubic", data((5,)), scales=[1.6], mode="cubic")

# Identity and the fractional half_pixel_symmetric case.
case("identity_scales_1", X, scales=[1, 1, 1, 1], mode="cubic")
case("half_pixel_symmetric_fractional", X, scales=[1, 1, 0.7, 1.7], mode="linear",
     coordinate_transformation_mode="half_pixel_symmetric")
case("half_pixel_fractional", X, scales=[1, 1, 0.7, 1.7], mode="linear")

# nearest with exclude_outside: the reference zeroes a sample that falls outside
# (onnxruntime refuses the attribute for nearest).
case("nearest_exclude_outside_ceil", X, scales=UP, mode="nearest", nearest_mode="ceil",
     coordinate_transformation_mode="half_pixel", exclude_outside=1)
case("nearest_exclude_outside_floor", X, scales=UP, mode="nearest", nearest_mode="floor",
     coordinate_transformation_mode="half_pixel", exclude_outside=1)

# Where the reference departs from the operator text, onnxruntime decides.
for ct in ["align_corners", "tf_crop_and_resize"]:
    roi = [0, 0, 0.1, 0.2, 1, 1, 0.9, 0.7] if ct == "tf_crop_and_resize" else None
    for mode in ["nearest", "linear"]:
        case(f"fractional_width_{ct}_{mode}", X, scales=[1, 1, 0.7, 1.7], roi=roi, mode=mode,
             coordinate_transformation_mode=ct, truth="onnxruntime")
for mode in ["linear", "cubic"]:
    case(f"pytorch_half_pixel_one_output_{mode}", X, scales=[1, 1, 0.3, 0.2], mode=mode,
         coordinate_transformation_mode="pytorch_half_pixel", truth="onnxruntime")

# Ties that f32 arithmetic would break differently: scales from sizes are size/in in f64, and
# coordinates are f64 of the f32 scale (asymmetric 3/0.6 is 4.9999998, floor 4; onnxruntime's
# f32 says 5).
XT = data((1, 1, 3, 12))
for ct, nm in itertools.product(["asymmetric", "half_pixel", "align_corners"], NEAREST):
    case(f"ties_sizes_{ct}_{nm}", XT, sizes=[1, 1, 2, 5], mode="nearest",
         coordinate_transformation_mode=ct, nearest_mode=nm)
    case(f"ties_sizes_up_{ct}_{nm}", XT, sizes=[1, 1, 7, 14], mode="nearest",
         coordinate_transformation_mode=ct, nearest_mode=nm)
case("ties_scale_0.6_asymmetric_floor", data((1, 1, 1, 10)), scales=[1, 1, 1, 0.6],
     mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")

# Opset differences.
for opset in [11, 13, 18, 19]:
    case(f"defaults_opset{opset}", X, opset=opset, scales=DOWN)
    case(f"defaults_sizes_opset{opset}", X, opset=opset, sizes=SIZES, mode="linear")
case("opset11_tf_crop", X, opset=11, scales=UP, roi=ROI, mode="linear",
     coordinate_transformation_mode="tf_crop_and_resize")
case("opset11_tf_half_pixel_for_nn", X, opset=11, scales=UP, mode="nearest",
     coordinate_transformation_mode="tf_half_pixel_for_nn", truth="onnxruntime")
case("opset13_cubic_sizes", X, opset=13, sizes=SIZES, mode="cubic")

# Resize 10 and Upsample 7/9: onnxruntime's legacy asymmetric mapping.
XL = data((1, 1, 4, 5))
for mode in ["nearest", "linear"]:
    for tag, sc in [("up", [1, 1, 2, 3]), ("frac", [1, 1, 1.5, 2.5]), ("down", [1, 1, 0.6, 0.5]),
                    ("mixed", [1, 1, 0.75, 1.1])]:
        case(f"resize10_{mode}_{tag}", XL, opset=10, scales=sc, mode=mode, truth="onnxruntime")
        if tag in ("up", "frac"):
            for opset in [7, 9]:
                case(f"upsample{opset}_{mode}_{tag}", XL, op="Upsample", opset=opset,
                     scales=sc, mode=mode, truth="onnxruntime")
case("upsample9_nearest_wide", data((1, 1, 3, 12)), op="Upsample", opset=9,
     scales=[1, 1, 1.1, 1.1], mode="nearest", truth="onnxruntime")

write("tests/data/kernels/resize/resize.json", "tools/gen_resize.py", CASES)
