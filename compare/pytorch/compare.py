#!/usr/bin/env python3
"""PyTorch's CPU embedding ops on embedding-kernels' report cases, same ids.

Setup (Python 3.11; the default PyPI wheels, no GPU or CPU-only index needed):

    pip install torch numpy

Run from anywhere (paths are relative to this file):

    python3 compare/pytorch/compare.py                          # PyTorch only
    python3 compare/pytorch/compare.py --crate --json out.json  # + the crate's report, before and after
    python3 compare/pytorch/compare.py --crate --crate-rev a7b3008  # the report built from a commit

What it measures, single thread (`torch.set_num_threads(1)`), in inference
mode (`torch.inference_mode()`; no autograd bookkeeping):

- gathers: `F.embedding` and `torch.index_select(out=)` for f32 tables
  1000x{4,16,64,256} and 1048576x64, 4096 lookups; f16 -> f32 as
  `F.embedding(...).float()` (the conversion counted) and as
  `index_select(out=f16)` + `copy_` into an f32 output;
- bags: `F.embedding_bag` sum / mean / max and sum with per_sample_weights,
  204 bags of 20 (4080 ids, offsets with include_last_offset=True: the
  crate's offsets) at 1000x64, 100000x64, 1048576x64;
- scatter-add: `Tensor.index_add_(0, ids, grad, alpha=scale)` into
  1000x{4,16,64,256} and 1048576x64 tables, 4096 rows of gradient;
- quantized: `quantized.embedding_bag_byte_rowwise_offsets` and
  `embedding_bag_4bit_rowwise_offsets` on tables made by
  `embedding_bag_byte_prepack` / `embedding_bag_4bit_prepack`, sum, at the
  bag cases 1000x64 and 100000x64, and as gathers (bags of size 1) at
  1000x64, 4096 lookups (plus the deprecated `quantized.embedding_byte`);
- the copy yardstick: `Tensor.copy_` and `np.copyto` of the case's bytes
  between preallocated buffers; ratios are against the faster of the two;
- Python call overhead, on its own line.

Bytes, as examples/report.rs counts them: gathers, the f32 output
(lookups * dim * 4); bags (f32 and quantized alike), the f32 rows read
(ids * dim * 4); scatter-add, the f32 gradient (rows * dim * 4). The copy
yardstick copies that many bytes.

Ids: the report's xorshift64 id sets, bit for bit (see `report_ids`).

Method: each case times all its variants (the copies included) interleaved
round by round (the order rotated each round), ~2 ms of calls per variant
per round, 21 rounds, and takes each variant's median; ratios are taken within the case. Timer:
`time.perf_counter_ns`. The Python loop around each call is included in
every number (the overhead line shows how much it is).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    raise SystemExit(f"{e}: pip install torch numpy") from e

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # already set by an earlier import
    pass

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

LOOKUPS = 4096
BAG = 20
N_BAGS = LOOKUPS // BAG  # 204 bags, 4080 ids
SEED = 0x9E37_79B9_7F4A_7C15  # examples/report.rs and compare/examples/table.rs
OWN_SEED = 0x2545_F491_4F6C_DD1D  # cases neither Rust program has
SCALE = 1e-6  # report.rs's scatter-add scale
BIG = 1 << 20  # the report's 256 MB tables: 1048576 x 64 f32


# --------------------------------------------------------------------------
# Ids: the report's xorshift64, bit for bit
# --------------------------------------------------------------------------

MASK = (1 << 64) - 1


class Rng:
    """examples/report.rs's `Rng` (xorshift64 13/7/17); `ids` is `rng.ids`."""

    def __init__(self, state: int):
        self.state = state

    def ids(self, n: int, rows: int) -> np.ndarray:
        x, out = self.state, [0] * n
        for i in range(n):
            x ^= (x << 13) & MASK
            x ^= x >> 7
            x ^= (x << 17) & MASK
            out[i] = x % rows
        self.state = x
        return np.array(out, dtype=np.uint32)

    def skip(self, n: int) -> None:
        """Advances `n` steps (the report's `zipf_ids` also takes one step per id)."""
        x = self.state
        for _ in range(n):
            x ^= (x << 13) & MASK
            x ^= x >> 7
            x ^= (x << 17) & MASK
        self.state = x


