#!/usr/bin/env python3
"""Time verity's kernels beside numpy on the same data, in the same run, and print the ratio.

    python3 benches/compare_numpy.py            # both kernels, default sizes
    python3 benches/compare_numpy.py search     # one kernel

The Rust side (`cargo run --release -p verity-benches --bin kernels`) writes the data it
timed; numpy then does the same work on it (search: one matrix product and a top-L
selection per query; counting: sort per group and searchsorted at each threshold), checks
that the answers agree, and prints verity's time over numpy's. Needs numpy (pip install numpy).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def rust(kernel, folder, *sizes):
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "verity-benches", "--bin", "kernels"], cwd=ROOT, check=True)
    out = subprocess.run([str(ROOT / "target/release/kernels"), kernel, str(folder), *map(str, sizes)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def best_of(runs, f):
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - start)
    return best, result


def search(folder):
    # Shapes from VERITY_SEARCH_SHAPE="queries gallery dim L" (default: the kernel's).
    shape = os.environ.get("VERITY_SEARCH_SHAPE", "").split()
    r = rust("search", folder, *shape)
    dim, l = r["dim"], r["L"]
    g = np.fromfile(folder / "gallery.f32", dtype="<f4").reshape(-1, dim)
    q = np.fromfile(folder / "queries.f32", dtype="<f4").reshape(-1, dim)
    # The limit: OpenBLAS sgemm alone (numpy's matmul), no top-L.
    sgemm_seconds, _ = best_of(5, lambda: q @ g.T)
    r["openblas_sgemm_seconds"] = sgemm_seconds

    def numpy_search():
        s = q @ g.T
        top = np.argpartition(-s, l - 1, axis=1)[:, :l]
        order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)

    seconds, top = best_of(5, numpy_search)
    ours = np.fromfile(folder / "top1.u32", dtype="<u4")
    agree = float(np.mean(ours == top[:, 0]))
    return r, seconds, f"top-1 agreement {agree:.4f} (float ties may differ)"


def counting(folder):
    r = rust("counting", folder)
    scores = np.fromfile(folder / "scores.f32", dtype="<f4").astype(np.float64)
    groups = np.fromfile(folder / "groups.u32", dtype="<u4")
    ts = 0.1 + 0.02 * np.arange(r["thresholds"])

    def numpy_counting():
        out = []
        for gi in range(r["groups"]):
            s = np.sort(scores[groups == gi])
            out.extend((len(s) - np.searchsorted(s, ts, side="left")).tolist())
        return out

    seconds, counts = best_of(5, numpy_counting)
    ours = [int(x) for x in (folder / "counts.txt").read_text().split()]
    return r, seconds, "counts identical" if ours == counts else "COUNTS DIFFER"


def main():
    kernels = sys.argv[1:] or ["search", "counting"]
    for name in kernels:
        with tempfile.TemporaryDirectory() as d:
            r, numpy_seconds, check = {"search": search, "counting": counting}[name](Path(d))
            sizes = {k: v for k, v in r.items() if k not in ("kernel", "seconds")}
            print(f"{name} {sizes}: verity {r['seconds']:.4f} s, numpy {numpy_seconds:.4f} s, "
                  f"ratio verity/numpy {r['seconds'] / numpy_seconds:.2f}; {check}")
            if "openblas_sgemm_seconds" in r:
                print(f"  search with top-L against OpenBLAS sgemm alone ({r['openblas_sgemm_seconds']:.4f} s): "
                      f"ratio {r['seconds'] / r['openblas_sgemm_seconds']:.2f}")


if __name__ == "__main__":
    main()
