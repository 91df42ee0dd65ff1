#!/usr/bin/env python3
"""The screenshot checks in a real terminal (screenshot_check.sh sixel for xterm, screenshot_check.sh kitty for kitty).

`inner LOG -- CMD...`: runs inside xterm. Starts CMD on a PTY of the xterm's size (pixels
included), passes bytes both ways (so the terminal's answers reach CMD), logs what CMD writes,
presses Down once the first pass is on screen (the input → conv1), and quits when told.

`check SHOT.png LOG MAP.npy`: kitty (when LOG has kitty commands): each neuron's centre on screen
must be the colour sent for it. Sixel: finds the last sixel image convscope sent in LOG, crops where it was
placed in the screenshot, and checks that the terminal shows it at one source pixel per neuron:
k×k blocks of one colour each (k a whole number), as many blocks as the map has neurons, each the
colour that was sent, and their brightness ordered as the exported values (viridis is monotonic).
"""
import os, re, select, struct, sys, time, fcntl, termios, tty

def inner(log, argv):
    ws = fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8)
    pid, fd = os.forkpty()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, ws)
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, ws)
    open(log + ".ws", "w").write(" ".join(map(str, struct.unpack("HHHH", ws))))
    # The window may change size after the start (kitty does): pass it on.
    import signal
    def winch(*_):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8))
    signal.signal(signal.SIGWINCH, winch)
    tty.setraw(0)
    out = open(log, "wb")
    seen, pressed, t0 = b"", False, time.time()
    while True:
        try:
            r, _, _ = select.select([0, fd], [], [], 0.1)
        except InterruptedError:
            continue
        if fd in r:
            try:
                b = os.read(fd, 65536)
            except OSError:
                break
            if not b:
                break
            out.write(b); out.flush()
            os.write(1, b)
            seen = (seen + b)[-4096:]
        if 0 in r:
            os.write(fd, os.read(0, 1024))
        if not pressed and (re.search(rb"pass \d+ ms", seen) or time.time() - t0 > 20):
            time.sleep(0.5)
            os.write(fd, b"\x1b[B")
            pressed = True
            open(log + ".pressed", "w").close()
        # More keys for a person driving it by hand: write them to LOG.keys.
        if os.path.exists(log + ".keys"):
            keys = open(log + ".keys", "rb").read()
            os.remove(log + ".keys")
            os.write(fd, keys.replace(b"\\e", b"\x1b"))
        if os.path.exists(log + ".quit"):
            os.write(fd, b"q")
            os.remove(log + ".quit")
    os.waitpid(pid, 0)