def report_ids() -> dict[str, list[np.ndarray]]:
    """The id sets of `cargo run --release --example report` run WITHOUT
    arguments (examples/report.rs at a7b3008, unchanged at 2c96841): one Rng, consumed case by
    case in main()'s order. A group argument (`report bags`) skips groups
    and so shifts every later case's ids; the case filter (2nd argument)
    does not. Keep this in step with report.rs's main()."""
    rng = Rng(SEED)

    def sets(n, rows, k):
        return [rng.ids(n, rows) for _ in range(k)]

    ids = {}
    # gather group
    ids["gather f32 1000x64"] = sets(LOOKUPS, 1000, 1)
    ids["gather f32 1000x16"] = sets(LOOKUPS, 1000, 1)
    ids["gather f32 1000x4"] = sets(LOOKUPS, 1000, 1)
    ids["gather f16 1000x64"] = sets(LOOKUPS, 1000, 1)
    ids[f"gather f32 {BIG}x64"] = sets(LOOKUPS, BIG, 256)
    # scatter group
    ids["scatter 1000x64"] = sets(LOOKUPS, 1000, 1)
    ids["scatter 1000x4"] = sets(LOOKUPS, 1000, 1)
    ids[f"scatter {BIG}x64"] = sets(LOOKUPS, BIG, 256)
    # experiment group: power-law 1000 (1 set), 100000 (16 sets), uniform 1M (256 sets)
    rng.skip(LOOKUPS * (1 + 16 + 256))
    # bags group: 16 sets at 100000 rows, 256 above 100000
    ids["bags 100000x64"] = sets(N_BAGS * BAG, 100_000, 16)
    ids[f"bags {BIG}x64"] = sets(N_BAGS * BAG, BIG, 256)
    # The same Rng in Rust, replaying report.rs's main(): the last case's
    # first ids and the sum of all its ids.
    last = ids[f"bags {BIG}x64"]
    assert last[0][:4].tolist() == [753030, 76541, 391144, 886279], "replay differs from Rust"
    assert sum(int(s.sum(dtype=np.uint64)) for s in last) == 547341885873, "replay differs"
    return ids


def table_rs_ids() -> dict[str, list[np.ndarray]]:
    """compare/examples/table.rs's ids for the cases the report lacks: its
    gathers run dims 4, 16, 64, 256 first, so 1000x256 is its 4th set."""
    rng = Rng(SEED)
    rng.skip(3 * LOOKUPS)
    return {"gather f32 1000x256": [rng.ids(LOOKUPS, 1000)]}


def own_ids() -> dict[str, list[np.ndarray]]:
    """Cases neither Rust program has: their own Rng, in this order."""
    rng = Rng(OWN_SEED)
    return {
        "scatter 1000x16": [rng.ids(LOOKUPS, 1000)],
        "scatter 1000x256": [rng.ids(LOOKUPS, 1000)],
        "bags 1000x64": [rng.ids(N_BAGS * BAG, 1000)],
    }


def check_rng() -> None:
    """Ids printed by the report's Rng in Rust (first ids of the first case)."""
    got = Rng(SEED).ids(4, 1000).tolist()
    assert got == [989, 574, 30, 260], f"xorshift64 differs from report.rs: {got}"


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------


class Variant:
    """One way of doing the case's work: `fn(*args)` per call, `args`
    cycling over the id sets (shared turn within the case, as in report.rs:
    consecutive calls, whichever variant makes them, use the next set)."""

    def __init__(self, name, fn, argsets, out, check=None):
        self.name, self.fn, self.argsets, self.out, self.check = name, fn, argsets, out, check
        self.us = self.rounds = None


def runner(v: Variant, turn: list):
    fn, argsets = v.fn, v.argsets
    if len(argsets) == 1:
        a = argsets[0]

        def run(reps):
            for _ in range(reps):
                fn(*a)
    else:
        n = len(argsets)

        def run(reps):
            s = turn[0]
            for _ in range(reps):
                fn(*argsets[s])
                s += 1
                if s == n:
                    s = 0
            turn[0] = s
    return run


def measure(variants: list[Variant], rounds: int, round_ns: float) -> None:
    """Interleaved rounds, median per variant; sets v.us and v.rounds (µs)."""
    turn = [0]
    runs = [runner(v, turn) for v in variants]
    reps = []
    for run in runs:
        run(3)  # warm up
        k = 1
        while True:
            t = time.perf_counter_ns()
            run(k)
            dt = time.perf_counter_ns() - t
            if dt > 200_000 or k >= 1 << 16:
                break
            k *= 2
        reps.append(max(1, min(100_000, int(round_ns * k / max(dt, 1)))))
    times = [[] for _ in variants]
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            # Each round starts one variant later: no variant always runs
            # right after the copies (which evict part of the cache).
            for j in range(len(runs)):
                k = (r + j) % len(runs)
                run = runs[k]
                t = time.perf_counter_ns()
                run(reps[k])
                times[k].append((time.perf_counter_ns() - t) / reps[k] / 1e3)
    finally:
        gc.enable()
    for v, t in zip(variants, times):
        v.rounds = t
        v.us = statistics.median(t)


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

