"""Generate tests/data/lstm.json and tests/data/gru.json: ONNX LSTM / GRU reference vectors.

Run from the crate root:  /work/venv/bin/python tools/gen_rnn_vectors.py

Each case's expected outputs come from rnn_ref.py (float64). Before anything is written, every
case is checked against
- onnxruntime (float32, CPU), to 2e-5 absolute + relative: always. onnxruntime's CPU kernels
  refuse layout 1, so layout-1 cases run there as layout 0 with X / initial states transposed;
- onnx.reference (float64), to 1e-12: wherever it applies (it ignores activations, clip,
  input_forget and sequence_lens).
The script fails if any check does.
"""

import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import rnn_ref

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "..", "tests", "data", "kernels", "recurrent")
INPUTS = {
    "LSTM": ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"],
    "GRU": ["X", "W", "R", "B", "sequence_lens", "initial_h"],
}
# Attributes onnx.reference ignores: a case using one is checked against onnxruntime only.
IGNORED_BY_REFERENCE = {"activations", "clip", "input_forget", "activation_alpha", "activation_beta"}


def make_model(op, ins, attrs, opset, elem):
    names, vis = [], []
    for k in INPUTS[op]:
        if ins.get(k) is None:
            names.append("")
            continue
        names.append(k)
        et = TensorProto.INT32 if k == "sequence_lens" else elem
        vis.append(helper.make_tensor_value_info(k, et, ins[k].shape))
    while names and names[-1] == "":
        names.pop()
    outs = ["Y", "Y_h", "Y_c"] if op == "LSTM" else ["Y", "Y_h"]
    node = helper.make_node(op, names, outs, **attrs)
    g = helper.make_graph(
        [node], op, vis, [helper.make_tensor_value_info(o, elem, None) for o in outs]
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def run_ort(op, ins, attrs, opset):
    attrs, ins = dict(attrs), dict(ins)
    layout = attrs.pop("layout", 0)
    if layout == 1:
        for k in ("X", "initial_h", "initial_c"):
            if ins.get(k) is not None:
                ins[k] = np.ascontiguousarray(ins[k].transpose(1, 0, 2))
    m = make_model(op, ins, attrs, max(opset, 14) if layout else opset, TensorProto.FLOAT)
    s = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {k: v for k, v in ins.items() if v is not None}
    outs = s.run(None, feeds)
    if layout == 1:
        outs = [outs[0].transpose(2, 0, 1, 3)] + [o.transpose(1, 0, 2) for o in outs[1:]]
    return outs


def run_reference(op, ins, attrs, opset):
    m = make_model(op, ins, attrs, opset, TensorProto.DOUBLE)
    feeds = {
        k: (v if k == "sequence_lens" else v.astype(np.float64))
        for k, v in ins.items()
        if v is not None
    }
    return ReferenceEvaluator(m).run(None, feeds)


def close(got, want, tol):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    err = np.abs(got - want) / (np.abs(want) + 1.0)
    return float(err.max()) if err.size else 0.0, bool((err <= tol).all())


def case(rng, op, name, seq, batch, inp, hid, opset=14, scale=0.6, use=(), lens=None, **attrs):
    gates = 4 if op == "LSTM" else 3
    dirs = 2 if attrs.get("direction") == "bidirectional" else 1
    layout = attrs.get("layout", 0)

    def r(*shape, s=scale):
        # Three decimals: short in the JSON, and the same f32 whichever side parses them.
        return np.round(rng.standard_normal(shape) * s, 3).astype(np.float32)

    xs = (batch, seq, inp) if layout else (seq, batch, inp)
    ss = (batch, dirs, hid) if layout else (dirs, batch, hid)
    ins = {"X": r(*xs, s=1.0), "W": r(dirs, gates * hid, inp), "R": r(dirs, gates * hid, hid)}
    if "B" in use:
        ins["B"] = r(dirs, 2 * gates * hid, s=0.3)
    if lens is not None:
        ins["sequence_lens"] = np.array(lens, np.int32)
    if "h0" in use:
        ins["initial_h"] = r(*ss, s=0.5)
    if "c0" in use:
        ins["initial_c"] = r(*ss, s=0.5)
    if "P" in use:
        ins["P"] = r(dirs, 3 * hid, s=0.5)
    attrs["hidden_size"] = hid
    want = rnn_ref.run(op, ins, attrs)

    got = run_ort(op, ins, attrs, opset)
    for w, g, out in zip(want, got, ["Y", "Y_h", "Y_c"]):
        err, ok = close(g, w, 2e-5)
        assert ok, f"{name}: onnxruntime {out} differs by {err}"
    checked = ["onnxruntime"]
    if not (IGNORED_BY_REFERENCE & attrs.keys()) and lens is None:
        got = run_reference(op, ins, attrs, opset)
        for w, g, out in zip(want, got, ["Y", "Y_h", "Y_c"]):
            err, ok = close(g, w, 1e-12)
            assert ok, f"{name}: onnx.reference {out} differs by {err}"
        checked.append("onnx.reference")
    print(f"{op} {name}: checked against {' and '.join(checked)}")

    def tensor(a, exact_f32):
        fmt = (lambda v: round(float(v), 3)) if exact_f32 else (lambda v: float(f"{v:.9g}"))
        return {"dims": list(a.shape), "data": [fmt(v) for v in np.asarray(a).ravel()]}

    return {
        "name": name,
        "op": op,
        "opset": opset,
        "checked_against": checked,
        "attrs": attrs,
        "inputs": {
            k: (
                {"dims": list(v.shape), "data": [int(x) for x in v]}
                if k == "sequence_lens"
                else tensor(v, True)
            )
            for k, v in ins.items()
        },
        "outputs": {k: tensor(v, False) for k, v in zip(["Y", "Y_h", "Y_c"], want)},
    }


def lstm_cases(rng):
    c = lambda *a, **k: case(rng, "LSTM", *a, **k)  # noqa: E731
    BI, REV = "bidirectional", "reverse"
    full = ("B", "h0", "c0")
    return [
        c("forward_plain", 4, 2, 3, 3),
        c("forward_bias_initial", 4, 2, 3, 3, use=full),
        c("reverse_bias_initial", 4, 2, 3, 3, use=full, direction=REV),
        c("bidirectional_all_inputs", 4, 2, 3, 3, use=full + ("P",), direction=BI),
        c("peepholes_only", 5, 1, 2, 3, use=("P",)),
        c("opset7_bidirectional", 3, 2, 3, 2, opset=7, use=full, direction=BI),
        c("seq_lens_forward", 4, 2, 3, 3, use=full, lens=[4, 2]),
        c("seq_lens_bidirectional", 5, 2, 3, 3, use=full + ("P",), lens=[2, 5], direction=BI),
        c("seq_lens_zero_reverse", 3, 2, 2, 2, use=full, lens=[0, 3], direction=REV),
        c("layout1_bidirectional", 4, 2, 3, 3, use=full + ("P",), direction=BI, layout=1),
        c("layout1_seq_lens", 4, 3, 3, 2, use=full, lens=[1, 4, 3], direction=BI, layout=1),
        c("clip", 4, 2, 3, 3, scale=2.0, use=full + ("P",), direction=BI, clip=0.7),
        c("input_forget_peepholes", 4, 2, 3, 3, use=full + ("P",), input_forget=1),
        c(
            "activations_defaults",
            4, 2, 3, 3, use=full,
            activations=["HardSigmoid", "LeakyRelu", "Elu"],
        ),
        c(
            "activations_explicit_bidirectional",
            4, 2, 3, 3, use=full + ("P",), direction=BI,
            activations=["Affine", "ScaledTanh", "Softsign", "sigmoid", "Relu", "Softplus"],
            activation_alpha=[0.2, 0.9], activation_beta=[0.5, 1.3],
        ),
        c(
            "activations_thresholded",
            4, 2, 3, 3, use=full,
            activations=["Sigmoid", "ThresholdedRelu", "LeakyRelu"],
            activation_alpha=[0.1, 0.3],
        ),
        c("gemm_path_bidirectional", 6, 3, 20, 12, use=full + ("P",), direction=BI,
          lens=[6, 3, 5]),
        c("matvec_path_bidirectional", 7, 1, 16, 10, use=full + ("P",), direction=BI),
    ]


def gru_cases(rng):
    c = lambda *a, **k: case(rng, "GRU", *a, **k)  # noqa: E731
    BI, REV = "bidirectional", "reverse"
    full = ("B", "h0")
    return [
        c("forward_plain", 4, 2, 3, 3),
        c("forward_bias_initial_lbr1", 4, 2, 3, 3, use=full, linear_before_reset=1),
        c("reverse_bias_initial", 4, 2, 3, 3, use=full, direction=REV),
        c("bidirectional_lbr0", 4, 2, 3, 3, use=full, direction=BI),
        c("bidirectional_lbr1", 4, 2, 3, 3, use=full, direction=BI, linear_before_reset=1),
        c("opset7_reverse", 3, 2, 3, 2, opset=7, use=full, direction=REV),
        c("seq_lens_bidirectional_lbr0", 5, 2, 3, 3, use=full, lens=[3, 1], direction=BI),
        c("seq_lens_bidirectional_lbr1", 5, 2, 3, 3, use=full, lens=[5, 2], direction=BI,
          linear_before_reset=1),
        c("seq_lens_zero", 3, 2, 2, 2, use=full, lens=[3, 0]),
        c("layout1_bidirectional_lbr1", 4, 2, 3, 3, use=full, direction=BI, layout=1,
          linear_before_reset=1),
        c("layout1_seq_lens", 4, 3, 3, 2, use=full, lens=[2, 4, 1], layout=1),
        c("clip_lbr0", 4, 2, 3, 3, scale=2.0, use=full, direction=BI, clip=0.6),
        c("clip_lbr1", 4, 2, 3, 3, scale=2.0, use=full, clip=0.6, linear_before_reset=1),
        c("activations_defaults", 4, 2, 3, 3, use=full, activations=["HardSigmoid", "Elu"]),
        c(
            "activations_explicit_bidirectional",
            4, 2, 3, 3, use=full, direction=BI, linear_before_reset=1,
            activations=["Affine", "Softsign", "LeakyRelu", "ScaledTanh"],
            activation_alpha=[0.3, 0.2, 0.8], activation_beta=[0.4, 1.5],
        ),
        c("activations_relu_softplus", 4, 2, 3, 3, use=full, activations=["Relu", "Softplus"]),
        c("activations_thresholded", 4, 2, 3, 3, use=full, activations=["ThresholdedRelu", "Tanh"],
          activation_alpha=[0.2]),
        c("gemm_path_bidirectional", 6, 3, 20, 12, use=full, direction=BI, lens=[6, 2, 5]),
        c("matvec_path_bidirectional_lbr1", 7, 1, 16, 10, use=full, direction=BI,
          linear_before_reset=1),
    ]


def main():
    os.makedirs(OUT, exist_ok=True)
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    for name, gen, seed in (("lstm", lstm_cases, 7), ("gru", gru_cases, 11)):
        cases = gen(np.random.default_rng(seed))
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(cases, f, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