def sixel_images(log):
    """(row, col, width, height, pixels) of each sixel image in the log, pixels as 8-bit RGB."""
    data = open(log, "rb").read().decode("latin-1")
    out = []
    for m in re.finditer(r"\x1b\[(\d+);(\d+)H\x1bP0;1;0q\"1;1;(\d+);(\d+)(.*?)\x1b\\", data, re.S):
        row, col, w, h, body = int(m[1]), int(m[2]), int(m[3]), int(m[4]), m[5]
        pal, px = {}, [[None] * w for _ in range(h)]
        x = band = colour = 0
        for t in re.finditer(r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?|\$|-|!(\d+)(.)|([?-~])", body):
            if t[1] is not None:
                colour = int(t[1])
                if t[2] is not None:
                    pal[colour] = tuple((int(v) * 255 + 50) // 100 for v in t.group(2, 3, 4))
            elif t[0] == "$":
                x = 0
            elif t[0] == "-":
                x, band = 0, band + 1
            else:
                n, ch = (int(t[5]), t[6]) if t[5] else (1, t[7])
                bits = ord(ch) - 63
                for _ in range(n):
                    for b in range(6):
                        if bits >> b & 1:
                            px[band * 6 + b][x] = pal[colour]
                    x += 1
        out.append((row, col, w, h, px))
    return out

def kitty_images(log):
    """(row, col, cols, rows, w, h, rgb) of each kitty placement in the log, with its image."""
    import base64, zlib, io
    import numpy as np
    from PIL import Image
    data = open(log, "rb").read().decode("latin-1")
    images, cur, out = {}, None, []
    for m in re.finditer(r"(?:\x1b\[(\d+);(\d+)H)?\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\", data):
        keys = dict(kv.split("=") for kv in m[3].split(",") if "=" in kv)
        if keys.get("a") == "t":
            cur = (int(keys["i"]), keys, [])
        if cur and "m" in keys:
            cur[2].append(m[4] or "")
            if keys["m"] == "0":
                i, k, parts = cur
                raw = base64.b64decode("".join(parts))
                if k.get("f") == "100":
                    images[i] = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))
                else:
                    images[i] = np.frombuffer(zlib.decompress(raw), np.uint8).reshape(int(k["v"]), int(k["s"]), 3)
                cur = None
        if keys.get("a") == "p" and m[1]:
            out.append((int(m[1]), int(m[2]), int(keys["c"]), int(keys["r"]), images[int(keys["i"])]))
    return out

def check_kitty(shot, log, npy):
    import numpy as np
    from PIL import Image
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    vals = np.load(npy)[:, :, 0]
    rows_, cols_, xpix, ypix = map(int, open(log + ".ws").read().split())
    cw, ch = xpix / cols_, ypix / rows_
    row, col, c, r, sent = [p for p in kitty_images(log) if p[4].shape[:2] == vals.shape][-1]
    mh, mw = vals.shape
    w, h = c * cw, r * ch
    print(f"kitty image {mw}×{mh} placed over {c}×{r} cells = {w:.0f}×{h:.0f} screen px")
    # Sample each neuron's centre on screen, for the window offsets near the cell's corner.
    best = None
    for dy in range(0, 12):
        for dx in range(0, 12):
            x0, y0 = (col - 1) * cw + dx, (row - 1) * ch + dy
            ys = (y0 + (np.arange(mh) + 0.5) * h / mh).astype(int)
            xs = (x0 + (np.arange(mw) + 0.5) * w / mw).astype(int)
            if ys[-1] >= img.shape[0] or xs[-1] >= img.shape[1]:
                continue
            got = img[np.ix_(ys, xs)]
            err = np.abs(got - sent.astype(int)).max()
            if best is None or err < best[0]:
                best = (err, dx, dy, got)
    err, dx, dy, got = best
    print(f"max |screen − sent| at the {mw * mh} neuron centres: {err}")
    assert err <= 2, "the screen does not show the sent pixels"
    luma = got @ np.array([0.2126, 0.7152, 0.0722])
    def ranks(a):
        q = np.empty(a.size); q[np.argsort(a.ravel(), kind="stable")] = np.arange(a.size); return q
    rho = np.corrcoef(ranks(luma), ranks(vals))[0, 1]
    print(f"rank correlation of brightness with the exported values: {rho:.4f}")
    assert rho > 0.99
    print("ok")

def check(shot, log, npy):
    # A kitty transmission (not the detection query, which every auto start sends).
    if "\x1b_Ga=t" in open(log, "rb").read().decode("latin-1"):
        return check_kitty(shot, log, npy)
    import numpy as np
    from PIL import Image
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    values = np.load(npy)
    vals = values[:, :, 0] if values.ndim == 3 else values
    mh, mw = vals.shape
    row, col, w, h, px = sixel_images(log)[-1]
    sent = np.array([[p if p else (0, 0, 0) for p in r] for r in px])
    k = w // mw
    assert w == k * mw and h == k * mh, f"sent {w}×{h} is not a whole multiple of {mw}×{mh}"
    # Find the image on screen: the offset (cells are about 6×13 px from the window's corner).
    best = None
    cw, ch = int(os.environ.get("CELL_W", 6)), int(os.environ.get("CELL_H", 13))
    for dy in range(0, 40):
        for dx in range(0, 40):
            y0, x0 = (row - 1) * ch + dy, (col - 1) * cw + dx
            crop = img[y0:y0 + h, x0:x0 + w]
            if crop.shape[:2] != (h, w):
                continue
            err = np.abs(crop - sent).max()
            if best is None or err < best[0]:
                best = (err, x0, y0)
    err, x0, y0 = best
    crop = img[y0:y0 + h, x0:x0 + w]
    print(f"image at screen pixel ({x0}, {y0}), {w}×{h} = {mw}×{mh} neurons × {k}; max |screen − sent| = {err}")
    assert err <= 2, "the screen does not show the sent pixels"
    blocks = crop.reshape(mh, k, mw, k, 3)
    spread = (blocks.max(axis=(1, 3)) - blocks.min(axis=(1, 3))).max()
    assert spread <= 2, f"blocks are not of one colour (spread {spread})"
    colour = blocks[:, 0, :, 0, :]
    luma = colour @ np.array([0.2126, 0.7152, 0.0722])
    def ranks(a):
        r = np.empty(a.size); r[np.argsort(a.ravel(), kind="stable")] = np.arange(a.size); return r
    rho = np.corrcoef(ranks(luma), ranks(vals))[0, 1]
    print(f"{mh * mw} blocks of {k}×{k} screen pixels, each one colour; rank correlation of brightness with the exported values: {rho:.4f}")
    assert rho > 0.99, "the blocks are not the map's values"
    print("ok")

if __name__ == "__main__":
    if sys.argv[1] == "inner":
        inner(sys.argv[2], sys.argv[4:])
    else:
        check(*sys.argv[2:5])
