"""Reference vectors for DepthToSpace and SpaceToDepth: tests/data/depth_space.json.

Run from the crate root: /work/venv/bin/python tools/gen_depth_space.py
"""

import sys

import numpy as np

sys.path.insert(0, "tools")
from onnx_harness import make_model, run_ort, run_reference, settle, write  # noqa: E402

CASES = []


def case(name, op, shape, blocksize, mode=None, opset=13, expect_error=False):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    attrs = {"blocksize": blocksize}
    if mode is not None:
        attrs["mode"] = mode
    model = make_model(op, opset, [("x", x)], attrs)
    c = {"name": name, "op": op, "opset": opset, "blocksize": blocksize, "mode": mode,
         "x_shape": list(shape)}
    if expect_error:
        c["truth"] = "onnxruntime"
        c["expect_error"] = True
    CASES.append(settle(c, run_reference(model, x), run_ort(model, x)))


for mode in ["DCR", "CRD"]:
    case(f"d2s_{mode}_b2", "DepthToSpace", (1, 8, 2, 3), 2, mode)
    case(f"d2s_{mode}_b3_batch2", "DepthToSpace", (2, 18, 2, 2), 3, mode)
    case(f"d2s_{mode}_b1", "DepthToSpace", (1, 3, 2, 2), 1, mode)
    case(f"d2s_{mode}_opset11", "DepthToSpace", (1, 12, 1, 2), 2, mode, opset=11)
case("d2s_opset1_default_dcr", "DepthToSpace", (1, 8, 2, 2), 2, opset=1)
case("d2s_default_mode", "DepthToSpace", (1, 8, 2, 2), 2)
case("s2d_b2", "SpaceToDepth", (1, 2, 4, 6), 2)
case("s2d_b3_batch2", "SpaceToDepth", (2, 3, 3, 6), 3)
case("s2d_opset1", "SpaceToDepth", (1, 1, 2, 2), 2, opset=1)
case("d2s_not_divisible", "DepthToSpace", (1, 6, 2, 2), 2, "DCR", expect_error=True)
case("s2d_not_divisible", "SpaceToDepth", (1, 2, 4, 5), 2, expect_error=True)

write("tests/data/kernels/resize/depth_space.json", "tools/gen_depth_space.py", CASES)
