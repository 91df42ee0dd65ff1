"""A float64 transliteration of the ONNX LSTM and GRU equations, with every attribute the spec
lists (activations with alpha/beta, clip, input_forget, linear_before_reset, sequence_lens,
layout), for generating the Rust tests' reference vectors.

onnx.reference's LSTM and GRU ignore activations, clip, input_forget and sequence_lens, so
gen_rnn_vectors.py checks this code against onnx.reference where that applies, and against
onnxruntime everywhere (onnxruntime's CPU kernels refuse layout 1, so those are compared through
a transpose).

Semantics that the spec leaves open follow onnxruntime, as the Rust kernels do:
- activation_alpha / activation_beta are consumed in order only by the activations that take
  them; missing values take the ONNX operators' defaults.
- clip bounds every gate's pre-activation (peephole term included), not the cell state fed to h.
- input_forget: f = 1 - i (the forget gate's own weights and peephole are unused).
- a sequence of length 0 gives Y_h = Y_c = 0 (not the initial state).
- ThresholdedRelu is `x if x > alpha else 0`, as the ThresholdedRelu operator and onnxruntime
  say (the RNN pages of the spec write >=; the two differ only at x == alpha).
"""

import numpy as np

# name: (takes alpha, takes beta, default alpha, default beta)
ACTIVATIONS = {
    "relu": (False, False, 0.0, 0.0),
    "tanh": (False, False, 0.0, 0.0),
    "sigmoid": (False, False, 0.0, 0.0),
    "affine": (True, True, 1.0, 0.0),
    "leakyrelu": (True, False, 0.01, 0.0),
    "thresholdedrelu": (True, False, 1.0, 0.0),
    "scaledtanh": (True, True, 1.0, 1.0),
    "hardsigmoid": (True, True, 0.2, 0.5),
    "elu": (True, False, 1.0, 0.0),
    "softsign": (False, False, 0.0, 0.0),
    "softplus": (False, False, 0.0, 0.0),
}


def resolve(names, alphas, betas):
    """[(name, alpha, beta)] with alphas and betas consumed in order by their users."""
    alphas, betas = list(alphas or []), list(betas or [])
    out = []
    for n in names:
        takes_a, takes_b, da, db = ACTIVATIONS[n.lower()]
        a = alphas.pop(0) if takes_a and alphas else da
        b = betas.pop(0) if takes_b and betas else db
        out.append((n.lower(), float(np.float32(a)), float(np.float32(b))))
    assert not alphas and not betas, "unused activation_alpha / activation_beta"
    return out


def act(spec, x):
    n, a, b = spec
    if n == "relu":
        return np.maximum(x, 0.0)
    if n == "tanh":
        return np.tanh(x)
    if n == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if n == "affine":
        return a * x + b
    if n == "leakyrelu":
        return np.where(x >= 0, x, a * x)
    if n == "thresholdedrelu":
        return np.where(x > a, x, 0.0)
    if n == "scaledtanh":
        return a * np.tanh(b * x)
    if n == "hardsigmoid":
        return np.minimum(np.maximum(a * x + b, 0.0), 1.0)
    if n == "elu":
        return np.where(x >= 0, x, a * (np.exp(x) - 1.0))
    if n == "softsign":
        return x / (1.0 + np.abs(x))
    if n == "softplus":
        return np.log1p(np.exp(x))
    raise ValueError(n)


def _clip(v, clip):
    return v if clip is None else np.clip(v, -clip, clip)


def _lstm_dir(X, W, R, B, P, h0, c0, lens, acts, clip, input_forget, reverse):
    S, N, _ = X.shape
    H = R.shape[1]
    f, g, h = acts
    Y = np.zeros((S, N, H))
    yh, yc = np.zeros((N, H)), np.zeros((N, H))
    bias = B[: 4 * H] + B[4 * H :]
    pi, po, pf = P[:H], P[H : 2 * H], P[2 * H :]
    for b in range(N):
        L = lens[b]
        hb, cb = h0[b], c0[b]
        for t in range(L - 1, -1, -1) if reverse else range(L):
            gates = W @ X[t, b] + R @ hb + bias
            gi, go, gf, gc = np.split(gates, 4)
            i = act(f, _clip(gi + pi * cb, clip))
            fg = 1.0 - i if input_forget else act(f, _clip(gf + pf * cb, clip))
            c = act(g, _clip(gc, clip))
            C = fg * cb + i * c
            o = act(f, _clip(go + po * C, clip))
            hb, cb = o * act(h, C), C
            Y[t, b] = hb
        if L > 0:
            yh[b], yc[b] = hb, cb
    return Y, yh, yc