COPY_TORCH = "copy: Tensor.copy_"
COPY_NUMPY = "copy: np.copyto"


class Case:
    def __init__(self, key, title, nbytes, ids_from):
        self.key, self.title, self.nbytes, self.ids_from = key, title, nbytes, ids_from
        self.variants: list[Variant] = []
        self.copy_us = None

    def add(self, *a, **k):
        self.variants.append(Variant(*a, **k))

    def add_copies(self):
        # One source and one destination for both copies, as in report.rs.
        n = self.nbytes // 4
        src, dst = torch.ones(n), torch.zeros(n)
        nsrc, ndst = src.numpy(), dst.numpy()
        self.add(COPY_TORCH, dst.copy_, [(src,)], "yes (preallocated dst)")
        self.add(COPY_NUMPY, np.copyto, [(ndst, nsrc)], "yes (preallocated dst)")


def tensors(id_sets, dtype):
    return [torch.from_numpy(i.astype(np.int64)).to(dtype) for i in id_sets]


def arange_f32(n):
    """`v as f32` for v in 0..n (round to nearest, as Rust's cast)."""
    return np.arange(n, dtype=np.int64).astype(np.float32)


def gather_case(key, ids_from, id_sets, rows, dim, values, idt):
    table = torch.from_numpy(values.reshape(rows, dim))
    ids = tensors(id_sets, idt)
    mb = rows * dim * 4 >> 20
    c = Case(key, f"gather f32, {rows}×{dim} ({mb} MB table), {LOOKUPS} lookups",
             LOOKUPS * dim * 4, ids_from)
    c.add_copies()
    want = torch.from_numpy(values.reshape(rows, dim)[id_sets[0]])
    out = torch.empty(LOOKUPS, dim)
    c.add("F.embedding", F.embedding, [(i, table) for i in ids], "no (allocates)",
          check=lambda: torch.equal(F.embedding(ids[0], table), want))
    c.add("torch.index_select(out=)",
          lambda i: torch.index_select(table, 0, i, out=out), [(i,) for i in ids], "yes",
          check=lambda: torch.equal(torch.index_select(table, 0, ids[0], out=out), want))
    if rows == 1000 and dim == 64:
        # The only way to give embedding an out=: the generated aten overload.
        c.add("aten.embedding.out", lambda i: torch.ops.aten.embedding.out(table, i, out=out),
              [(i,) for i in ids], "yes, but generated: allocates, then copies",
              check=lambda: torch.equal(torch.ops.aten.embedding.out(table, ids[0], out=out), want))
    return c


def gather_f16_case(key, ids_from, id_sets, rows, dim, idt):
    v16 = (arange_f32(rows * dim) / np.float32(9.0)).astype(np.float16)  # report.rs: v / 9
    table = torch.from_numpy(v16.reshape(rows, dim))
    ids = tensors(id_sets, idt)
    c = Case(key, f"gather f16→f32, {rows}×{dim}, {LOOKUPS} lookups", LOOKUPS * dim * 4, ids_from)
    c.add_copies()
    want = torch.from_numpy(v16.reshape(rows, dim)[id_sets[0]].astype(np.float32))
    o16, o32 = torch.empty(LOOKUPS, dim, dtype=torch.float16), torch.empty(LOOKUPS, dim)

    def two_pass(i):
        torch.index_select(table, 0, i, out=o16)
        return o32.copy_(o16)

    c.add("F.embedding(...).float()", lambda i: F.embedding(i, table).float(),
          [(i,) for i in ids], "no (allocates f16, then f32)",
          check=lambda: torch.equal(F.embedding(ids[0], table).float(), want))
    c.add("index_select(out=f16) + copy_(f32)", two_pass, [(i,) for i in ids],
          "yes (f16 scratch, f32 out)", check=lambda: torch.equal(two_pass(ids[0]), want))
    return c


def scatter_case(key, ids_from, id_sets, rows, dim, idt):
    ids = tensors(id_sets, idt)
    start = (np.arange(rows * dim, dtype=np.int64) % 5).astype(np.float32).reshape(rows, dim)
    grad_np = (np.arange(LOOKUPS * dim, dtype=np.int64) % 7).astype(np.float32).reshape(LOOKUPS, dim)
    grad = torch.from_numpy(grad_np)
    mb = rows * dim * 4 >> 20
    c = Case(key, f"scatter-add f32, {rows}×{dim} ({mb} MB table), {LOOKUPS} rows (bytes: gradient)",
             LOOKUPS * dim * 4, ids_from)
    c.add_copies()

    def check():  # exact: small integers, scale 1/1024
        ref = start.copy()
        np.add.at(ref, id_sets[0].astype(np.int64), grad_np * np.float32(1 / 1024))
        t = torch.from_numpy(start.copy())
        t.index_add_(0, ids[0], grad, alpha=1 / 1024)
        return torch.equal(t, torch.from_numpy(ref))

    table = torch.from_numpy(start.copy())
    c.add("Tensor.index_add_(alpha=)",
          lambda i: table.index_add_(0, i, grad, alpha=SCALE), [(i,) for i in ids],
          "in place (the table)", check=check)
    return c


