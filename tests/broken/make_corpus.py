#!/usr/bin/env python3
"""Writes tests/fixtures/tiny (a valid benchmark) and the broken benchmarks under
tests/broken/<case>/, each the tiny benchmark with one or a few deliberate faults and an
expected.txt of substrings that `verity validate` must print.

Run from the repository root: python3 tests/broken/make_corpus.py
The Parquet tables of the parquet-* cases are then written by
    cargo test -p datasets -- --ignored write_parquet_fixtures
(no Parquet library is assumed on the Python side).
"""

import os
import random
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BROKEN = os.path.join(ROOT, "tests", "broken")
TINY = os.path.join(ROOT, "tests", "fixtures", "tiny")

SUBJECTS = [f"s{i:02d}" for i in range(1, 9)]
SEX = dict(zip(SUBJECTS, "F F F F M M M M".split()))
ETHNICITY = dict(zip(SUBJECTS, "A B A B A B A B".split()))
DIM = 8

MANIFEST = """[benchmark]
name = "tiny"
version = "1"
licence = "CC0-1.0"
description = "Eight subjects, three samples each, embedded templates: the smallest benchmark with every protocol kind."

[tables]
subjects = "{subjects}"
samples = "{samples}"

[attributes.sex]
provenance = "self-declared"
[attributes.ethnicity]
provenance = "annotated"

[[protocols]]
name = "verification"
kind = "verification"
pairs = "protocols/verification.csv"

[[protocols]]
name = "identification"
kind = "identification"
gallery = "protocols/identification-gallery.csv"
mated = "protocols/identification-mated.csv"
non_mated = "protocols/identification-non-mated.csv"
candidates = 3
gallery_sizes = [2, 4]

[[protocols]]
name = "watchlist"
kind = "watchlist"
watchlist = "protocols/watchlist.csv"
passes = "protocols/watchlist-passes.csv"
crowd = "protocols/watchlist-crowd.csv"
candidates = 1
"""


def templates():
    """Each subject a random direction; each sample that direction plus noise, so mated
    pairs score clearly higher than non-mated ones under cosine similarity."""
    rng = random.Random(20240601)
    out = {}
    for s in SUBJECTS:
        centre = [rng.gauss(0, 1) for _ in range(DIM)]
        for k in (1, 2, 3):
            out[f"{s}-{k}"] = [round(c + rng.gauss(0, 0.35), 4) for c in centre]
    return out


def one_column(ids):
    return "sample_id\n" + "".join(f"{i}\n" for i in ids)


def base():
    """The tiny benchmark as {relative path: text}."""
    t = templates()
    files = {"benchmark.toml": MANIFEST.format(subjects="subjects.csv", samples="samples.csv")}
    files["subjects.csv"] = "subject_id,sex,ethnicity\n" + "".join(f"{s},{SEX[s]},{ETHNICITY[s]}\n" for s in SUBJECTS)
    files["samples.csv"] = "sample_id,subject_id,template\n" + "".join(
        f"{sid},{sid.split('-')[0]},{' '.join(str(v) for v in vec)}\n" for sid, vec in t.items()
    )
    pairs = []
    for i, s in enumerate(SUBJECTS):
        pairs += [(f"{s}-1", f"{s}-2"), (f"{s}-1", f"{s}-3")]
        for other in (SUBJECTS[(i + 1) % 8], SUBJECTS[(i + 2) % 8]):
            pairs.append((f"{s}-1", f"{other}-2"))
    files["protocols/verification.csv"] = "probe_sample,reference_sample\n" + "".join(f"{a},{b}\n" for a, b in pairs)
    enrolled = ["s01", "s02", "s05", "s06"]  # one subject of every sex x ethnicity cell
    others = [s for s in SUBJECTS if s not in enrolled]
    files["protocols/identification-gallery.csv"] = one_column(f"{s}-1" for s in enrolled)
    files["protocols/identification-mated.csv"] = one_column(f"{s}-{k}" for s in enrolled for k in (2, 3))
    files["protocols/identification-non-mated.csv"] = one_column(f"{s}-{k}" for s in others for k in (1, 2, 3))
    watch = ["s01", "s04", "s06", "s07"]
    crowd = [s for s in SUBJECTS if s not in watch]
    files["protocols/watchlist.csv"] = one_column(f"{s}-1" for s in watch)
    files["protocols/watchlist-passes.csv"] = one_column(f"{s}-{k}" for s in watch for k in (2, 3))
    files["protocols/watchlist-crowd.csv"] = one_column(f"{s}-{k}" for s in crowd for k in (1, 2, 3))
    return files


def line_of(text, needle):
    """1-based line of the first line containing needle."""
    for n, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return n
    raise KeyError(needle)


