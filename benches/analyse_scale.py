#!/usr/bin/env python3
"""`verity analyse` on a large 1:1 score file beside a polars + numpy script, same run.

    python3 benches/analyse_scale.py                 # 10^7 rows, CSV and Parquet
    python3 benches/analyse_scale.py 100000000       # 10^8 rows (about 3 GB of CSV)
    python3 benches/analyse_scale.py 1000000 csv     # one format

Writes a seeded score file (100,000 subjects in 8 groups, 1% mated pairs, 0.1% empty
scores: failed trials) and times, as separate processes with their peak resident memory:

- `verity analyse` with the bootstrap off, and with the default 1,000 replicates, at 101
  thresholds (0 to 1 by 0.01) and the default FMR targets, grouped by the one attribute;
- the peer: polars reads the file, joins the group of each subject, and numpy sorts each
  group's mated and non-mated scores and counts FMR and FNMR at the same 101 thresholds
  with searchsorted, plus the EER (the work verity does without the bootstrap, less the
  intervals, tests, curves and files);
- "read once" for Parquet: polars reading the three columns and nothing else.

Prints each time, verity's over the peer's, and verity's peak memory per row above the
memory of the same analysis of 1,000 rows (the fixed base). Checks that verity's pooled
FMR and FNMR counts at 0.5 equal the peer's. Needs polars and numpy (pip install polars
numpy), GNU time (`/usr/bin/time`) and a release build (`cargo build --release --bin verity`; the script builds it).
"""
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERITY = ROOT / "target/release/verity"
SUBJECTS, GROUPS = 100_000, 8
TIME = "/usr/bin/time"  # GNU time (Debian package `time`)


class Failed(Exception):
    pass