def bags_case(key, ids_from, id_sets, rows, dim, idt):
    n = N_BAGS * BAG
    values = (np.arange(rows * dim, dtype=np.int64) % 13).astype(np.float32).reshape(rows, dim)
    table = torch.from_numpy(values)
    ids = tensors(id_sets, idt)
    offsets = torch.arange(0, n + 1, BAG, dtype=torch.int64).to(idt)  # the crate's offsets
    # Per-sample weights: (i % 7 + 1) / 4, exact in f32 (so are the sums).
    wnp = ((np.arange(n) % 7 + 1) / 4).astype(np.float32)
    w = torch.from_numpy(wnp)
    c = Case(key, f"bags: {N_BAGS} bags of {BAG}, {rows}×{dim} (bytes: rows read)",
             n * dim * 4, ids_from)
    c.add_copies()
    rows0 = values[id_sets[0].astype(np.int64)].reshape(N_BAGS, BAG, dim)
    want = {"sum": rows0.sum(1), "mean": rows0.mean(1), "max": rows0.max(1),
            "wsum": (rows0 * wnp.reshape(N_BAGS, BAG, 1)).sum(1)}

    def eb(mode, psw=None):
        def f(i):
            return F.embedding_bag(i, table, offsets, mode=mode, per_sample_weights=psw,
                                   include_last_offset=True)
        return f

    for name, mode, psw, ref in [
        ("F.embedding_bag sum", "sum", None, "sum"),
        ("F.embedding_bag sum, per_sample_weights", "sum", w, "wsum"),
        ("F.embedding_bag mean", "mean", None, "mean"),
        ("F.embedding_bag max", "max", None, "max"),
    ]:
        f = eb(mode, psw)
        exact = ref != "mean"
        c.add(name, f, [(i,) for i in ids], "no (allocates)",
              check=lambda f=f, ref=ref, exact=exact: np.allclose(
                  f(ids[0]).numpy(), want[ref], rtol=0 if exact else 1e-6, atol=0))
    # The generated out= overload of the op F.embedding_bag reaches in inference.
    full = torch.ops.aten._embedding_bag_forward_only(table, ids[0], offsets, False, 0, False, None, True)
    outs = [torch.empty_like(x) for x in full]
    ebo = torch.ops.aten._embedding_bag_forward_only.out

    def eb_out(i):
        return ebo(table, i, offsets, False, 0, False, None, True,
                   out0=outs[0], out1=outs[1], out2=outs[2], out3=outs[3])[0]

    c.add("aten._embedding_bag_forward_only.out, sum", eb_out, [(i,) for i in ids],
          "yes, but generated: allocates, then copies",
          check=lambda: np.array_equal(eb_out(ids[0]).numpy(), want["sum"]))
    return c


def quantized_bags_case(key, ids_from, id_sets, rows, dim, idt):
    """A case of its own: the quantized tables are other memory than the
    f32 table, and at 100000 rows the rows a case touches (about 12 MB)
    only stay in L3 while nothing else runs in between."""
    n = N_BAGS * BAG
    values = (np.arange(rows * dim, dtype=np.int64) % 13).astype(np.float32).reshape(rows, dim)
    ids = tensors(id_sets, idt)
    offsets = torch.arange(0, n + 1, BAG, dtype=torch.int64).to(idt)
    c = Case(key, f"quantized bags: {N_BAGS} bags of {BAG}, {rows}×{dim} "
             "(bytes: f32 rows read)", n * dim * 4, ids_from)
    c.add_copies()
    want = values[id_sets[0].astype(np.int64)].reshape(N_BAGS, BAG, dim).sum(1)
    add_quantized(c, torch.from_numpy(values), ids, offsets, want, BAG, values)
    return c