def write(folder, files):
    if os.path.isdir(folder):
        # Keep Parquet tables: they are written by the Rust helper, not here.
        for dirpath, _, names in os.walk(folder):
            for name in names:
                if not name.endswith(".parquet"):
                    os.remove(os.path.join(dirpath, name))
    for name, content in files.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode("utf-8"))


def replace_line(text, needle, new):
    lines = text.split("\n")
    n = line_of(text, needle)
    lines[n - 1] = new
    return "\n".join(lines)


def cases():
    """(name, files, expected substrings)."""
    b = base()
    out = []

    def case(name, expected, changes, count=1):
        """changes: {relative path: new content, or None to delete the file}; count: how
        many problems in all, so that one fault never cascades into others."""
        expected = [f"{count} problem{'s' if count > 1 else ''} in "] + expected
        files = dict(b)
        for key, value in changes.items():
            if value is None:
                files.pop(key, None)
            else:
                files[key] = value
        out.append((name, files, expected))

    case("missing-subjects-file", ['benchmark.toml:8: key tables.subjects: value "subjects.csv": file not found'],
         {"subjects.csv": None})

    case("missing-column", ["samples.csv:1: column subject_id: missing column"],
         {"samples.csv": "\n".join(",".join(f for k, f in enumerate(l.split(",")) if k != 1) for l in b["samples.csv"].split("\n"))})

    subj = b["subjects.csv"] + "s03,F,A\n"
    case("duplicate-subject-id", ['subjects.csv:10: column subject_id: value "s03": duplicate subject_id (first at line 4)'],
         {"subjects.csv": subj})

    samp = b["samples.csv"]
    dup = samp.split("\n")[3]  # s01-3
    case("duplicate-sample-id", ['samples.csv:26: column sample_id: value "s01-3": duplicate sample_id (first at line 4)'],
         {"samples.csv": samp + dup + "\n"})

    case("unknown-subject", ['samples.csv:26: column subject_id: value "s99": unknown subject'],
         {"samples.csv": samp + "s99-1,s99,1 2 3 4 5 6 7 8\n"})

    case("empty-attribute", ['subjects.csv:4: column ethnicity: value "": empty attribute value'],
         {"subjects.csv": replace_line(b["subjects.csv"], "s03,", "s03,F,")})

    case("single-member-group", ['subjects.csv:9: column ethnicity: value "C": single-member group'],
         {"subjects.csv": replace_line(b["subjects.csv"], "s08,", "s08,M,C")})

    m = b["benchmark.toml"].replace('kind = "watchlist"', 'kind = "linking"')
    case("unknown-protocol-kind",
         [f'benchmark.toml:{line_of(m, "linking")}: key protocols[3].kind: value "linking": unknown protocol kind'],
         {"benchmark.toml": m})

    nan = replace_line(samp, "s01-3,", "s01-3,s01,0.1 NaN 0.3 0.4 0.5 0.6 0.7 0.8")
    case("nan-embedding", ['samples.csv:4: column template: value "NaN": template value is not finite'],
         {"samples.csv": nan})

    rag = replace_line(samp, "s02-1,", "s02-1,s02,0.1 0.2 0.3 0.4 0.5 0.6 0.7")
    case("ragged-embedding",
         ["samples.csv:5: column template: ragged templates: this one has 7 values, the first (line 2) has 8"],
         {"samples.csv": rag})

    nm = b["protocols/identification-non-mated.csv"] + "s01-3\n"
    case("gallery-subject-non-mated",
         ['protocols/identification-non-mated.csv:14: column sample_id: value "s01-3": gallery subject used as a non-mated searcher'],
         {"protocols/identification-non-mated.csv": nm})

    crowd = b["protocols/watchlist-crowd.csv"] + "s04-2\n"
    case("watchlist-subject-in-crowd",
         ['protocols/watchlist-crowd.csv:14: column sample_id: value "s04-2": watchlist subject used as a crowd face'],
         {"protocols/watchlist-crowd.csv": crowd})

    mated = b["protocols/identification-mated.csv"] + "s03-2\n"
    case("mated-not-in-gallery",
         ['protocols/identification-mated.csv:10: column sample_id: value "s03-2": mated searcher\'s subject is not in the gallery'],
         {"protocols/identification-mated.csv": mated})

    raw = b["subjects.csv"].encode().replace(b"s02,F,B", b"s02,F\xff,B")
    case("non-utf8", ["subjects.csv:3: column sex:", "text is not valid UTF-8"], {"subjects.csv": raw})

    bad = b["benchmark.toml"].replace('version = "1"', 'version = "1')
    case("bad-toml", ["benchmark.toml:3:", "invalid TOML at column"], {"benchmark.toml": bad})

    pairs = b["protocols/verification.csv"] + "s01-1,s01-9\n"
    case("unknown-protocol-sample",
         ['protocols/verification.csv:34: column reference_sample: value "s01-9": unknown sample'],
         {"protocols/verification.csv": pairs})

    pairs = b["protocols/verification.csv"] + "s02-2,s02-2\n"
    case("self-pair",
         ['protocols/verification.csv:34: column reference_sample: value "s02-2": pair compares a sample with itself'],
         {"protocols/verification.csv": pairs})

    m = b["benchmark.toml"].replace("gallery_sizes = [2, 4]", "gallery_sizes = [3, 2, 9]")
    n = line_of(m, "gallery_sizes")
    case("gallery-sizes",
         [f'benchmark.toml:{n}: key protocols[2].gallery_sizes: value "[3, 2, 9]": gallery sizes must ascend',
          "gallery size 9 exceeds the 4 subjects in the gallery"],
         {"benchmark.toml": m}, count=2)

    m = b["benchmark.toml"].replace("candidates = 3\n", "")
    case("missing-candidates", ["key protocols[2].candidates: missing key"], {"benchmark.toml": m})

    subj = "subject_id,sex,ethnicity,age_band\n" + "".join(l + ",adult\n" for l in b["subjects.csv"].split("\n")[1:] if l)
    case("undeclared-attribute", ["subjects.csv:1: column age_band: column is not a declared attribute"],
         {"subjects.csv": subj})

    # A quoted newline in a capture column must not shift the line numbers after it.
    lines = samp.rstrip("\n").split("\n")
    lines[0] += ",note"
    lines[1] += ',"first line\nsecond line"'
    for k in range(2, len(lines)):
        lines[k] += ",-"
    lines[5] = lines[5].replace("s02-2,s02,", "s02-2,s98,")
    case("quoted-newline-line-numbers", ['samples.csv:7: column subject_id: value "s98": unknown subject'],
         {"samples.csv": "\n".join(lines) + "\n"})

    media = "sample_id,subject_id,media\n" + "".join(
        f"{s}-{k},{s},inline:face of {s} #{k}\n" for s in SUBJECTS for k in (1, 2, 3)
    )
    media = replace_line(media, "s05-2,", "s05-2,s05,media/s05-2.png")
    case("media-file-missing", ['samples.csv:15: column media: value "media/s05-2.png": media file not found'],
         {"samples.csv": media})

    # Several faults at once: every one is listed, not only the first.
    subj = replace_line(b["subjects.csv"], "s03,", "s03,F,")
    samp2 = samp + "s99-1,s99,1 2 3 4 5 6 7 8\n"
    pairs = b["protocols/verification.csv"] + "s01-1,nope\n"
    case("many-problems",
         ['subjects.csv:4: column ethnicity: value "": empty attribute value',
          'samples.csv:26: column subject_id: value "s99": unknown subject',
          'protocols/verification.csv:34: column reference_sample: value "nope": unknown sample'],
         {"subjects.csv": subj, "samples.csv": samp2, "protocols/verification.csv": pairs}, count=3)

    # Parquet tables: the .parquet files come from the Rust helper (see the module doc).
    m = b["benchmark.toml"].replace('samples = "samples.csv"', 'samples = "samples.parquet"')
    case("parquet-samples",
         ['samples.parquet: row index 2: column subject_id: value "s99": unknown subject',
          'samples.parquet: row index 4: column template: value "NaN": template value 2 is not finite'],
         {"benchmark.toml": m, "samples.csv": None}, count=2)

    rows = [r for r in b["samples.csv"].split("\n") if r]
    frames = {"s01-2": "cam1,t1,2.0", "s01-3": "cam1,t1,1.5"}
    samples = "\n".join([rows[0] + ",video,track,frame_time"]
                        + [r + "," + frames.get(r.split(",")[0], ",,") for r in rows[1:]]) + "\n"
    n = line_of(samples, "s01-3,")
    case("video-track-order",
         [f'samples.csv:{n}: column frame_time: value "1.5": frames of track `t1` must be listed in increasing time'],
         {"samples.csv": samples})

    m = b["benchmark.toml"].replace('subjects = "subjects.csv"', 'subjects = "subjects.parquet"')
    case("parquet-subjects-missing-column",
         ["subjects.parquet: column ethnicity: missing column (declared attribute)"],
         {"benchmark.toml": m, "subjects.csv": None})
    return out


def main():
    write(TINY, base())
    for name, files, expected in cases():
        folder = os.path.join(BROKEN, name)
        files = dict(files)
        files["expected.txt"] = "".join(e + "\n" for e in expected)
        write(folder, files)
    print(f"wrote {TINY} and {len(cases())} cases under {BROKEN}")


if __name__ == "__main__":
    main()
