#!/usr/bin/env python3
"""Golden vectors for embedding-kernels' quantized table formats.

Produces, next to this script, one directory per format with raw little-endian
files (no headers) made by the REFERENCE implementations:

  rowwise8  torch.ops.quantized.embedding_bag_byte_prepack / _byte_unpack /
            embedding_bag_byte_rowwise_offsets          (FBGEMM Fused8BitRowwise)
  rowwise4  torch.ops.quantized.embedding_bag_4bit_prepack / _4bit_unpack /
            embedding_bag_4bit_rowwise_offsets          (FBGEMM FusedNBitRowwise)
  rowwise2  torch.ops.quantized.embedding_bag_2bit_prepack / _2bit_unpack /
            embedding_bag_2bit_rowwise_offsets
  q8_0,q4_0 gguf.quants.quantize / gguf.quants.dequantize
  q4_k,q6_k random valid blocks, gguf.quants.dequantize

and tests/data/golden/manifest.txt.  Then it VERIFIES everything with an
independent numpy/fractions re-implementation (quantizer rules, decoders,
exact fma, bag accumulation order) and writes verification.txt.

CI never runs this; it only reads the data.  Regenerate with
    python3 tests/data/golden/make_golden.py
(Python 3.11; installs torch, numpy and gguf with pip if they are missing).

Inputs that PyTorch turns into NaN rows (NOT included in the data, the crate
rejects them; checked by nan_cases() below and listed in verification.txt):
  * rowwise4/rowwise2: any row whose f16 scale overflows, i.e.
    (max - f16(min)) / (2^bits - 1) rounds to +inf in f16 (>= 65520):
    e.g. 4-bit [0, 1e6], 2-bit [0, 2e5].  FBGEMM stores scale = inf
    (1/inf = 0 is not inf, so the "isinf(inverse_scale)" guard does not fire),
    codes become lrintf((x-min)*0) = 0, and every dequantized value is
    inf*0 + bias = NaN.  Same for a row whose min is < -65520 (bias f16 = -inf,
    range = +inf): e.g. [-1e5, 0].  A row containing +-inf likewise.
    Measured with torch 2.15.0: 4-bit [0, 982000] is finite, [0, 983000] NaN;
    2-bit [0, 196000] finite, [0, 197000] NaN; [-65504, 0] finite.
  * rowwise8: a row whose f32 range max-min overflows to +inf,
    e.g. [-3e38, 3e38] or [0, inf]: scale = inf, codes 0, values inf*0+bias = NaN.
  * A NaN element does NOT make a NaN row: FBGEMM's min/max skip it and its
    code is 0 (measured: [0, nan] unpacks to [0, 0] in all three formats).
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys


def _ensure_packages() -> None:
    need = []
    for mod in ("numpy", "torch", "gguf"):
        try:
            importlib.import_module(mod)
        except ImportError:
            need.append(mod)
    if not need:
        return
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    rest = [m for m in need if m != "torch"]
    if rest:
        subprocess.check_call(pip + rest)
    if "torch" in need:
        try:
            subprocess.check_call(pip + ["torch"])
        except subprocess.CalledProcessError:
            subprocess.check_call(
                pip + ["torch", "--index-url", "https://download.pytorch.org/whl/cpu"])
    importlib.invalidate_caches()


_ensure_packages()

import math  # noqa: E402
from fractions import Fraction  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import gguf  # noqa: E402
from gguf import GGMLQuantizationType as QT  # noqa: E402
import gguf.quants as gq  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32
LOG: list[str] = []


def log(msg: str = "") -> None:
    print(msg)
    LOG.append(msg)


# ----------------------------------------------------------------------------
# exact float helpers
# ----------------------------------------------------------------------------
_F32_INF = F32(np.inf)


def round_f32(fr: Fraction) -> np.float32:
    """Round an exact rational to the nearest f32, ties to even (finite only)."""
    c = F32(float(fr))  # float(Fraction) is correctly rounded to f64; f64->f32 may double-round
    if not np.isfinite(c):
        return c
    best = None
    for cand in (np.nextafter(c, -_F32_INF), c, np.nextafter(c, _F32_INF)):
        err = abs(Fraction(float(cand)) - fr)
        if best is None or err < best[0] or (
                err == best[0] and (int(cand.view(np.uint32)) & 1) == 0):
            best = (err, cand)
    return best[1]


def fma32(a, b, c) -> np.float32:
    """Exact f32 fused multiply-add a*b+c, rounded once (RNE)."""
    a, b, c = F32(a), F32(b), F32(c)
    if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(c)):
        return F32(np.float64(a) * np.float64(b) + np.float64(c))
    fr = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    if fr == 0:
        # exact zero: IEEE sign rules; f64 a*b is exact for f32 inputs, so the
        # f64 sum is an exact zero with the right sign.
        return F32(np.float64(a) * np.float64(b) + np.float64(c))
    return round_f32(fr)


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=F32).view(np.uint32)


def same_bits(a, b) -> np.ndarray:
    return bits(a) == bits(b)


def f16_to_f32(u16) -> np.ndarray:
    return np.asarray(u16, dtype=np.uint16).view(np.float16).astype(F32)


def f32_to_f16_bits(x) -> np.ndarray:
    # numpy's float32 -> float16 conversion is round-to-nearest-even
    return np.asarray(x, dtype=F32).astype(np.float16).view(np.uint16)


# ----------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------
MANIFEST: list[str] = []
WRITTEN: list[str] = []


def wfile(fmt: str, name: str, data: bytes) -> None:
    path = os.path.join(HERE, fmt, name)
    with open(path, "wb") as f:
        f.write(data)
    WRITTEN.append(path)


def le_f32(a) -> bytes:
    return np.ascontiguousarray(a, dtype="<f4").tobytes()


# ----------------------------------------------------------------------------
# input rows
# ----------------------------------------------------------------------------
def ties_row(fmt: str, dim: int, variant: int) -> np.ndarray:
    """Values that land exactly on a rounding tie of the format's quantizer."""
    if fmt == "rowwise8":
        # variant 0: min 0, max 255 -> range 255, 255+1e-8f == 255, inverse 1.0
        # variant 1: min -1, max 254 -> same inverse, ties at x+1 = k+0.5
        # variant 2: min 0, max 510 -> inverse 0.5 exactly, ties at odd x
        # variant 3: min 0, max 63.75 -> inverse 4.0 exactly, ties at (2k+1)/8
        lo, hi, step, off = [(0.0, 255.0, 1.0, 0.0), (-1.0, 254.0, 1.0, -1.0),
                             (0.0, 510.0, 2.0, 0.0), (0.0, 63.75, 0.25, 0.0)][variant % 4]
        ks = [0, 1, 2, 3, 126, 127, 253, 254, 10, 11, 100, 101]
        vals = [lo, hi] + [off + (k + 0.5) * step for k in ks]
    elif fmt in ("rowwise4", "rowwise2"):
        top = 15 if fmt == "rowwise4" else 3
        # f16 min and power-of-two f16 scale -> inverse_scale exact
        lo, step = [(0.0, 1.0), (-2.0, 1.0), (0.0, 0.25), (1024.0, 2.0)][variant % 4]
        hi = lo + top * step
        ks = list(range(top)) * 4
        vals = [lo, hi] + [lo + (k + 0.5) * step for k in ks]
    elif fmt == "q8_0":
        # amax 127 -> d = 1, id = 1; amax 254 -> d = 2, id = 0.5
        # ties at +-(k+0.5) round half AWAY from zero
        amax = [127.0, 254.0][variant % 2]
        step = amax / 127.0
        vals = []
        for k in range(15):
            vals += [(k + 0.5) * step, -(k + 0.5) * step]
        vals = [amax] + vals + [-amax]
        while len(vals) < 32:
            vals.append(0.5 * step)
        vals = vals[:32]
    elif fmt == "q4_0":
        # max (first by magnitude, keeps sign) = +8 -> d = -1, id = -1;
        #                                       = -8 -> d = 1, id = 1
        # x*id + 8.5 hits an integer for x = +-(k+0.5): trunc rounds half UP
        # the opposite extreme maps to 16.5 -> trunc 16 -> clamped to 15
        m = [8.0, -8.0][variant % 2]
        vals = [m, -m]
        for k in range(8):
            vals += [k + 0.5, -(k + 0.5)]
        vals += [0.0, 7.5, -7.5, 4.0, -4.0, 0.5]
        while len(vals) < 32:
            vals.append(-0.5)
        vals = vals[:32]
    else:
        raise ValueError(fmt)
    reps = -(-dim // len(vals))
    return np.array((vals * reps)[:dim], dtype=F32)


def _walk(x0: np.float32, n: int = 80):
    """x0 and its f32 neighbours out to n ulps either side."""
    up = dn = F32(x0)
    yield up
    for _ in range(n):
        up = np.nextafter(up, _F32_INF)
        dn = np.nextafter(dn, -_F32_INF)
        yield up
        yield dn


def trap_row(fmt: str, dim: int, variant: int) -> np.ndarray:
    """Values whose f32 pre-rounding value lands on the f32 just BELOW a
    rounding boundary (so floor(t + 0.5) or an exact-arithmetic quantizer
    rounds differently from the reference), plus, for q8_0/q4_0, values where
    x*(1/d) and x/d round to different codes.  Anchors (min/max or the block's
    max-magnitude element) come first so the row's parameters are fixed."""
    vals: list[np.float32] = []
    if fmt == "rowwise8":
        mn, mx = F32([-1.7, 0.3][variant % 2]), F32([200.3, 1.9][variant % 2])
        inv = F32(F32(255.0) / F32(F32(mx - mn) + F32(1e-8)))
        t = lambda x: F32(F32(x - mn) * inv)  # noqa: E731
        anchors, ks, scale_x = [mn, mx], [0, 1, 2, 7, 100, 201, 253], lambda k: mn + (k + 0.5) / inv
    elif fmt in ("rowwise4", "rowwise2"):
        top = 15 if fmt == "rowwise4" else 3
        mn0, mx = F32([-1.7, 0.3][variant % 2]), F32([2.9, 1.9][variant % 2])
        mn = f16_to_f32(f32_to_f16_bits(mn0))[()]
        sc = f16_to_f32(f32_to_f16_bits(F32(F32(mx - mn) / F32(top))))[()]
        inv = F32(F32(1.0) / sc)
        t = lambda x: F32(F32(x - mn) * inv)  # noqa: E731
        anchors, ks, scale_x = [mn0, mx], list(range(top)), lambda k: mn + (k + 0.5) / inv
    elif fmt == "q8_0":
        amax = F32([165.1, 0.0371][variant % 2])
        d = F32(amax / F32(127))
        idv = F32(F32(1.0) / d)
        t = lambda x: F32(x * idv)  # noqa: E731
        anchors, ks, scale_x = [amax], [0, 1, 5, 40, 99, 125, -1, -3, -60], lambda k: (k + 0.5) * d
    elif fmt == "q4_0":
        m = F32([-13.7, 0.217][variant % 2])
        d = F32(m / F32(-8))
        idv = F32(F32(1.0) / d)
        # boundary of trunc(x*id + 8.5) in x*id: integers - 8.5, i.e. k + 0.5
        t = lambda x: F32(F32(x * idv) + F32(8.5)) - F32(8.5)  # noqa: E731
        anchors, ks, scale_x = [m], [-8, -5, -1, 0, 3, 6, 7], lambda k: (k + 0.5) * d
    else:
        raise ValueError(fmt)
    vals += anchors
    for k in ks:
        bnd = F32(k + 0.5)
        tt = (lambda x: F32(x * idv)) if fmt == "q4_0" else t  # q4_0: boundary in x*id
        below = above = None
        for x in _walk(F32(scale_x(k)), 600):
            v = tt(x)
            if v < bnd and (below is None or v > below[0]):
                below = (v, x)
            if v >= bnd and (above is None or v < above[0]):
                above = (v, x)
        vals += [p[1] for p in (below, above) if p is not None]
        if fmt in ("q8_0", "q4_0"):
            for x in _walk(F32(scale_x(k)), 600):
                if fmt == "q8_0":
                    differ = _roundf(F32(x * idv)) != _roundf(F32(x / d))
                else:
                    differ = (math.trunc(float(F32(F32(x * idv) + F32(8.5))))
                              != math.trunc(float(F32(F32(x / d) + F32(8.5)))))
                if differ:
                    vals.append(x)
                    break
    lim = abs(float(anchors[0])) if fmt in ("q8_0", "q4_0") else None
    if lim is not None:
        vals = vals[:1] + [v for v in vals[1:] if abs(float(v)) < lim]
    reps = -(-dim // len(vals))
    row = np.array((vals * reps)[:dim], dtype=F32)
    if fmt in ("q8_0", "q4_0"):
        for b in range(0, dim, 32):  # every block starts with its anchor
            row[b] = anchors[0]
    return row


def make_row(fmt: str, kind: str, dim: int, rng: np.random.Generator, variant: int = 0) -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal(dim).astype(F32)
    if kind == "scaled":
        return (rng.standard_normal(dim) * 10.0 ** rng.uniform(-3, 3)).astype(F32)
    if kind == "const":
        return np.full(dim, F32(0.1) if variant % 2 == 0 else F32(-3.3), dtype=F32)
    if kind == "outlier":
        r = rng.standard_normal(dim).astype(F32)
        r[rng.integers(dim)] = F32(1.0e4 if variant % 2 == 0 else -5.0e3)
        return r
    if kind == "neg":
        return (-np.abs(rng.standard_normal(dim)) - 5.0).astype(F32)
    if kind == "tiny":
        return (rng.standard_normal(dim) * 1e-30).astype(F32)
    if kind == "tinyrange":
        # range ~1e-7: the 8-bit quantizer's 1e-8f epsilon keeps the top code < 255
        return (1.0 + rng.standard_normal(dim) * 1e-7).astype(F32)
    if kind == "zeros":
        return np.zeros(dim, dtype=F32)
    if kind == "ties":
        return ties_row(fmt, dim, variant)
    if kind == "traps":
        return trap_row(fmt, dim, variant)
    if kind == "signtie":  # q4_0: equal magnitudes, the FIRST one fixes the sign
        r = rng.uniform(-2.5, 2.5, dim).astype(F32)
        for b in range(0, dim, 32):
            s = 1.0 if (b // 32 + variant) % 2 == 0 else -1.0
            r[b + 3], r[b + 17] = F32(-3.0 * s), F32(3.0 * s)
        return r
    raise ValueError(kind)


def make_table(fmt: str, kinds: list[str], dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    seen: dict[str, int] = {}
    rows = []
    for k in kinds:
        v = seen.get(k, 0)
        seen[k] = v + 1
        rows.append(make_row(fmt, k, dim, rng, v))
    return np.stack(rows).astype(F32)


# ----------------------------------------------------------------------------
# independent re-implementations: quantizers (rules confirmed from sources)
# ----------------------------------------------------------------------------
TIES = [0]  # elements whose pre-rounding value sits exactly on a rounding tie


def my_rowwise8_quant(x: np.ndarray, variant: str = "") -> np.ndarray:
    rows, dim = x.shape
    out = np.zeros((rows, dim + 8), dtype=np.uint8)
    eps = F32(1e-8)
    for r in range(rows):
        row = x[r]
        mn, mx = F32(row.min()), F32(row.max())
        rng_ = F32(mx - mn)
        scale = F32(rng_ / F32(255.0))
        inv = F32(F32(255.0) / F32(rng_ + eps))
        if variant == "no_eps":
            inv = F32(F32(255.0) / rng_) if rng_ != 0 else F32(0.0)
        elif variant == "inv_of_scale":
            inv = F32(F32(1.0) / scale) if scale != 0 else F32(0.0)
        t = (row - mn).astype(F32) * inv
        if variant == "f64_math":
            t = (row.astype(np.float64) - float(mn)) * float(inv)
        TIES[0] += int(np.sum(t - np.floor(t) == 0.5))
        q = np.rint(t).astype(np.int64)  # lrintf: RNE
        if variant == "half_away":
            q = np.floor(t + F32(0.5)).astype(np.int64)
        q = np.clip(q, 0, 255)
        out[r, :dim] = q.astype(np.uint8)
        out[r, dim:] = np.array([scale, mn], dtype="<f4").view(np.uint8)
    return out


def my_rowwisen_quant(x: np.ndarray, nbits: int, variant: str = "") -> np.ndarray:
    rows, dim = x.shape
    k = 8 // nbits
    top = (1 << nbits) - 1
    nb = (dim + k - 1) // k
    out = np.zeros((rows, nb + 4), dtype=np.uint8)
    for r in range(rows):
        row = x[r]
        mn_h = f32_to_f16_bits(row.min())[()]
        mn = f16_to_f32(mn_h)[()]
        if variant == "f32_min":
            mn = F32(row.min())
        mx = F32(row.max())
        rng_ = F32(mx - mn)
        scale = F32(1.0) if rng_ == 0 else F32(rng_ / F32(top))
        scale_f32 = scale
        scale = f16_to_f32(f32_to_f16_bits(scale))[()]
        if scale == 0:
            scale = F32(1.0)
        inv = F32(F32(1.0) / scale)
        if np.isinf(inv):
            scale, inv = F32(1.0), F32(1.0)
        if variant == "f32_scale_inverse" and scale_f32 != 0:
            inv = F32(F32(1.0) / scale_f32)
        t = (row - mn).astype(F32) * inv
        if variant == "f64_math":
            t = (row.astype(np.float64) - float(mn)) * float(inv)
        TIES[0] += int(np.sum(t - np.floor(t) == 0.5))
        q = np.clip(np.rint(t), 0, top).astype(np.uint8)
        if variant == "half_away":
            q = np.clip(np.floor(t + F32(0.5)), 0, top).astype(np.uint8)
        for c in range(dim):
            out[r, c // k] |= np.uint8(q[c] << ((c % k) * nbits))
        out[r, nb:nb + 2] = f32_to_f16_bits(scale).reshape(1).view(np.uint8)
        out[r, nb + 2:nb + 4] = np.array([mn_h], dtype=np.uint16).view(np.uint8)
    return out


def _roundf(v: np.float32) -> int:  # C roundf: half away from zero
    a = abs(float(v))
    f = math.floor(a)
    r = f + (1 if a - f >= 0.5 else 0)
    return int(math.copysign(r, float(v))) if r else 0


def my_q8_0_quant(x: np.ndarray, variant: str = "") -> np.ndarray:
    rows, dim = x.shape
    out = []
    for r in range(rows):
        for b in range(0, dim, 32):
            blk = x[r, b:b + 32]
            amax = F32(0.0)
            for v in blk:
                amax = max(amax, F32(abs(v)))
            d = F32(amax / F32(127))
            idv = F32(F32(1.0) / d) if d != 0 else F32(0.0)
            if variant == "inverse_of_f16_d":
                dh = f16_to_f32(f32_to_f16_bits(d))[()]
                idv = F32(F32(1.0) / dh) if dh != 0 else F32(0.0)
            t = [F32(v * idv) for v in blk]
            TIES[0] += sum(1 for v in t if float(v) - math.floor(float(v)) == 0.5)
            qs = [_roundf(v) for v in t]
            if variant == "half_even":
                qs = [int(np.rint(v)) for v in t]
            elif variant == "divide":  # x / d instead of x * (1/d)
                qs = [_roundf(F32(v / d)) if d != 0 else 0 for v in blk]
            elif variant == "f64_math":
                qs = [_roundf(float(v) * float(idv)) for v in blk]
            out.append(np.concatenate([f32_to_f16_bits(d).reshape(1).view(np.uint8),
                                       np.array(qs, dtype=np.int8).view(np.uint8)]))
    return np.concatenate(out).reshape(rows, -1)


def my_q4_0_quant(x: np.ndarray, variant: str = "") -> np.ndarray:
    rows, dim = x.shape
    out = []
    for r in range(rows):
        for b in range(0, dim, 32):
            blk = x[r, b:b + 32]
            amax, mx = F32(0.0), F32(0.0)
            for v in blk:
                if amax < abs(v) or (variant == "last_max" and amax == abs(v)):
                    amax, mx = F32(abs(v)), F32(v)
            if variant == "abs_max":
                mx = -amax
            d = F32(mx / F32(-8))
            idv = F32(F32(1.0) / d) if d != 0 else F32(0.0)
            t = [F32(F32(v * idv) + F32(8.5)) for v in blk]
            TIES[0] += sum(1 for v in t if float(v) == math.floor(float(v)))
            q = [min(15, math.trunc(float(v))) for v in t]
            if variant == "f64_math":
                q = [min(15, math.trunc(float(v) * float(idv) + 8.5)) for v in blk]
            if variant == "rint_plus_8":
                q = [min(15, max(0, int(np.rint(F32(v * idv))) + 8)) for v in blk]
            qs = [(q[j] | (q[j + 16] << 4)) for j in range(16)]
            out.append(np.concatenate([f32_to_f16_bits(d).reshape(1).view(np.uint8),
                                       np.array(qs, dtype=np.uint8)]))
    return np.concatenate(out).reshape(rows, -1)


# ----------------------------------------------------------------------------
# independent re-implementations: decoders
# ----------------------------------------------------------------------------
def split_rowwise(q: np.ndarray, fmt: str, dim: int):
    """-> codes (rows, dim) int, scale (rows,) f32, bias (rows,) f32"""
    rows = q.shape[0]
    if fmt == "rowwise8":
        codes = q[:, :dim].astype(np.int64)
        sb = np.ascontiguousarray(q[:, dim:dim + 8]).view("<f4").reshape(rows, 2)
        return codes, sb[:, 0].astype(F32), sb[:, 1].astype(F32)
    nbits = 4 if fmt == "rowwise4" else 2
    k = 8 // nbits
    nb = (dim + k - 1) // k
    codes = np.zeros((rows, dim), dtype=np.int64)
    for c in range(dim):
        codes[:, c] = (q[:, c // k] >> ((c % k) * nbits)) & ((1 << nbits) - 1)
    sb = np.ascontiguousarray(q[:, nb:nb + 4]).view("<u2").reshape(rows, 2)
    return codes, f16_to_f32(sb[:, 0]), f16_to_f32(sb[:, 1])


def decode_rowwise(q, fmt, dim):
    """Three candidate decodes: exact fma, f32 mul-then-add, f64 then f32."""
    codes, scale, bias = split_rowwise(q, fmt, dim)
    rows = q.shape[0]
    fma = np.zeros((rows, dim), dtype=F32)
    for r in range(rows):
        for c in range(dim):
            fma[r, c] = fma32(scale[r], F32(codes[r, c]), bias[r])
    muladd = ((codes.astype(F32) * scale[:, None]).astype(F32) + bias[:, None]).astype(F32)
    dbl = (codes.astype(np.float64) * scale[:, None].astype(np.float64)
           + bias[:, None].astype(np.float64)).astype(F32)
    return {"fma": fma, "muladd": muladd, "f64": dbl}


def decode_q8_0(q, dim):
    rows = q.shape[0]
    out = np.zeros((rows, dim), dtype=F32)
    for r in range(rows):
        for b in range(dim // 32):
            blk = q[r, b * 34:(b + 1) * 34]
            d = f16_to_f32(blk[0:2].view("<u2"))[0]
            out[r, b * 32:(b + 1) * 32] = blk[2:].view(np.int8).astype(F32) * d
    return out


def decode_q4_0(q, dim):
    rows = q.shape[0]
    out = np.zeros((rows, dim), dtype=F32)
    for r in range(rows):
        for b in range(dim // 32):
            blk = q[r, b * 18:(b + 1) * 18]
            d = f16_to_f32(blk[0:2].view("<u2"))[0]
            qs = blk[2:]
            lo = (qs & 0x0F).astype(np.int64) - 8
            hi = (qs >> 4).astype(np.int64) - 8
            out[r, b * 32:b * 32 + 16] = lo.astype(F32) * d
            out[r, b * 32 + 16:(b + 1) * 32] = hi.astype(F32) * d
    return out


def get_scale_min_k4(j: int, q) -> tuple[int, int]:
    # ggml-quants.c get_scale_min_k4, verbatim logic
    if j < 4:
        d = q[j] & 63
        m = q[j + 4] & 63
    else:
        d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4)
        m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4)
    return int(d), int(m)


def decode_q4_k_block(blk: np.ndarray) -> np.ndarray:
    # ggml dequantize_row_q4_K, scalar, one f32 rounding per C operation
    d = f16_to_f32(blk[0:2].view("<u2"))[0]
    mn = f16_to_f32(blk[2:4].view("<u2"))[0]
    scales = [int(v) for v in blk[4:16]]
    q = blk[16:144]
    y = []
    is_ = 0
    for j in range(0, 256, 64):
        sc, m = get_scale_min_k4(is_ + 0, scales)
        d1, m1 = F32(d * F32(sc)), F32(mn * F32(m))
        sc, m = get_scale_min_k4(is_ + 1, scales)
        d2, m2 = F32(d * F32(sc)), F32(mn * F32(m))
        qq = q[(j // 64) * 32:(j // 64) * 32 + 32]
        for l in range(32):
            y.append(F32(F32(d1 * F32(int(qq[l]) & 0xF)) - m1))
        for l in range(32):
            y.append(F32(F32(d2 * F32(int(qq[l]) >> 4)) - m2))
        is_ += 2
    return np.array(y, dtype=F32)


def decode_q6_k_block(blk: np.ndarray) -> np.ndarray:
    # ggml dequantize_row_q6_K: y = d * sc[is] * q  ==  (d*sc)*q, left to right
    ql_all, qh_all = blk[0:128], blk[128:192]
    sc_all = blk[192:208].view(np.int8)
    d = f16_to_f32(blk[208:210].view("<u2"))[0]
    y = np.zeros(256, dtype=F32)
    for n in range(2):
        ql = ql_all[n * 64:(n + 1) * 64].astype(np.int64)
        qh = qh_all[n * 32:(n + 1) * 32].astype(np.int64)
        sc = sc_all[n * 8:(n + 1) * 8].astype(np.int64)
        for l in range(32):
            is_ = l // 16
            q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32
            q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32
            q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
            q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
            base = n * 128
            y[base + l + 0] = F32(F32(d * F32(sc[is_ + 0])) * F32(q1))
            y[base + l + 32] = F32(F32(d * F32(sc[is_ + 2])) * F32(q2))
            y[base + l + 64] = F32(F32(d * F32(sc[is_ + 4])) * F32(q3))
            y[base + l + 96] = F32(F32(d * F32(sc[is_ + 6])) * F32(q4))
    return y


def decode_kquant(q, fmt, dim):
    bs = 144 if fmt == "q4_k" else 210
    f = decode_q4_k_block if fmt == "q4_k" else decode_q6_k_block
    rows = q.shape[0]
    out = np.zeros((rows, dim), dtype=F32)
    for r in range(rows):
        for b in range(dim // 256):
            out[r, b * 256:(b + 1) * 256] = f(q[r, b * bs:(b + 1) * bs])
    return out


# ----------------------------------------------------------------------------
# PyTorch wrappers
# ----------------------------------------------------------------------------
OPS = {
    "rowwise8": ("embedding_bag_byte_prepack", "embedding_bag_byte_unpack",
                 "embedding_bag_byte_rowwise_offsets"),
    "rowwise4": ("embedding_bag_4bit_prepack", "embedding_bag_4bit_unpack",
                 "embedding_bag_4bit_rowwise_offsets"),
    "rowwise2": ("embedding_bag_2bit_prepack", "embedding_bag_2bit_unpack",
                 "embedding_bag_2bit_rowwise_offsets"),
}


def torch_op(name):
    return getattr(torch.ops.quantized, name)


def torch_bag(fmt, packed: torch.Tensor, indices, offsets, weights):
    op = torch_op(OPS[fmt][2])
    psw = None if weights is None else torch.from_numpy(np.asarray(weights, dtype=F32))
    out = op(packed, torch.from_numpy(np.asarray(indices, dtype=np.int64)),
             torch.from_numpy(np.asarray(offsets, dtype=np.int64)),
             mode=0, per_sample_weights=psw, include_last_offset=True)
    return out.numpy().astype(F32)


# ----------------------------------------------------------------------------
# case definitions
# ----------------------------------------------------------------------------
SPECIAL = ["const", "outlier", "neg", "tiny", "ties", "normal", "zeros"]

ROWWISE_CASES = {
    "rowwise8": [
        ("odd1x2", ["normal"], 2),
        ("odd2x3", ["outlier", "const"], 3),
        ("odd3x4", ["normal", "const", "neg"], 4),
        ("special7x8", SPECIAL, 8),
        ("special7x13", SPECIAL, 13),
        ("ties4x14", ["ties"] * 4, 14),
        ("mixed5x37", ["scaled", "outlier", "tinyrange", "ties", "zeros"], 37),
        ("wide6x64", ["normal", "scaled", "scaled", "outlier", "neg", "tinyrange"], 64),
        ("wide2x100", ["normal", "tiny"], 100),
        ("traps2x16", ["traps", "traps"], 16),
    ],
    "rowwise4": [
        ("odd1x2", ["normal"], 2),
        ("odd2x4", ["outlier", "const"], 4),
        ("odd3x6", ["normal", "const", "neg"], 6),
        ("special7x8", SPECIAL, 8),
        ("special7x34", SPECIAL, 34),
        ("ties4x32", ["ties"] * 4, 32),
        ("mixed5x38", ["scaled", "outlier", "tinyrange", "ties", "zeros"], 38),
        ("wide6x64", ["normal", "scaled", "scaled", "outlier", "neg", "const"], 64),
        ("wide2x100", ["normal", "tiny"], 100),
        ("traps2x32", ["traps", "traps"], 32),
    ],
    "rowwise2": [
        ("odd1x4", ["normal"], 4),
        ("odd2x8", ["outlier", "const"], 8),
        ("odd3x12", ["normal", "const", "neg"], 12),
        ("special7x16", SPECIAL, 16),
        ("special7x36", SPECIAL, 36),
        ("ties4x32", ["ties"] * 4, 32),
        ("mixed5x40", ["scaled", "outlier", "tinyrange", "ties", "zeros"], 40),
        ("wide6x64", ["normal", "scaled", "scaled", "outlier", "neg", "const"], 64),
        ("wide2x100", ["normal", "tiny"], 100),
        ("traps2x12", ["traps", "traps"], 12),
    ],
}

GGUF_CASES = {
    "q8_0": [
        ("odd1x32", ["normal"], 32),
        ("odd2x64", ["outlier", "const"], 64),
        ("odd3x96", ["normal", "const", "neg"], 96),
        ("special7x32", SPECIAL, 32),
        ("special7x96", SPECIAL, 96),
        ("ties2x64", ["ties", "ties"], 64),
        ("mixed6x64", ["scaled", "scaled", "outlier", "tiny", "signtie", "signtie"], 64),
        ("traps2x64", ["traps", "traps"], 64),
    ],
    "q4_0": [
        ("odd1x32", ["normal"], 32),
        ("odd2x64", ["outlier", "const"], 64),
        ("odd3x96", ["normal", "const", "neg"], 96),
        ("special7x32", SPECIAL, 32),
        ("special7x96", SPECIAL, 96),
        ("ties2x64", ["ties", "ties"], 64),
        ("mixed6x64", ["scaled", "scaled", "outlier", "tiny", "signtie", "signtie"], 64),
        ("traps2x64", ["traps", "traps"], 64),
    ],
}

KQUANT_CASES = {
    "q4_k": [("blocks3x256", 3, 256), ("blocks2x512", 2, 512), ("edge2x256", 2, 256)],
    "q6_k": [("blocks3x256", 3, 256), ("blocks2x512", 2, 512), ("edge2x256", 2, 256)],
}


def seed_of(*parts: str) -> int:
    h = 1469598103934665603
    for p in parts:
        for ch in p.encode():
            h = ((h ^ ch) * 1099511628211) % (1 << 64)
    return h % (1 << 32)


# ----------------------------------------------------------------------------
# bags
# ----------------------------------------------------------------------------
def make_bags(rows: int, rng: np.random.Generator, weighted: bool):
    lengths = [3, 0, 1, 5, 2, 12, 4]  # includes an empty bag and a long one
    rng.shuffle(lengths)
    idx = []
    offsets = [0]
    for L in lengths:
        bag = list(rng.integers(0, rows, L))
        if L >= 3:  # force repeated indices
            bag[-1] = bag[0]
        idx += [int(i) for i in bag]
        offsets.append(len(idx))
    weights = None
    if weighted:
        weights = rng.standard_normal(len(idx)).astype(F32)
        special = [0.0, 1.0, -1.0, 0.5, 3.0]
        for i, v in enumerate(special[:len(idx)]):
            weights[(i * 5) % len(idx)] = F32(v)
    return np.array(idx, dtype=np.int64), np.array(offsets, dtype=np.int64), weights


def bag_file_bytes(idx, offsets, weights, out) -> bytes:
    hdr = np.array([len(idx), len(offsets) - 1, 0 if weights is None else 1, 0], dtype="<u4")
    parts = [hdr.tobytes(), idx.astype("<i8").tobytes(), offsets.astype("<i8").tobytes()]
    if weights is not None:
        parts.append(np.asarray(weights, dtype="<f4").tobytes())
    parts.append(le_f32(out))
    return b"".join(parts)


def emulate_fbgemm_bag(codes, scale, bias, idx, offsets, weights, dim):
    """FBGEMM EmbeddingSpMDM[NBit]: s=w*scale, b=w*bias, acc = fma(s, q, acc + b)."""
    nb = len(offsets) - 1
    out = np.zeros((nb, dim), dtype=F32)
    for m in range(nb):
        acc = np.zeros(dim, dtype=F32)
        for p in range(offsets[m], offsets[m + 1]):
            i = idx[p]
            s, b = scale[i], bias[i]
            if weights is not None:
                s, b = F32(weights[p] * s), F32(weights[p] * b)
            for c in range(dim):
                acc[c] = fma32(s, F32(codes[i, c]), F32(acc[c] + b))
        out[m] = acc
    return out


def naive_bag(codes, scale, bias, idx, offsets, weights, dim):
    """Sum in index order of dequantized values: v = f32(f32(scale*q)+bias);
    term = f32(w*v) (weighted) ; acc = f32(acc + term).  Also returns the sum
    of |term| per element (for the relative error)."""
    nb = len(offsets) - 1
    out = np.zeros((nb, dim), dtype=F32)
    absum = np.zeros((nb, dim), dtype=np.float64)
    sbsum = np.zeros((nb, dim), dtype=np.float64)
    deq = ((codes.astype(F32) * scale[:, None]).astype(F32) + bias[:, None]).astype(F32)
    for m in range(nb):
        acc = np.zeros(dim, dtype=F32)
        for p in range(offsets[m], offsets[m + 1]):
            t = deq[idx[p]]
            if weights is not None:
                t = (F32(weights[p]) * t).astype(F32)
            acc = (acc + t).astype(F32)
            absum[m] += np.abs(t.astype(np.float64))
            w = 1.0 if weights is None else abs(float(weights[p]))
            sbsum[m] += w * (np.abs(codes[idx[p]] * float(scale[idx[p]])) + abs(float(bias[idx[p]])))
        out[m] = acc
    return out, absum, sbsum


# ----------------------------------------------------------------------------
# main generation
# ----------------------------------------------------------------------------
def describe_mismatch(name, ref, mine, limit=6):
    ok = same_bits(ref, mine)
    n = int((~ok).sum())
    if n:
        log(f"    {name}: {n} of {ok.size} elements differ bitwise")
        for pos in list(zip(*np.nonzero(~ok)))[:limit]:
            log(f"      at {tuple(int(p) for p in pos)}: ref {ref[pos]!r} ({bits(ref)[pos]:#010x}) "
                f"mine {mine[pos]!r} ({bits(mine)[pos]:#010x})")
    return n


SUMMARY: dict[str, dict] = {}


def gen_rowwise(fmt: str) -> None:
    prepack, unpack, _ = (torch_op(n) for n in OPS[fmt])
    nbits = {"rowwise8": 8, "rowwise4": 4, "rowwise2": 2}[fmt]
    st = SUMMARY.setdefault(fmt, {"cases": 0, "elements": 0, "bags": 0, "quant_mismatch": 0,
                                  "unpack_ne_lookup": 0, "unpack_ne_fma": 0, "lookup_ne_fma": 0,
                                  "unpack_ne_muladd": 0, "unpack_ne_f64": 0, "lookup_ne_muladd": 0,
                                  "bag_ne_emul": 0, "bag_elems": 0})
    log(f"== {fmt}")
    for case, kinds, dim in ROWWISE_CASES[fmt]:
        x = make_table(fmt, kinds, dim, seed_of(fmt, case))
        rows = x.shape[0]
        packed = prepack(torch.from_numpy(x.copy()))
        q = packed.numpy().astype(np.uint8)
        deq = unpack(packed).numpy().astype(F32)
        lookup = torch_bag(fmt, packed, np.arange(rows), np.arange(rows + 1), None)
        assert np.all(np.isfinite(deq)), (fmt, case)
        wfile(fmt, f"{case}.input.f32", le_f32(x))
        wfile(fmt, f"{case}.q", q.tobytes())
        wfile(fmt, f"{case}.deq.f32", le_f32(deq))
        wfile(fmt, f"{case}.lookup.f32", le_f32(lookup))
        MANIFEST.append(f"table {fmt} {case} {rows} {dim}")
        st["cases"] += 1
        st["elements"] += rows * dim

        log(f"  {case} ({rows}x{dim}: {', '.join(kinds)})")
        TIES[0] = 0
        mine_q = my_rowwise8_quant(x) if nbits == 8 else my_rowwisen_quant(x, nbits)
        nq = int((mine_q != q).sum())
        st["quant_mismatch"] += nq
        st["tie_elements"] = st.get("tie_elements", 0) + TIES[0]
        if TIES[0]:
            log(f"    {TIES[0]} elements quantized from an exact rounding tie")
        if nq:
            log(f"    QUANTIZER MISMATCH: {nq} bytes differ from my re-implementation")
        dec = decode_rowwise(q, fmt, dim)
        codes, scale, bias = split_rowwise(q, fmt, dim)
        for key, a, b in (("unpack_ne_lookup", deq, lookup), ("unpack_ne_fma", deq, dec["fma"]),
                          ("lookup_ne_fma", lookup, dec["fma"]), ("unpack_ne_muladd", deq, dec["muladd"]),
                          ("unpack_ne_f64", deq, dec["f64"]), ("lookup_ne_muladd", lookup, dec["muladd"])):
            n = int((~same_bits(a, b)).sum())
            st[key] += n
            if n and key in ("unpack_ne_lookup", "unpack_ne_fma", "lookup_ne_fma"):
                describe_mismatch(key, a, b)

        rng = np.random.default_rng(seed_of(fmt, case, "bags"))
        for k, weighted in enumerate((False, True)):
            idx, offsets, weights = make_bags(rows, rng, weighted)
            out = torch_bag(fmt, packed, idx, offsets, weights)
            stem = f"{case}.bags{k}"
            wfile(fmt, f"{stem}.bin", bag_file_bytes(idx, offsets, weights, out))
            MANIFEST.append(f"bags {fmt} {case} {stem}")
            st["bags"] += 1
            emu = emulate_fbgemm_bag(codes, scale, bias, idx, offsets, weights, dim)
            ne = int((~same_bits(out, emu)).sum())
            st["bag_ne_emul"] += ne
            st["bag_elems"] += out.size
            if ne:
                describe_mismatch(f"{stem} torch vs fma(w*s, q, acc + w*b) emulation", out, emu)
            nv, absum, sbsum = naive_bag(codes, scale, bias, idx, offsets, weights, dim)
            diff = np.abs(out.astype(np.float64) - nv.astype(np.float64))
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(absum > 0, diff / absum, np.where(diff > 0, np.inf, 0.0))
                rel2 = np.where(sbsum > 0, diff / sbsum, np.where(diff > 0, np.inf, 0.0))
            worst = float(rel.max()) if rel.size else 0.0
            worst2 = float(rel2.max()) if rel2.size else 0.0
            lens = np.diff(offsets).tolist()
            log(f"    {stem}: {len(idx)} indices, bag lengths {lens}, weighted={int(weighted)}; "
                f"bitwise == fbgemm emulation: {ne == 0}; "
                f"max |torch - naive| / sum|terms| = {worst:.3e}; "
                f"/ sum(|w*scale*q| + |w*bias|) = {worst2:.3e}; max abs diff = {float(diff.max()):.3e}")
            st.setdefault("bag_rel", []).append((f"{fmt}/{stem}", worst))


def gen_gguf(fmt: str) -> None:
    qt = {"q8_0": QT.Q8_0, "q4_0": QT.Q4_0}[fmt]
    st = SUMMARY.setdefault(fmt, {"cases": 0, "elements": 0, "quant_mismatch": 0, "deq_mismatch": 0})
    log(f"== {fmt}")
    for case, kinds, dim in GGUF_CASES[fmt]:
        x = make_table(fmt, kinds, dim, seed_of(fmt, case))
        rows = x.shape[0]
        q = gq.quantize(x, qt)
        deq = gq.dequantize(q, qt).astype(F32)
        assert q.dtype == np.uint8 and deq.shape == x.shape
        wfile(fmt, f"{case}.input.f32", le_f32(x))
        wfile(fmt, f"{case}.q", q.tobytes())
        wfile(fmt, f"{case}.deq.f32", le_f32(deq))
        MANIFEST.append(f"table {fmt} {case} {rows} {dim}")
        st["cases"] += 1
        st["elements"] += rows * dim
        log(f"  {case} ({rows}x{dim}: {', '.join(kinds)})")
        TIES[0] = 0
        mine_q = my_q8_0_quant(x) if fmt == "q8_0" else my_q4_0_quant(x)
        nq = int((mine_q != q).sum())
        st["quant_mismatch"] += nq
        st["tie_elements"] = st.get("tie_elements", 0) + TIES[0]
        if TIES[0]:
            log(f"    {TIES[0]} elements quantized from an exact rounding tie")
        if nq:
            log(f"    QUANTIZER MISMATCH: {nq} bytes differ from my re-implementation")
        mine = decode_q8_0(q, dim) if fmt == "q8_0" else decode_q4_0(q, dim)
        st["deq_mismatch"] += describe_mismatch("decode vs gguf.dequantize", deq, mine)


def random_kblocks(fmt: str, case: str, rows: int, dim: int) -> np.ndarray:
    rng = np.random.default_rng(seed_of(fmt, case))
    bs = 144 if fmt == "q4_k" else 210
    nblk = dim // 256
    q = rng.integers(0, 256, size=(rows, nblk * bs), dtype=np.uint8)
    edge = case.startswith("edge")
    # moderate finite f16 values for d / dmin
    specials = [0.0, -0.0, 2.0 ** -24, -(2.0 ** -20), 6.1e-5, 1.0, -1.0, 0.5]
    k = 0
    for r in range(rows):
        for b in range(nblk):
            base = b * bs
            fields = [0, 2] if fmt == "q4_k" else [208]
            for off in fields:
                if edge:
                    v = specials[k % len(specials)]
                    k += 1
                else:
                    v = float(rng.choice([-1.0, 1.0]) * 2.0 ** rng.uniform(-10, -1))
                h = f32_to_f16_bits(F32(v)).reshape(1).view(np.uint8)
                assert np.isfinite(f16_to_f32(h.view("<u2"))[0])
                q[r, base + off:base + off + 2] = h
    return q


def gen_kquant(fmt: str) -> None:
    qt = {"q4_k": QT.Q4_K, "q6_k": QT.Q6_K}[fmt]
    st = SUMMARY.setdefault(fmt, {"cases": 0, "elements": 0, "deq_mismatch": 0})
    log(f"== {fmt}")
    for case, rows, dim in KQUANT_CASES[fmt]:
        q = random_kblocks(fmt, case, rows, dim)
        deq = gq.dequantize(q, qt).astype(F32)
        assert deq.shape == (rows, dim) and np.all(np.isfinite(deq))
        wfile(fmt, f"{case}.q", q.tobytes())
        wfile(fmt, f"{case}.deq.f32", le_f32(deq))
        MANIFEST.append(f"table {fmt} {case} {rows} {dim}")
        st["cases"] += 1
        st["elements"] += rows * dim
        log(f"  {case} ({rows}x{dim})")
        mine = decode_kquant(q, fmt, dim)
        st["deq_mismatch"] += describe_mismatch("ggml-C-order decode vs gguf.dequantize", deq, mine)


def sensitivity() -> None:
    """How many reference bytes / values plausible WRONG rules would get wrong:
    shows the data discriminates the exact rules (0 here would mean untested)."""
    log("== sensitivity: bytes/values a plausible wrong rule gets wrong on this data")
    variants = {
        "rowwise8": ["no_eps", "inv_of_scale", "half_away", "f64_math"],
        "rowwise4": ["f32_min", "f32_scale_inverse", "half_away", "f64_math"],
        "rowwise2": ["f32_min", "f32_scale_inverse", "half_away", "f64_math"],
        "q8_0": ["half_even", "inverse_of_f16_d", "divide", "f64_math"],
        "q4_0": ["abs_max", "last_max", "rint_plus_8", "f64_math"],
    }
    for fmt, vs in variants.items():
        for v in vs:
            n = 0
            for fn in [c[0] for c in (ROWWISE_CASES.get(fmt) or GGUF_CASES[fmt])]:
                x = np.fromfile(os.path.join(HERE, fmt, f"{fn}.input.f32"), dtype="<f4")
                q = np.fromfile(os.path.join(HERE, fmt, f"{fn}.q"), dtype=np.uint8)
                dim = [c[2] for c in (ROWWISE_CASES.get(fmt) or GGUF_CASES[fmt]) if c[0] == fn][0]
                x = x.reshape(-1, dim)
                if fmt == "rowwise8":
                    mine = my_rowwise8_quant(x, v)
                elif fmt in ("rowwise4", "rowwise2"):
                    mine = my_rowwisen_quant(x, 4 if fmt == "rowwise4" else 2, v)
                elif fmt == "q8_0":
                    mine = my_q8_0_quant(x, v)
                else:
                    mine = my_q4_0_quant(x, v)
                n += int((mine.reshape(-1) != q).sum())
            log(f"  {fmt} quantizer variant {v!r}: {n} bytes differ")
    # dequantizer variants
    for fmt in ("rowwise8",):
        n = tot = 0
        for case, _, dim in ROWWISE_CASES[fmt]:
            q = np.fromfile(os.path.join(HERE, fmt, f"{case}.q"), dtype=np.uint8).reshape(-1, dim + 8)
            ref = np.fromfile(os.path.join(HERE, fmt, f"{case}.deq.f32"), dtype="<f4").reshape(-1, dim)
            n += int((~same_bits(ref, decode_rowwise(q, fmt, dim)["muladd"])).sum())
            tot += ref.size
        log(f"  rowwise8 decode as f32(f32(scale*q)+bias) instead of fma: {n} of {tot} values differ")
    for fmt, bs in (("q4_k", 144), ("q6_k", 210)):
        n = tot = 0
        for case, rows, dim in KQUANT_CASES[fmt]:
            q = np.fromfile(os.path.join(HERE, fmt, f"{case}.q"), dtype=np.uint8).reshape(rows, -1)
            ref = np.fromfile(os.path.join(HERE, fmt, f"{case}.deq.f32"), dtype="<f4").reshape(rows, dim)
            alt = np.zeros_like(ref)
            for r in range(rows):
                for b in range(dim // 256):
                    alt[r, b * 256:(b + 1) * 256] = (decode_q4_k_block_fma if fmt == "q4_k"
                                                     else decode_q6_k_block_reassoc)(q[r, b * bs:(b + 1) * bs])
            n += int((~same_bits(ref, alt)).sum())
            tot += ref.size
        what = ("fma(d1, q, -m1) (FMA-contracted C)" if fmt == "q4_k" else "d * (sc * q) (reassociated)")
        log(f"  {fmt} decode as {what}: {n} of {tot} values differ "
            f"(0 by construction: every product of f16 d, 6/8-bit scale and 4/6-bit code is exact in f32)")


def decode_q4_k_block_fma(blk: np.ndarray) -> np.ndarray:
    d = f16_to_f32(blk[0:2].view("<u2"))[0]
    mn = f16_to_f32(blk[2:4].view("<u2"))[0]
    scales = [int(v) for v in blk[4:16]]
    q = blk[16:144]
    y = []
    for j in range(4):
        for half in range(2):
            sc, m = get_scale_min_k4(2 * j + half, scales)
            d1, m1 = F32(d * F32(sc)), F32(mn * F32(m))
            for l in range(32):
                v = int(q[j * 32 + l])
                v = (v & 0xF) if half == 0 else (v >> 4)
                y.append(fma32(d1, F32(v), -m1))
    return np.array(y, dtype=F32)


def decode_q6_k_block_reassoc(blk: np.ndarray) -> np.ndarray:
    ref = decode_q6_k_block(blk)  # reuse the index math, redo the products
    d = f16_to_f32(blk[208:210].view("<u2"))[0]
    sc_all = blk[192:208].view(np.int8)
    out = np.zeros(256, dtype=F32)
    for e in range(256):
        sc = F32(sc_all[e // 16])
        dsc = F32(d * sc)
        q = F32(round(float(ref[e]) / float(dsc))) if dsc != 0 else None
        if q is None:
            out[e] = ref[e]
        else:
            out[e] = F32(d * F32(sc * q))
    return out


def nan_cases() -> None:
    """Which inputs PyTorch turns into NaN rows (kept OUT of the data)."""
    log("== rows PyTorch turns into NaN (not in the data; the crate rejects them)")
    trials = {
        "rowwise8": [[-3e38, 3e38], [0.0, np.inf], [0.0, np.nan]],
        "rowwise4": [[0.0, 1e6], [0.0, 982000.0], [0.0, 983000.0], [-1e5, 0.0], [-65504.0, 0.0],
                     [0.0, np.inf], [0.0, np.nan]],
        "rowwise2": [[0.0, 2e5], [0.0, 196000.0], [0.0, 197000.0], [-1e5, 0.0], [0.0, np.inf]],
    }
    for fmt, rows_ in trials.items():
        prepack, unpack, _ = (torch_op(n) for n in OPS[fmt])
        for r in rows_:
            k = 8 // {"rowwise8": 8, "rowwise4": 4, "rowwise2": 2}[fmt]
            row = np.array((r * k)[:max(k, 2)] if fmt != "rowwise8" else r, dtype=F32)
            p = prepack(torch.from_numpy(row[None, :].copy()))
            d = unpack(p).numpy()[0]
            log(f"  {fmt} {list(map(float, row))} -> unpack {list(map(float, d))}"
                f"{'   NaN ROW' if np.isnan(d).any() else ''}")


def main() -> None:
    for fmt in list(ROWWISE_CASES) + list(GGUF_CASES) + list(KQUANT_CASES):
        d = os.path.join(HERE, fmt)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if f.endswith((".f32", ".q", ".bin")):
                os.remove(os.path.join(d, f))
    log(f"torch {torch.__version__} (git {torch.version.git_version}), numpy {np.__version__}, "
        f"gguf {getattr(gguf, '__version__', None) or _dist_version('gguf')}, "
        f"python {sys.version.split()[0]}, torch CPU capability {torch.backends.cpu.get_cpu_capability()}")
    for fmt in ROWWISE_CASES:
        gen_rowwise(fmt)
    for fmt in GGUF_CASES:
        gen_gguf(fmt)
    for fmt in KQUANT_CASES:
        gen_kquant(fmt)
    sensitivity()
    nan_cases()

    log("== summary")
    for fmt, st in SUMMARY.items():
        s = {k: v for k, v in st.items() if k != "bag_rel"}
        log(f"  {fmt}: {s}")
    total = sum(os.path.getsize(p) for p in WRITTEN)
    log(f"  {len(WRITTEN)} data files, {total} bytes")

    header = """\
# Golden vectors for embedding-kernels (generated by make_golden.py; CI only reads them).
# All files are raw little-endian, no headers.  Paths are tests/data/golden/<format>/<case>.*
#
#   table <format> <case> <rows> <dim>
#     <case>.input.f32   f32[rows*dim]  the input rows (absent for q4_k, q6_k)
#     <case>.q           u8[...]        the reference's quantized rows, row after row
#                          rowwise8: per row dim u8 codes, f32 scale, f32 bias       (dim+8 bytes)
#                          rowwise4/2: per row ceil(dim*b/8) code bytes (element c in byte c/k,
#                                      shift (c%k)*b, k=8/b), f16 scale, f16 bias   (+4 bytes)
#                          q8_0: per 32 values  f16 d, i8 qs[32]                      (34 bytes)
#                          q4_0: per 32 values  f16 d, u8 qs[16] (lo nibble = j, hi = j+16) (18)
#                          q4_k: per 256 values f16 d, f16 dmin, u8 scales[12], u8 qs[128] (144)
#                          q6_k: per 256 values u8 ql[128], u8 qh[64], i8 scales[16], f16 d (210)
#     <case>.deq.f32     f32[rows*dim]  the reference's dequantization of <case>.q
#                          (torch embedding_bag_{byte,4bit,2bit}_unpack / gguf.quants.dequantize)
#     <case>.lookup.f32  f32[rows*dim]  rowwise only: torch embedding_bag_*_rowwise_offsets with
#                          bag r = [r], mode 0 (sum), no per_sample_weights
#
#   bags <format> <case> <stem>
#     <stem>.bin: u32 n_indices, u32 n_bags, u32 weighted (0/1), u32 mode (0 = sum),
#                 i64 indices[n_indices], i64 offsets[n_bags+1] (CSR, last == n_indices),
#                 f32 weights[n_indices] (only if weighted),
#                 f32 out[n_bags*dim] = torch embedding_bag_*_rowwise_offsets(q, indices, offsets,
#                   mode=0, per_sample_weights=weights or None, include_last_offset=True)
#
"""
    with open(os.path.join(HERE, "manifest.txt"), "w") as f:
        f.write(header)
        f.write(f"# made with torch {torch.__version__}, gguf {_dist_version('gguf')}, numpy {np.__version__}\n")
        f.write("\n".join(MANIFEST) + "\n")
    read_back()
    with open(os.path.join(HERE, "verification.txt"), "w") as f:
        f.write("# output of make_golden.py's independent verification\n")
        f.write("\n".join(LOG) + "\n")


def read_back() -> None:
    """Parse manifest.txt exactly as a consumer would and check every file's size
    and the bag files' self-description."""
    row_bytes = {"rowwise8": lambda d: d + 8, "rowwise4": lambda d: (d + 1) // 2 + 4,
                 "rowwise2": lambda d: (d + 3) // 4 + 4, "q8_0": lambda d: d // 32 * 34,
                 "q4_0": lambda d: d // 32 * 18, "q4_k": lambda d: d // 256 * 144,
                 "q6_k": lambda d: d // 256 * 210}
    dims: dict[tuple[str, str], tuple[int, int]] = {}
    n = 0
    for line in open(os.path.join(HERE, "manifest.txt")):
        line = line.split("#", 1)[0].split()
        if not line:
            continue
        n += 1
        p = lambda fmt, f: os.path.join(HERE, fmt, f)  # noqa: E731
        if line[0] == "table":
            fmt, case, rows, dim = line[1], line[2], int(line[3]), int(line[4])
            dims[(fmt, case)] = (rows, dim)
            assert os.path.getsize(p(fmt, f"{case}.q")) == rows * row_bytes[fmt](dim)
            assert os.path.getsize(p(fmt, f"{case}.deq.f32")) == rows * dim * 4
            if fmt not in ("q4_k", "q6_k"):
                assert os.path.getsize(p(fmt, f"{case}.input.f32")) == rows * dim * 4
            if fmt.startswith("rowwise"):
                assert os.path.getsize(p(fmt, f"{case}.lookup.f32")) == rows * dim * 4
        elif line[0] == "bags":
            fmt, case, stem = line[1], line[2], line[3]
            rows, dim = dims[(fmt, case)]
            raw = open(p(fmt, f"{stem}.bin"), "rb").read()
            ni, nb, wt, mode = np.frombuffer(raw[:16], dtype="<u4")
            off = 16
            idx = np.frombuffer(raw[off:off + 8 * ni], dtype="<i8"); off += 8 * ni
            offs = np.frombuffer(raw[off:off + 8 * (nb + 1)], dtype="<i8"); off += 8 * (nb + 1)
            if wt:
                off += 4 * ni
            assert mode == 0 and wt in (0, 1) and len(raw) == off + 4 * nb * dim
            assert offs[0] == 0 and offs[-1] == ni and np.all(np.diff(offs) >= 0)
            assert np.any(np.diff(offs) == 0) and idx.min() >= 0 and idx.max() < rows
        else:
            raise AssertionError(line)
    log(f"== read-back: {n} manifest lines parsed, every file size and bag header consistent")


def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return "?"


if __name__ == "__main__":
    main()