def add_quantized(c, table, ids, offsets, want_sum, bag, values):
    q8 = torch.ops.quantized.embedding_bag_byte_prepack(table)
    q4 = torch.ops.quantized.embedding_bag_4bit_prepack(table)
    op8 = torch.ops.quantized.embedding_bag_byte_rowwise_offsets
    op4 = torch.ops.quantized.embedding_bag_4bit_rowwise_offsets
    rng = float(values.max() - values.min())
    for name, op, q, levels in [
        ("quantized.embedding_bag_byte_rowwise_offsets, sum", op8, q8, 255),
        ("quantized.embedding_bag_4bit_rowwise_offsets, sum", op4, q4, 15),
    ]:
        # (weight, indices, offsets, scale_grad_by_freq, mode=0 sum, pruned,
        #  per_sample_weights, compressed_indices_mapping, include_last_offset)
        def f(i, op=op, q=q):
            return op(q, i, offsets, False, 0, False, None, None, True)

        # Each row's values are off by at most half a step (fp16 scale/bias
        # in the 4-bit format: a little more).
        tol = bag * rng / levels * 0.6 + 1e-3
        c.add(name, f, [(i,) for i in ids], "no (allocates)",
              check=lambda f=f, tol=tol: float(np.abs(f(ids[0]).numpy() - want_sum).max()) <= tol)


def quantized_gather_case(key, ids_from, id_sets, rows, dim, idt):
    """Bags of size 1: offsets 0..=4096."""
    values = (np.arange(rows * dim, dtype=np.int64) % 13).astype(np.float32).reshape(rows, dim)
    table = torch.from_numpy(values)
    ids = tensors(id_sets, idt)
    offsets = torch.arange(0, LOOKUPS + 1, dtype=torch.int64).to(idt)
    c = Case(key, f"quantized gather (bags of 1), {rows}×{dim}, {LOOKUPS} lookups",
             LOOKUPS * dim * 4, ids_from)
    c.add_copies()
    want = values[id_sets[0].astype(np.int64)]
    c.add("F.embedding (f32 table, for reference)", F.embedding,
          [(i, table) for i in ids], "no (allocates)",
          check=lambda: np.array_equal(F.embedding(ids[0], table).numpy(), want))
    add_quantized(c, table, ids, offsets, want, 1, values)
    # The deprecated quantized-tensor path: quint8 per-row float qparams, packed.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from torch.ao.nn.quantized import Embedding
            from torch.ao.quantization import PerChannelMinMaxObserver

            obs = PerChannelMinMaxObserver(dtype=torch.quint8, ch_axis=0,
                                           qscheme=torch.per_channel_affine_float_qparams)
            obs(table)
            s, z = obs.calculate_qparams()
            m = Embedding(rows, dim)
            m.set_weight(torch.quantize_per_channel(table, s.float(), z.float(), 0, torch.quint8))
            packed = m._packed_params._packed_weight
        op = torch.ops.quantized.embedding_byte
        tol = float(values.max() - values.min()) / 255 * 0.6 + 1e-3
        c.add("quantized.embedding_byte (deprecated quint8 tensors)", op,
              [(packed, i) for i in ids], "no (allocates)",
              check=lambda: float(np.abs(op(packed, ids[0]).numpy() - want).max()) <= tol)
    except Exception as e:  # noqa: BLE001 - an optional, deprecated path
        print(f"note: quantized.embedding_byte skipped: {e!r}", file=sys.stderr)
    return c


def build_cases(idt, only):
    """(key, thunk) in run order; ids are computed for all cases regardless
    of `only`, so a filtered run times the same ids."""
    rep, tab, own = report_ids(), table_rs_ids(), own_ids()
    cases = []
    for dim in (4, 16, 64):
        k = f"gather f32 1000x{dim}"
        cases.append((k, lambda k=k, dim=dim: gather_case(
            k, "report", rep[k], 1000, dim, arange_f32(1000 * dim), idt)))
    k = "gather f32 1000x256"  # table.rs: v % 1021
    cases.append((k, lambda k=k: gather_case(
        k, "table.rs", tab[k], 1000, 256,
        (np.arange(1000 * 256, dtype=np.int64) % 1021).astype(np.float32), idt)))
    k = "gather f16 1000x64"
    cases.append((k, lambda k=k: gather_f16_case(k, "report", rep[k], 1000, 64, idt)))
    k = f"gather f32 {BIG}x64"
    cases.append((k, lambda k=k: gather_case(k, "report", rep[k], BIG, 64, arange_f32(BIG * 64), idt)))
    for dim in (4, 16, 64, 256):
        k = f"scatter 1000x{dim}"
        src = "report" if k in rep else "own"
        cases.append((k, lambda k=k, dim=dim, src=src: scatter_case(
            k, src, (rep if src == "report" else own)[k], 1000, dim, idt)))
    k = f"scatter {BIG}x64"
    cases.append((k, lambda k=k: scatter_case(k, "report", rep[k], BIG, 64, idt)))
    k = "bags 1000x64"
    cases.append((k, lambda k=k: bags_case(k, "own", own[k], 1000, 64, idt)))
    cases.append(("quantized bags 1000x64", lambda k=k: quantized_bags_case(
        "quantized bags 1000x64", "own (bags 1000x64)", own[k], 1000, 64, idt)))
    k = "bags 100000x64"
    cases.append((k, lambda k=k: bags_case(k, "report", rep[k], 100_000, 64, idt)))
    cases.append(("quantized bags 100000x64", lambda k=k: quantized_bags_case(
        "quantized bags 100000x64", "report (bags 100000x64)", rep[k], 100_000, 64, idt)))
    k = f"bags {BIG}x64"
    cases.append((k, lambda k=k: bags_case(k, "report", rep[k], BIG, 64, idt)))
    k = "quantized gather 1000x64"  # the ids of the report's gather 1000x64
    cases.append((k, lambda k=k: quantized_gather_case(
        k, "report (gather 1000x64)", rep["gather f32 1000x64"], 1000, 64, idt)))
    return [(k, f) for k, f in cases if not only or only in k]


