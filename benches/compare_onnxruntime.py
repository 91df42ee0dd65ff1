#!/usr/bin/env python3
"""convscope against onnxruntime on the same graphs, single thread (and two), side by side.

Builds each network in demo/nets/bench/*.toml as an ONNX graph with random weights (shapes are what
matter for speed), times onnxruntime with intra_op_num_threads = N, runs
`convscope bench -m SPEC --threads N --runs R --json`, and prints the medians with the ratio.
EfficientNet-Lite0 runs from its real .onnx file on both. "OCR detector @ 640²" is a DBNet-shaped
graph (the PaddleOCR detectors' layout: a stride-32 backbone, a Resize feature pyramid, and a
head of two ConvTransposes and a Sigmoid) with random weights, in demo/nets/bench/ocr-det.onnx
(written by `--make-ocr-det`; its H and W are open, both sides run it at 640×640); `--real FILE.onnx`
adds a row for a real open-size detector at 640×640 too.

Run it in a throwaway venv (cargo test never needs it):
    python3 -m venv /tmp/ortvenv && /tmp/ortvenv/bin/pip install onnxruntime onnx numpy
    cargo build --release
    /tmp/ortvenv/bin/python benches/compare_onnxruntime.py [--threads 1] [--runs 5]
"""
import argparse
import gc
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
    ("OCR detector @ 640² (ConvTranspose, Resize)", os.path.join(BENCH, "ocr-det.onnx")),
]
OPEN_SIZE = {"ocr-det.onnx": (1, 3, 640, 640)}


