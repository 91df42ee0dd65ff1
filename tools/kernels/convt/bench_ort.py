"""onnxruntime's side of examples/bench.rs: the PaddleOCR detector's upsampling ConvTransposes,
median of 20 runs with one intra-op thread (and with the default pool, for reference).

Run:  /work/venv/bin/python tools/bench_ort.py
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from ort_model import feeds, model  # noqa: E402
import onnxruntime as ort  # noqa: E402

RUNS = 20
CASES = [
    ("[1,64,160,160] -> 64, 2x2 s2", (1, 64, 160, 160), (64, 64, 2, 2), dict(strides=[2, 2])),
    ("[1,96,40,40] -> 96, 3x3 s2 p1 op1", (1, 96, 40, 40), (96, 96, 3, 3),
     dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])),
]


def session(m, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def median_ms(s, f):
    s.run(None, f)
    s.run(None, f)
    t = []
    for _ in range(RUNS):
        start = time.perf_counter()
        s.run(None, f)
        t.append((time.perf_counter() - start) * 1e3)
    return float(np.median(t))


def main():
    rng = np.random.default_rng(0)
    for name, xs, ws, a in CASES:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        b = rng.standard_normal(ws[1]).astype(np.float32)
        m = model(list(xs), list(ws), 11, True, **a)
        f = feeds(x, w, b)
        one = median_ms(session(m, 1), f)
        pool = median_ms(session(m, 0), f)
        y = session(m, 1).run(None, f)[0]
        print(f"{name} -> {list(y.shape)}: {one:.2f} ms on 1 thread, {pool:.2f} ms on the default pool "
              f"(onnxruntime {ort.__version__})")


if __name__ == "__main__":
    main()