def overhead(idt, rounds, round_ns):
    """Python + dispatcher cost of trivial calls, through the same loop."""
    t1 = torch.ones(1, 1)
    i1 = torch.zeros(1, dtype=idt)
    o1, s1 = torch.empty(1, 1), torch.ones(1, 1)
    a1, b1 = np.zeros(1, np.float32), np.ones(1, np.float32)
    vs = [
        Variant("empty Python function", lambda: None, [()], ""),
        Variant("torch.empty(0)", torch.empty, [(0,)], ""),
        Variant("F.embedding, 1 lookup, dim 1", F.embedding, [(i1, t1)], ""),
        Variant("torch.index_select(out=), 1 lookup, dim 1",
                lambda: torch.index_select(t1, 0, i1, out=o1), [()], ""),
        Variant("Tensor.copy_, 4 bytes", o1.copy_, [(s1,)], ""),
        Variant("np.copyto, 4 bytes", np.copyto, [(a1, b1)], ""),
    ]
    measure(vs, rounds, round_ns)
    return {v.name: v.us for v in vs}


# --------------------------------------------------------------------------
# The crate's report
# --------------------------------------------------------------------------


def parse_report(text: str) -> dict[str, dict]:
    """The crate's numbers from `cargo run --release --example report`.

    Expected format (examples/report.rs at a7b3008 and 2c96841, for people): a case
    title at column 0, then one line per variant indented by two spaces:

        gather f32, 1000x64 (0 MB table), 4096 lookups
          memcpy            57.67 GB/s    18.18 us   x copy    1.00   x naive    0.89
          ...
          dispatched        75.58 GB/s    13.87 us   x copy    1.31   x naive    1.17

    Titles used (others are ignored): `gather f32, RxD ...`,
    `gather f16->f32, RxD, ...`, `scatter-add f32, RxD ...`,
    `bags: sums of B bags of 20, RxD ...`, and for the row-wise 8- and
    4-bit tables `bags rowwise8: sums of B bags of 20, RxD ...` and
    `gather rowwise8 -> f32, RxD ...` (keys "quantized bags RxD rowwise8",
    "quantized gather RxD rowwise4"). The crate's number is the
    variant `dispatched`. Returns {case key: {us, gbs, x_copy, title}} with
    the keys of this script's cases ("gather f32 1000x64", "bags 100000x64").

    When report.rs gains its machine-readable mode, adapt this function
    only: it is the single place that knows the report's format.
    """
    titles = [
        (r"gather f32, (\d+)[x×](\d+)\b", "gather f32 {}x{}"),
        (r"gather f16(?:->|→)f32, (\d+)[x×](\d+)\b", "gather f16 {}x{}"),
        (r"scatter-add f32, (\d+)[x×](\d+)\b", "scatter {}x{}"),
        (rf"bags: sums of \d+ bags of {BAG}, (\d+)[x×](\d+)\b", "bags {}x{}"),
        (rf"bags (rowwise[84]): sums of \d+ bags of {BAG}, (\d+)[x×](\d+)\b",
         "quantized bags {1}x{2} {0}"),
        (r"gather (rowwise[84]) (?:->|→) f32, (\d+)[x×](\d+)\b", "quantized gather {1}x{2} {0}"),
    ]
    line = re.compile(r"^\s+(\S(?:.*?\S)?)\s+([\d.]+) GB/s\s+([\d.]+) us\s+x copy\s+([\d.]+|-)")
    found, key, title = {}, None, None
    for raw in text.splitlines():
        if raw and not raw[0].isspace():
            key, title = None, raw.strip()
            for pat, fmt in titles:
                m = re.match(pat, title)
                if m:
                    key = fmt.format(*m.groups())
                    break
            continue
        m = line.match(raw)
        if key and m and m.group(1) == "dispatched":
            xc = m.group(4)
            found[key] = {"us": float(m.group(3)), "gbs": float(m.group(2)),
                          "x_copy": None if xc == "-" else float(xc), "title": title}
    return found