def _gru_dir(X, W, R, B, h0, lens, acts, clip, lbr, reverse):
    S, N, _ = X.shape
    H = R.shape[1]
    f, g = acts
    Y = np.zeros((S, N, H))
    yh = np.zeros((N, H))
    wb, rb = B[: 3 * H], B[3 * H :]
    for b in range(N):
        L = lens[b]
        hb = h0[b]
        for t in range(L - 1, -1, -1) if reverse else range(L):
            xw = W @ X[t, b] + wb
            z = act(f, _clip(xw[:H] + R[:H] @ hb + rb[:H], clip))
            r = act(f, _clip(xw[H : 2 * H] + R[H : 2 * H] @ hb + rb[H : 2 * H], clip))
            if lbr:
                pre = xw[2 * H :] + r * (R[2 * H :] @ hb + rb[2 * H :])
            else:
                pre = xw[2 * H :] + R[2 * H :] @ (r * hb) + rb[2 * H :]
            hh = act(g, _clip(pre, clip))
            hb = (1.0 - z) * hh + z * hb
            Y[t, b] = hb
        if L > 0:
            yh[b] = hb
    return Y, yh


def run(op, ins, attrs):
    """Y, Y_h (and Y_c for LSTM) in float64 for inputs `ins` (dict of arrays, absent = None)."""
    layout = attrs.get("layout", 0)
    direction = attrs.get("direction", "forward")
    dirs = 2 if direction == "bidirectional" else 1
    X = ins["X"].astype(np.float64)
    W, R = ins["W"].astype(np.float64), ins["R"].astype(np.float64)
    H = R.shape[2]
    gates = 4 if op == "LSTM" else 3
    h0, c0 = ins.get("initial_h"), ins.get("initial_c")
    if layout == 1:
        X = X.transpose(1, 0, 2)
        h0 = None if h0 is None else h0.transpose(1, 0, 2)
        c0 = None if c0 is None else c0.transpose(1, 0, 2)
    S, N, _ = X.shape
    B = ins.get("B")
    B = np.zeros((dirs, 2 * gates * H)) if B is None else B.astype(np.float64)
    lens = ins.get("sequence_lens")
    lens = [S] * N if lens is None else [int(v) for v in lens]
    h0 = np.zeros((dirs, N, H)) if h0 is None else h0.astype(np.float64)
    c0 = np.zeros((dirs, N, H)) if c0 is None else c0.astype(np.float64)
    P = ins.get("P")
    P = np.zeros((dirs, 3 * H)) if P is None else P.astype(np.float64)
    n_act = 3 if op == "LSTM" else 2
    default = ["Sigmoid", "Tanh", "Tanh"][:n_act] * dirs
    acts = resolve(
        attrs.get("activations", default),
        attrs.get("activation_alpha"),
        attrs.get("activation_beta"),
    )
    clip = attrs.get("clip")
    clip = None if clip is None else float(np.float32(clip))
    Ys, Yhs, Ycs = [], [], []
    for d in range(dirs):
        reverse = direction == "reverse" or d == 1
        a = acts[d * n_act : (d + 1) * n_act]
        if op == "LSTM":
            y, yh, yc = _lstm_dir(
                X, W[d], R[d], B[d], P[d], h0[d], c0[d], lens, a, clip,
                attrs.get("input_forget", 0), reverse,
            )
            Ycs.append(yc)
        else:
            y, yh = _gru_dir(
                X, W[d], R[d], B[d], h0[d], lens, a, clip,
                attrs.get("linear_before_reset", 0), reverse,
            )
        Ys.append(y)
        Yhs.append(yh)
    Y = np.stack(Ys, axis=1)  # [S, dirs, N, H]
    Yh = np.stack(Yhs, axis=0)  # [dirs, N, H]
    outs = [Y, Yh] + ([np.stack(Ycs, axis=0)] if op == "LSTM" else [])
    if layout == 1:
        outs = [outs[0].transpose(2, 0, 1, 3)] + [o.transpose(1, 0, 2) for o in outs[1:]]
    return outs
