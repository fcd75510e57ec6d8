"""Independent check of the files `reports::output::write_all` writes, with pyarrow and the
standard library (no verity code). Usage:

    VERITY_REPORTS_FIXTURE_OUT=/tmp/verity-out cargo test -p reports write_fixture_output
    python3 reports/scripts/check_outputs.py /tmp/verity-out

Exits non-zero on the first mismatch.
"""
import csv
import json
import math
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

out = Path(sys.argv[1])

results = json.loads((out / "results.json").read_text(), parse_constant=lambda c: sys.exit(f"non-JSON constant {c}"))
assert next(iter(results)) == "schema_version", "schema_version is not first"
rates = results["vendors"][0]["protocols"][0]["rates"]
assert rates[1]["rate"] == {"numerator": 0, "denominator": 0, "rate": None}, rates[1]["rate"]
assert rates[2]["rate"]["rate"] == 7 / 41000

with open(out / "rates.csv", newline="") as f:
    rows = list(csv.DictReader(f))
assert rows[0]["protocol"] == "" and rows[0]["metric"] == "fte"
assert rows[1]["rate"] == "" and rows[1]["ci_low"] == "", rows[1]
assert float(rows[4]["rate"]) == 7 / 41000
for row in rows:
    for key in ("rate", "ci_low", "ci_high", "threshold"):
        if row[key]:
            assert math.isfinite(float(row[key])), row

table = pq.read_table(out / "rates.parquet")
assert table.schema.field("numerator").type == pa.uint64()
assert table.schema.field("rank").type == pa.uint32()
assert table.schema.field("rate").type == pa.float64()
assert table.column("rate").to_pylist()[1] is None
assert table.column("rate").to_pylist()[2] == 0.891
csv_rates = [float(r["rate"]) if r["rate"] else None for r in rows]
assert csv_rates == table.column("rate").to_pylist(), "CSV and Parquet disagree"

scores = pq.read_table(out / "raw/acme/one-to-one.scores.parquet").to_pylist()
assert scores == [
    {"probe": "a1", "reference": "a2", "probe_subject": "alice", "reference_subject": "alice", "mated": True, "score": 0.8, "failed": False},
    {"probe": "a1", "reference": "b1", "probe_subject": "alice", "reference_subject": "bob", "mated": False, "score": None, "failed": True},
], scores

candidates = pq.read_table(out / "raw/acme/watch.candidates.parquet")
assert candidates.schema.field("gallery_size").type == pa.uint64()
assert candidates.to_pylist() == [
    {"gallery_size": 2, "search": "b2", "search_subject": "bob", "mated": True, "failed": False, "rank": 1, "candidate_subject": "bob", "score": 0.7},
], candidates.to_pylist()

failures = pq.read_table(out / "raw/acme/failures.parquet").to_pylist()
assert failures == [{"sample": "b9", "role": "verify", "code": "face-detection-error", "message": "no face"}], failures

summary = (out / "summary.md").read_text()
assert "1 in 5,860" in summary and "undefined (no trials)" in summary
assert "inf" not in summary and "NaN" not in summary

print("ok: results.json, rates.csv, rates.parquet, raw parquet files and summary.md read back independently")