def crate_dir_for(rev: str | None) -> Path:
    """The repo itself, or a snapshot of `rev` (git archive) in a temp dir,
    so a half-edited work tree does not matter."""
    if not rev:
        return REPO
    dest = Path(tempfile.mkdtemp(prefix="ek-report-"))
    tar = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev],
                         check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        try:
            t.extractall(dest, filter="data")
        except TypeError:  # Python before 3.11.4: no filter argument
            t.extractall(dest)
    return dest


def run_crate(crate_dir: Path, env: dict) -> dict | None:
    cmd = ["cargo", "run", "--release", "--quiet", "--example", "report"]
    print(f"crate: {' '.join(cmd)}  (in {crate_dir})", file=sys.stderr)
    t = time.time()
    p = subprocess.run(cmd, cwd=crate_dir, env=env, capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        print(f"crate: report failed (exit {p.returncode}); no crate numbers this time.\n"
              f"{p.stderr[-2000:]}\n(try --crate-rev HEAD to build a committed version)",
              file=sys.stderr)
        return None
    found = parse_report(p.stdout)
    print(f"crate: {len(found)} cases parsed in {time.time() - t:.0f} s", file=sys.stderr)
    if not found:
        print("crate: nothing parsed; has the report's format changed? see parse_report()",
              file=sys.stderr)
    return {"stdout": p.stdout, "cases": found}


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def num(x):
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 0.1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"


# The PyTorch variants a crate case is set against (the faster, if several).
MATCHING = {
    "gather f32": ["F.embedding", "torch.index_select(out=)"],
    "gather f16": ["F.embedding(...).float()", "index_select(out=f16) + copy_(f32)"],
    "scatter": ["Tensor.index_add_(alpha=)"],
    "bags": ["F.embedding_bag sum", "aten._embedding_bag_forward_only.out, sum"],
}
# The report's row-wise format of a quantized case -> PyTorch's op on it.
QUANTIZED_MATCHING = {
    "rowwise8": "quantized.embedding_bag_byte_rowwise_offsets, sum",
    "rowwise4": "quantized.embedding_bag_4bit_rowwise_offsets, sum",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="PATH", help="write the raw numbers here")
    ap.add_argument("--crate", action="store_true",
                    help="also run the crate's report (before and after), for crate/PyTorch ratios")
    ap.add_argument("--crate-rev", metavar="REV",
                    help="build the report from this commit (git archive) instead of the work tree")
    ap.add_argument("--only", default="", metavar="SUBSTR", help="cases whose key contains this")
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--round-ms", type=float, default=2.0)
    ap.add_argument("--index-dtype", choices=["int64", "int32"], default="int64",
                    help="PyTorch's id dtype (the crate's ids are u32)")
    args = ap.parse_args()
    assert args.rounds >= 15, "median of at least 15 rounds"
    idt = {"int64": torch.int64, "int32": torch.int32}[args.index_dtype]
    round_ns = args.round_ms * 1e6
    check_rng()
    start = time.time()
    load_start = loadavg()

    crate_runs, cdir, env = [], None, None
    if args.crate:
        cdir = crate_dir_for(args.crate_rev)
        env = dict(os.environ)
        if args.crate_rev and "CARGO_TARGET_DIR" not in env:
            env["CARGO_TARGET_DIR"] = str(Path(tempfile.gettempdir()) / "ek-pytorch-compare-target")
        r = run_crate(cdir, env)
        if r:
            crate_runs.append(r)

    print("ids: replaying the report's xorshift64 ...", file=sys.stderr)
    cases = build_cases(idt, args.only)
    results = []
    with torch.inference_mode():
        ovh = overhead(idt, args.rounds, round_ns)
        for key, make in cases:
            c = make()
            for v in c.variants:
                if v.check is not None and not v.check():
                    raise SystemExit(f"{c.title}: {v.name} gives a wrong result")
            print(f"timing: {c.title}", file=sys.stderr)
            measure(c.variants, args.rounds, round_ns)
            c.copy_us = min(v.us for v in c.variants if v.name.startswith("copy: "))
            results.append(c)
            for v in c.variants:  # free the big tables before the next case
                v.fn = v.argsets = v.check = None
            del c, make
            gc.collect()

    if args.crate and crate_runs:
        r = run_crate(cdir, env)
        if r:
            crate_runs.append(r)
    if args.crate_rev and cdir is not None:
        shutil.rmtree(cdir, ignore_errors=True)  # the snapshot; its target dir stays

    # ---- PyTorch table
    print(f"PyTorch {torch.__version__} (CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}), numpy {np.__version__}, "
          f"Python {platform.python_version()}; torch.set_num_threads(1), inference_mode; "
          f"ids {args.index_dtype}.\n")
    print(f"Machine: {cpu_model()}, {os.cpu_count()} CPUs, load average {load_start} "
          f"at the start, {loadavg()} at the end.\n")
    print(f"Median of {args.rounds} interleaved rounds (~{args.round_ms:g} ms of calls per "
          "variant per round); ratios within each case. × copy is against the faster of "
          "`Tensor.copy_` and `np.copyto` of the same bytes between preallocated buffers. "
          "Bytes: gathers, the f32 output; bags (quantized too), the f32 rows read "
          "(ids·dim·4); scatter-add, the f32 gradient. Every number includes the Python "
          "call (see the overhead line).\n")
    print("Python call overhead (same loop, µs per call): "
          + "; ".join(f"{k} {v:.3f}" for k, v in ovh.items()) + "\n")
    print("| case | ids | PyTorch op | out= | µs per call | GB/s | × copy |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: |")
    for c in results:
        first = True
        for v in c.variants:
            print(f"| {c.title if first else ''} | {c.ids_from if first else ''} | {v.name} | "
                  f"{v.out} | {num(v.us)} | {num(c.nbytes / v.us / 1e3)} | {num(c.copy_us / v.us)} |")
            first = False

    # ---- combined table
    combined = []
    if crate_runs:
        best = {}
        for r in crate_runs:
            for k, x in r["cases"].items():
                if k not in best or x["us"] < best[k]["us"]:
                    best[k] = x
        # Each quantized case holds both formats' PyTorch ops; the report
        # has a case per format.
        pairs = []
        for c in results:
            if c.key.startswith("quantized"):
                for fmt, op in QUANTIZED_MATCHING.items():
                    pairs.append((c, f"{c.key} {fmt}", [op], f"{c.title}, {fmt}"))
            else:
                names = next((n for p, n in MATCHING.items() if c.key.startswith(p)), None)
                pairs.append((c, c.key, names, c.title))
        for c, key, names, title in pairs:
            x = best.get(key)
            pts = [v for v in c.variants if names and v.name in names]
            if not x or not pts:
                continue
            p = min(pts, key=lambda v: v.us)
            px = c.copy_us / p.us
            combined.append({
                "case": title, "key": key, "crate_us": x["us"], "crate_x_copy": x["x_copy"],
                "pytorch_op": p.name, "pytorch_us": p.us, "pytorch_x_copy": px,
                "crate_over_pytorch": p.us / x["us"],
                "crate_over_pytorch_via_copy": (x["x_copy"] / px) if x["x_copy"] else None,
            })
        print(f"\nThe crate's report (`dispatched`), the better of {len(crate_runs)} runs "
              "(before and after the PyTorch timings), beside PyTorch's faster matching op. "
              "crate / pytorch = PyTorch µs ÷ crate µs (> 1: the crate is faster); the "
              "'via × copy' column divides the two × copy ratios instead, each measured "
              "against its own process's copy, which is steadier across the two processes.\n")
        print("| case | crate µs | crate × copy | PyTorch op | PyTorch µs | PyTorch × copy "
              "| crate / pytorch | via × copy |")
        print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
        for r in combined:
            print(f"| {r['case']} | {num(r['crate_us'])} | {num(r['crate_x_copy'])} | "
                  f"{r['pytorch_op']} | {num(r['pytorch_us'])} | {num(r['pytorch_x_copy'])} | "
                  f"{num(r['crate_over_pytorch'])} | {num(r['crate_over_pytorch_via_copy'])} |")
    elif args.crate:
        print("\n(no crate numbers: the report did not run or did not parse; compare "
              "PyTorch's × copy above with the report's `x copy` by hand)")

    print(f"\ntotal {time.time() - start:.0f} s", file=sys.stderr)
    if args.json:
        doc = {
            "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "cpu": cpu_model(), "cpus": os.cpu_count(),
            "loadavg_start": load_start, "loadavg_end": loadavg(),
            "threads": torch.get_num_threads(), "rounds": args.rounds,
            "round_ms": args.round_ms, "index_dtype": args.index_dtype,
            "overhead_us": ovh,
            "cases": [{
                "key": c.key, "title": c.title, "ids": c.ids_from, "bytes": c.nbytes,
                "copy_us": c.copy_us,
                "variants": [{"name": v.name, "out": v.out, "us": v.us,
                              "gbs": c.nbytes / v.us / 1e3, "x_copy": c.copy_us / v.us,
                              "rounds_us": v.rounds} for v in c.variants],
            } for c in results],
            "crate_runs": [r["cases"] for r in crate_runs],
            "crate_stdout": [r["stdout"] for r in crate_runs],
            "combined": combined,
        }
        Path(args.json).write_text(json.dumps(doc, indent=1))
        print(f"wrote {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
