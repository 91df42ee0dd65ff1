"""Independent definitions for the generator: a direct-loop 2-D convolution and the spec's
matmul zero-point layouts, in exact int64. They share no code with onnx.reference."""

from __future__ import annotations

import numpy as np


def axis_pads(n, k, s, d, auto_pad, begin, end):
    """(pad_begin, pad_end, out) of one spatial axis, as the ONNX spec words it."""
    reach = d * (k - 1) + 1
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        target = -(-n // s)
        total = max(0, (target - 1) * s + reach - n)
        begin = (total + 1) // 2 if auto_pad == "SAME_LOWER" else total // 2
        end = total - begin
    elif auto_pad == "VALID":
        begin = end = 0
    out = (n + begin + end - reach) // s + 1
    return begin, end, out


def conv_def(X, W, attrs):
    """y[n, m, r, c] = Σ X[n, g·cg + ci, r·s − pb + i·d, c·s − pl + j·d] · W[m, ci, i, j]."""
    N, C, H, Wd = X.shape
    M, cg, kh, kw = W.shape
    group = attrs.get("group", 1)
    sr, sc = attrs.get("strides", [1, 1])
    dr, dc = attrs.get("dilations", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    ap = attrs.get("auto_pad", "NOTSET")
    pt, _, oh = axis_pads(H, kh, sr, dr, ap, pads[0], pads[2])
    pl, _, ow = axis_pads(Wd, kw, sc, dc, ap, pads[1], pads[3])
    mg = M // group
    y = np.zeros((N, M, oh, ow), dtype=np.int64)
    for m in range(M):
        g = m // mg
        for i in range(kh):
            for j in range(kw):
                rows = np.arange(oh) * sr - pt + i * dr
                cols = np.arange(ow) * sc - pl + j * dc
                rv = (rows >= 0) & (rows < H)
                cv = (cols >= 0) & (cols < Wd)
                for ci in range(cg):
                    plane = X[:, g * cg + ci]
                    tap = np.zeros((N, oh, ow), dtype=np.int64)
                    ri, cj = np.flatnonzero(rv), np.flatnonzero(cv)
                    tap[:, ri[:, None], cj[None, :]] = plane[:, rows[rv]][:, :, cols[cv]]
                    y[:, m] += tap * int(W[m, ci, i, j])
    return y


def matmul_def(a, b, a_zp, b_zp):
    """(A − a_zp) · (B − b_zp), zero points per tensor, per row of A ([M] or [..., M, 1]) or per
    column of B ([N] or [..., 1, N])."""
    A = a.astype(np.int64)
    B = b.astype(np.int64)
    if a_zp is not None:
        z = a_zp.astype(np.int64)
        if z.ndim == 1 and z.size > 1:
            z = z.reshape(-1, 1)  # per row of a 2-D A
        A = A - z
    if b_zp is not None:
        z = b_zp.astype(np.int64)
        B = B - z  # [N] and [..., 1, N] broadcast along K as they should
    return np.matmul(A, B)
