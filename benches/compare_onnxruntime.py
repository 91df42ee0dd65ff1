#!/usr/bin/env python3
"""convscope against onnxruntime on the same graphs, single thread (and two), side by side.

Builds each network in demo/nets/bench/*.toml as an ONNX graph with random weights (shapes are what
matter for speed), times onnxruntime with intra_op_num_threads = N, runs
`convscope bench -m SPEC --threads N --runs R --json`, and prints the medians with the ratio.
EfficientNet-Lite0 runs from its real .onnx file on both.

Run it in a throwaway venv (cargo test never needs it):
    python3 -m venv /tmp/ortvenv && /tmp/ortvenv/bin/pip install onnxruntime onnx numpy
    cargo build --release
    /tmp/ortvenv/bin/python benches/compare_onnxruntime.py [--threads 1] [--runs 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tomllib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "demo", "nets", "bench")
BIN = os.path.join(ROOT, "target", "release", "convscope")
CASES = [
    ("AlexNet conv1 227²×3 → 55²×96", "alexnet-conv1.toml"),
    ("3×3 conv 128 → 256 @ 56², pad 1", "conv3x3-128-256.toml"),
    ("1×1 conv 256 → 64 @ 56²", "conv1x1-256-64.toml"),
    ("AlexNet features @ 224", "alexnet-features.toml"),
    ("VGG16 features @ 224", "vgg16-features.toml"),
    ("EfficientNet-Lite0 @ 224", os.path.join(ROOT, "demo", "models", "efficientnet_lite0.onnx")),
    ("cs231n 11×11×4 → 4×4×2 (per call)", "cs231n.toml"),
]


def pair(v):
    return [v, v] if isinstance(v, int) else list(v)


def spec_to_onnx(path):
    spec = tomllib.load(open(path, "rb"))
    h, w, d = spec["input"]["shape"]
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    prev, depth = "input", d
    for i, l in enumerate(spec["layer"]):
        name = l.get("name", f"l{i}")
        t = l["type"]
        if t == "conv":
            k, (fh, fw) = l["filters"], pair(l["size"])
            wgt = rng.standard_normal((k, depth, fh, fw)).astype(np.float32) * 0.05
            inits += [numpy_helper.from_array(wgt, name + "_w"),
                      numpy_helper.from_array(np.zeros(k, np.float32), name + "_b")]
            p = l.get("pad", 0)
            nodes.append(helper.make_node("Conv", [prev, name + "_w", name + "_b"], [name], name=name,
                                          kernel_shape=[fh, fw], strides=pair(l.get("stride", 1)),
                                          pads=[p, p, p, p]))
            depth = k
        elif t == "relu":
            nodes.append(helper.make_node("Relu", [prev], [name], name=name))
        elif t == "maxpool":
            f = pair(l["size"])
            nodes.append(helper.make_node("MaxPool", [prev], [name], name=name, kernel_shape=f,
                                          strides=pair(l.get("stride", f[0]))))
        else:
            raise SystemExit(f"{path}: layer type {t} not handled by this script")
        prev = name
    graph = helper.make_graph(nodes, "bench", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, d, h, w])],
                              [helper.make_tensor_value_info(prev, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    return model.SerializeToString(), (1, d, h, w)


def time_ort(model_bytes, shape, threads, runs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    name = sess.get_inputs()[0].name
    reps = 200 if np.prod(shape) < 10_000 else 1  # tiny cases: time per call over many calls
    for _ in range(3):
        sess.run(None, {name: x})
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(reps):
            sess.run(None, {name: x})
        t.append((time.perf_counter() - t0) / reps * 1e3)
    return statistics.median(t)


def time_convscope(model, threads, runs):
    out = subprocess.run([BIN, "bench", "-m", model, "--threads", str(threads), "--runs", str(runs), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["total_median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    print(f"threads {a.threads}, median of {a.runs} runs, onnxruntime {ort.__version__}")
    print(f"| case | onnxruntime ms | convscope ms | ratio |\n|---|---|---|---|")
    for title, f in CASES:
        if f.endswith(".onnx"):
            model_bytes, shape, model = open(f, "rb").read(), (1, 3, 224, 224), f
        else:
            model = os.path.join(BENCH, f)
            model_bytes, shape = spec_to_onnx(model)
        o = time_ort(model_bytes, shape, a.threads, a.runs)
        try:
            c = time_convscope(model, a.threads, a.runs)
            print(f"| {title} | {o:.3f} | {c:.3f} | {c / o:.2f} |", flush=True)
        except subprocess.CalledProcessError as e:
            print(f"| {title} | {o:.3f} | failed: {e.stderr.strip()} | |", flush=True)


if __name__ == "__main__":
    main()
