"""Reference class maps for the default model (EfficientNet-Lite0) on the cat, computed with
onnxruntime only, independently of convscope:

- cam_<c>.npy (7, 7): CAM from onnxruntime's last conv volume (the GlobalAveragePool's input) and
  the Gemm's weights: M[h, w] = sum_k W[c, k] * A[k, h, w];
- occlusion_<c>.npy (13, 13): P = 32, S = 16, fill 0 in the input tensor; cell (i, j) =
  p_c(x) - p_c(x with rows i*S:i*S+P, cols j*S:j*S+P set to 0), p the softmax of the logits;
- alpha_fd_<c>.npy (K,): Grad-CAM's channel weights at the middle tensor `block9.out` by central
  finite differences of the class logit: the graph is cut at that tensor (it becomes the input of
  the rest), channel k of its value is shifted by +-eps everywhere, and
  alpha_k = (y_c(A + eps) - y_c(A - eps)) / (2 eps H W), eps = 2e-3 (env EPS): larger
  steps cross more relu6 kinks, smaller ones drown in float32 rounding of the logit.

Input: tests/data/reference/effl0_chelsea_input.f32 ([1, 3, 224, 224]). Run from the repo root
in a throwaway venv with numpy, onnx and onnxruntime:

    python tools/classmap/make_refs.py
"""

import json
import os

import numpy as np
import onnx
import onnx.utils
import onnxruntime as ort

MODEL = "demo/models/efficientnet_lite0.onnx"
INPUT = "tests/data/reference/effl0_chelsea_input.f32"
OUT = "tests/data/classmap"
MIDDLE = "block9.out"
CLASSES = [285, 281]  # Egyptian cat, tabby
EPS = float(os.environ.get("EPS", "2e-3"))


def session(path_or_bytes):
    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path_or_bytes, o, providers=["CPUExecutionProvider"])


def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


def main():
    os.makedirs(OUT, exist_ok=True)
    x = np.fromfile(INPUT, dtype="<f4").reshape(1, 3, 224, 224)
    m = onnx.load(MODEL)
    gap = next(n for n in m.graph.node if n.op_type == "GlobalAveragePool")
    gemm = next(n for n in m.graph.node if n.op_type == "Gemm")
    volume = gap.input[0]
    # Expose the last conv volume and the middle tensor as outputs.
    for name in [volume, MIDDLE]:
        m.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    full = session(m.SerializeToString())
    logits, a, mid = full.run(["logits", volume, MIDDLE], {"input": x})
    # The Gemm weights are computed (a Cast of f16 initializers): read them through a session too.
    wname = gemm.input[1]
    m2 = onnx.load(MODEL)
    m2.graph.output.append(onnx.helper.make_tensor_value_info(wname, onnx.TensorProto.FLOAT, None))
    (w,) = session(m2.SerializeToString()).run([wname], {"input": x})
    trans_b = any(at.name == "transB" and at.i == 1 for at in gemm.attribute)
    w = w if trans_b else w.T  # (classes, K)
    a = a[0]
    manifest = {"input": INPUT, "model": MODEL, "volume": volume, "middle": MIDDLE, "eps": EPS}
    for c in CLASSES:
        cam = np.tensordot(w[c], a, axes=(0, 0)).astype(np.float32)
        np.save(f"{OUT}/cam_{c}.npy", cam)
    # Occlusion.
    base = softmax(logits[0].astype(np.float64))
    P, S = 32, 16
    n = (224 - P) // S + 1
    occ = {c: np.zeros((n, n), np.float32) for c in CLASSES}
    for i in range(n):
        for j in range(n):
            xo = x.copy()
            xo[:, :, i * S:i * S + P, j * S:j * S + P] = 0.0
            (lo,) = full.run(["logits"], {"input": xo})
            p = softmax(lo[0].astype(np.float64))
            for c in CLASSES:
                occ[c][i, j] = base[c] - p[c]
    for c in CLASSES:
        np.save(f"{OUT}/occlusion_{c}.npy", occ[c])
    # Grad-CAM channel weights by finite differences of the cut graph.
    cut = "/tmp/convscope_tail.onnx"
    onnx.utils.extract_model(MODEL, cut, [MIDDLE], ["logits"])
    tail = session(cut)
    k, h, wd = mid.shape[1:]
    for c in CLASSES:
        alpha = np.zeros(k, np.float64)
        for ch in range(k):
            up, down = mid.copy(), mid.copy()
            up[0, ch] += EPS
            down[0, ch] -= EPS
            (yu,) = tail.run(["logits"], {MIDDLE: up})
            (yd,) = tail.run(["logits"], {MIDDLE: down})
            alpha[ch] = (float(yu[0, c]) - float(yd[0, c])) / (2 * EPS * h * wd)
        np.save(f"{OUT}/alpha_fd_{c}.npy", alpha.astype(np.float32))
    manifest["classes"] = CLASSES
    manifest["logits_top1"] = int(np.argmax(logits))
    manifest["middle_shape"] = [int(v) for v in mid.shape]
    with open(f"{OUT}/manifest.json", "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