def ocr_det_onnx(size=640):
    """A DBNet-shaped detector: conv backbone to /32 (HardSwish, Relu, depthwise stages), FPN
    laterals with nearest Resize ×2 and Add, each level resized to /4 and concatenated, then a
    head conv → ConvTranspose ×2 → ConvTranspose ×2 → Sigmoid (a probability map at full size)."""
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    n = [0]

    def const(a, name):
        inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name

    def conv(x, cin, cout, k=3, s=1, group=1, act="Relu"):
        n[0] += 1
        name = f"conv{n[0]}"
        w = const((rng.standard_normal((cout, cin // group, k, k)) * (2.0 / (cin // group * k * k)) ** 0.5).astype(np.float32), name + "_w")
        b = const(np.zeros(cout, np.float32), name + "_b")
        p = k // 2
        nodes.append(helper.make_node("Conv", [x, w, b], [name], name=name, kernel_shape=[k, k],
                                      strides=[s, s], pads=[p, p, p, p], group=group))
        if act:
            nodes.append(helper.make_node(act, [name], [name + "_a"], name=name + "_a"))
            return name + "_a"
        return name

    def resize(x, f):
        n[0] += 1
        name = f"resize{n[0]}"
        sc = const(np.array([1, 1, f, f], np.float32), name + "_scales")
        nodes.append(helper.make_node("Resize", [x, "", sc], [name], name=name, mode="nearest"))
        return name

    def convt(x, cin, cout, act):
        n[0] += 1
        name = f"convt{n[0]}"
        w = const((rng.standard_normal((cin, cout, 2, 2)) * 0.3).astype(np.float32), name + "_w")
        b = const(np.zeros(cout, np.float32), name + "_b")
        nodes.append(helper.make_node("ConvTranspose", [x, w, b], [name], name=name,
                                      kernel_shape=[2, 2], strides=[2, 2]))
        nodes.append(helper.make_node(act, [name], [name + "_a"], name=name + "_a"))
        return name + "_a"

    x = conv("input", 3, 16, s=2, act="HardSwish")                     # /2
    x = conv(x, 16, 16, group=16)
    c2 = conv(conv(x, 16, 24, k=1), 24, 24, s=2, group=24)             # /4
    c3 = conv(conv(c2, 24, 48, k=1), 48, 48, s=2, group=48)            # /8
    c4 = conv(conv(c3, 48, 96, k=1), 96, 96, s=2, group=96)            # /16
    c5 = conv(conv(c4, 96, 192, k=1), 192, 192, s=2, group=192)        # /32
    lat = [conv(c, ch, 96, k=1, act=None) for c, ch in ((c2, 24), (c3, 48), (c4, 96), (c5, 192))]
    td = [lat[3]]
    for level in (2, 1, 0):
        n[0] += 1
        add = f"add{n[0]}"
        nodes.append(helper.make_node("Add", [lat[level], resize(td[-1], 2.0)], [add], name=add))
        td.append(add)
    p5, p4, p3, p2 = (conv(t, 96, 24, act=None) for t in td)
    fuse = [p2, resize(p3, 2.0), resize(p4, 4.0), resize(p5, 8.0)]
    nodes.append(helper.make_node("Concat", fuse, ["fuse"], name="fuse", axis=1))
    h = conv("fuse", 96, 24)
    h = convt(h, 24, 24, "Relu")
    h = convt(h, 24, 1, "Sigmoid")
    graph = helper.make_graph(nodes, "ocr_det", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "h", "w"])],
                              [helper.make_tensor_value_info(h, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    return model.SerializeToString(), (1, 3, size, size)


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


def ort_timer(model_bytes, shape, threads):
    """A warmed-up onnxruntime session; calling the result with `runs` gives the median ms."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    name = sess.get_inputs()[0].name
    reps = 200 if np.prod(shape) < 10_000 else 1  # tiny cases: time per call over many calls
    for _ in range(3):
        sess.run(None, {name: x})

    def run(runs):
        t = []
        for _ in range(runs):
            t0 = time.perf_counter()
            for _ in range(reps):
                sess.run(None, {name: x})
            t.append((time.perf_counter() - t0) / reps * 1e3)
        return statistics.median(t)

    return run


def time_convscope(model, threads, runs, size=None):
    extra = ["--size", f"{size[2]}x{size[3]}"] if size else []
    out = subprocess.run([BIN, "bench", "-m", model, "--threads", str(threads), "--runs", str(runs), "--json"] + extra,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["total_median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate onnxruntime and convscope this many times per case and report "
                         "the median of each and of the ratios (a shared machine's speed drifts "
                         "within seconds)")
    ap.add_argument("--real", help="an open-size detector .onnx, timed at 640×640 as well")
    ap.add_argument("--only", help="run only the cases whose title contains this text")
    ap.add_argument("--make-ocr-det", action="store_true",
                    help="write demo/nets/bench/ocr-det.onnx (the detector graph) and stop")
    a = ap.parse_args()
    if a.make_ocr_det:
        open(os.path.join(BENCH, "ocr-det.onnx"), "wb").write(ocr_det_onnx()[0])
        return
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    rounds = max(1, a.rounds)
    print(f"threads {a.threads}, median of {a.runs} runs" + (f", {rounds} alternating rounds "
          "(medians; the ratio is the median of the rounds' ratios, its range after it)"
          if rounds > 1 else "") + f", onnxruntime {ort.__version__}")
    print(f"| case | onnxruntime ms | convscope ms | ratio |\n|---|---|---|---|")
    cases = list(CASES)
    if a.real:
        cases.append((f"{os.path.basename(a.real)} @ 640²", a.real))
    for title, f in cases:
        if a.only and a.only not in title:
            continue
        size = OPEN_SIZE.get(os.path.basename(f)) or ((1, 3, 640, 640) if f == a.real else None)
        if f.endswith(".onnx"):
            shape = size or (1, 3, 224, 224)
            model_bytes, model = open(f, "rb").read(), f
        else:
            model = os.path.join(BENCH, f)
            model_bytes, shape = spec_to_onnx(model)
        os_, cs, ratios = [], [], []
        try:
            for _ in range(rounds):
                # A fresh session each round, dropped before convscope runs: a live session's
                # idle pool threads spin, and at two threads they took convscope's second core.
                timer = ort_timer(model_bytes, shape, a.threads)
                os_.append(timer(a.runs))
                del timer
                gc.collect()
                cs.append(time_convscope(model, a.threads, a.runs, size))
                ratios.append(cs[-1] / os_[-1])
        except subprocess.CalledProcessError as e:
            print(f"| {title} | {os_[-1]:.3f} | failed: {e.stderr.strip()} | |", flush=True)
            continue
        o, c, r = (statistics.median(v) for v in (os_, cs, ratios))
        spread = f" ({min(ratios):.2f}–{max(ratios):.2f})" if rounds > 1 else ""
        print(f"| {title} | {o:.3f} | {c:.3f} | {r:.2f}{spread} |", flush=True)


if __name__ == "__main__":
    main()