def run(args):
    """Wall seconds and peak resident memory (bytes) of a child process, measured by GNU
    time (a child forked from this script would count this script's memory as its own)."""
    with tempfile.NamedTemporaryFile("r") as stats:
        start = time.perf_counter()
        proc = subprocess.run([TIME, "-f", "%M", "-o", stats.name, *args], capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise Failed(f"{args[0]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        return wall, int(stats.read().split()[-1]) * 1024, proc.stdout


def write_data(folder, rows, formats):
    import numpy as np
    import polars as pl
    rng = np.random.default_rng(1)
    ids = np.array([f"s{i}" for i in range(SUBJECTS)])
    pl.DataFrame({"subject_id": ids, "g": np.array(list("abcdefgh"))[np.arange(SUBJECTS) % GROUPS]}).write_csv(
        folder / "subjects.csv")
    probe = rng.integers(0, SUBJECTS, rows)
    mated = rng.random(rows) < 0.01
    reference = np.where(mated, probe, rng.integers(0, SUBJECTS, rows))
    score = np.where(probe == reference, rng.normal(0.7, 0.1, rows), rng.normal(0.3, 0.1, rows))
    frame = pl.DataFrame({
        "probe_subject": ids[probe], "reference_subject": ids[reference],
        "score": pl.Series(score).set(pl.Series(rng.random(rows) < 0.001), None),
    })
    paths = {}
    if "csv" in formats:
        paths["csv"] = folder / "scores.csv"
        frame.write_csv(paths["csv"])
    if "parquet" in formats:
        paths["parquet"] = folder / "scores.parquet"
        frame.write_parquet(paths["parquet"])
    return paths


PEER = r'''
import sys, json, numpy as np, polars as pl
path, subjects = sys.argv[1], sys.argv[2]
read = pl.read_parquet if path.endswith(".parquet") else pl.read_csv
frame = read(path, columns=["probe_subject", "reference_subject", "score"])
groups = pl.read_csv(subjects)
frame = (frame.join(groups.rename({"subject_id": "probe_subject", "g": "gp"}), on="probe_subject")
              .join(groups.rename({"subject_id": "reference_subject", "g": "gr"}), on="reference_subject"))
score = frame["score"].fill_null(-np.inf).to_numpy()
mated = (frame["probe_subject"] == frame["reference_subject"]).to_numpy()
same = (frame["gp"] == frame["gr"]).to_numpy()
gp = frame["gp"].to_numpy()
t = np.round(np.arange(101) * 0.01, 10)
out = {}
for g in [None] + sorted(set(gp)):
    sel = np.ones(len(score), bool) if g is None else (gp == g)
    m = np.sort(score[sel & mated]); n = np.sort(score[sel & ~mated & (same if g is not None else True)])
    fnmr = np.searchsorted(m, t, "left"); fm = len(n) - np.searchsorted(n, t, "left")
    d = np.abs(fnmr / len(m) - fm / len(n)); k = int(np.argmin(d))
    out[str(g)] = {"fnmr_at_0.5": int(fnmr[50]), "mated": len(m), "fm_at_0.5": int(fm[50]), "non_mated": len(n),
                   "eer_threshold": float(t[k])}
print(json.dumps(out))
'''

READ_ONCE = r'''
import sys, polars as pl
f = pl.read_parquet(sys.argv[1], columns=["probe_subject", "reference_subject", "score"])
print(f.height)
'''


def verity(folder, path, out, replicates):
    args = [str(VERITY), "analyse", "--subjects", str(folder / "subjects.csv"), "--verification", str(path),
            "--group", "g", "--thresholds", "0:1:0.01", "--bootstrap-replicates", str(replicates), "--out", str(out)]
    return run(args)


def pooled(out):
    results = json.loads((out / "results.json").read_text())
    counts = {}
    for r in results["vendors"][0]["protocols"][0]["rates"]:
        if r.get("threshold") == 0.5 and r["grouping"] == "all" and r["operating_point"] == "grid":
            counts[r["metric"]] = (r["rate"]["numerator"], r["rate"]["denominator"])
    return counts


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    formats = sys.argv[2:] or ["csv", "parquet"]
    subprocess.run(["cargo", "build", "--release", "--quiet", "--locked", "--bin", "verity"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write_data(folder, rows, formats)
        (folder / "base").mkdir()
        base_path = write_data(folder / "base", 1000, ["csv"])["csv"]
        _, base_rss, _ = verity(folder / "base", base_path, folder / "base-out", 0)
        print(f"rows {rows:,}; subjects {SUBJECTS:,} in {GROUPS} groups; base RSS {base_rss / 2**20:.0f} MiB")
        for fmt, path in paths.items():
            size = path.stat().st_size
            print(f"\n{fmt}: {size / 2**20:,.0f} MiB")
            try:
                peer_t, peer_rss, peer_out = run([sys.executable, "-c", PEER, str(path), str(folder / "subjects.csv")])
                peer = json.loads(peer_out)["None"]
                print(f"  peer polars + numpy          {peer_t:8.2f} s  peak RSS {peer_rss / 2**20:8.0f} MiB")
            except Failed as e:
                # At 10^8 rows the peer may need more memory than the machine has.
                peer_t, peer = None, None
                print(f"  peer polars + numpy          failed: {str(e).strip().splitlines()[0]}")
            t0, rss0, _ = verity(folder, path, folder / f"{fmt}-0", 0)
            t1, rss1, _ = verity(folder, path, folder / f"{fmt}-1000", 1000)
            ours = pooled(folder / f"{fmt}-0")
            if peer is not None:
                assert ours["fmr"] == (peer["fm_at_0.5"], peer["non_mated"]), (ours, peer)
                assert ours["fnmr"] == (peer["fnmr_at_0.5"], peer["mated"]), (ours, peer)
            ratio = f"ratio to peer {t0 / peer_t:.2f}x" if peer_t else ""
            print(f"  verity, no bootstrap         {t0:8.2f} s  peak RSS {rss0 / 2**20:8.0f} MiB"
                  f"  ({(rss0 - base_rss) / rows:.1f} B/row above base)  {ratio}")
            print(f"  verity, 1,000 replicates     {t1:8.2f} s  peak RSS {rss1 / 2**20:8.0f} MiB"
                  f"  ({(rss1 - base_rss) / rows:.1f} B/row above base)  bootstrap / no bootstrap {t1 / t0:.2f}x")
            if fmt == "parquet":
                r_t, r_rss, _ = run([sys.executable, "-c", READ_ONCE, str(path)])
                print(f"  read once (polars)           {r_t:8.2f} s  peak RSS {r_rss / 2**20:8.0f} MiB"
                      f"  verity / read once {t0 / r_t:.2f}x")


if __name__ == "__main__":
    main()
