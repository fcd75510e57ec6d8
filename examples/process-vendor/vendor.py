#!/usr/bin/env python3
"""An example vendor for verity's `process` adapter (docs/process-protocol.md).

Plain Python 3, no packages. It speaks JSON lines on stdin/stdout and reads the
synthetic faces of benchmarks made by `verity simulate`:

    face/v1 identity=9f2c4a1b0e3d5f67 appearance=F×black capture=0123456789abcdef

The identity seed becomes a random unit vector g; the capture seed adds noise n, so a
template is normalise(g + NOISE * n) with n of unit expected length. Two captures of one
face score about 1 / (1 + NOISE^2) (0.80), two faces about 0 +- 1/sqrt(DIM). Everything is
a function of the media bytes, so the same media give the same template bytes.

To wrap a real SDK, keep `main` and replace `make_template`.
"""

import base64
import hashlib
import json
import math
import struct
import sys

NAME = "example-process-vendor"
VERSION = "1.0"
DIM = 64
NOISE = 0.5


def gaussians(seed_text, count):
    """`count` standard normal values from SHA-256 of `seed_text` (Box-Muller)."""
    out = []
    block = 0
    while len(out) < count:
        digest = hashlib.sha256(f"{seed_text}/{block}".encode()).digest()
        block += 1
        for i in range(0, 32, 8):
            u1 = (int.from_bytes(digest[i:i + 4], "little") + 1) / 4294967297.0
            u2 = int.from_bytes(digest[i + 4:i + 8], "little") / 4294967296.0
            r = math.sqrt(-2.0 * math.log(u1))
            out.append(r * math.cos(2.0 * math.pi * u2))
            out.append(r * math.sin(2.0 * math.pi * u2))
    return out[:count]


def normalise(v):
    norm = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / norm for x in v]


class NotAFace(Exception):
    pass


def parse_face(media):
    try:
        text = media.decode("utf-8")
    except UnicodeDecodeError:
        raise NotAFace("media is not UTF-8 text")
    tokens = text.split()
    if not tokens or tokens[0] != "face/v1":
        raise NotAFace("media is not a synthetic face (face/v1)")
    fields = dict(t.split("=", 1) for t in tokens[1:] if "=" in t)
    if "identity" not in fields or "capture" not in fields:
        raise NotAFace("synthetic face without identity or capture")
    return fields["identity"], fields["capture"]


def make_template(media, role):
    identity, capture = parse_face(media)
    g = normalise(gaussians("identity:" + identity, DIM))
    n = gaussians("capture:" + capture, DIM)
    scale = NOISE / math.sqrt(DIM)
    e = normalise([a + scale * b for a, b in zip(g, n)])
    return struct.pack(f"<{DIM}f", *e)


def describe():
    return {
        "status": "ok",
        "name": NAME,
        "version": VERSION,
        "score_min": -1.0,
        "score_max": 1.0,
        "score_meaning": "cosine similarity of 64-value embeddings",
        "thresholds": [{"label": "operational", "value": 0.6}],
        "template": {"kind": "embedding", "dim": DIM},
    }


def handle(request):
    op = request.get("op")
    if op == "describe":
        return describe()
    if op == "create_template":
        media = base64.b64decode(request["media_b64"])
        try:
            template = make_template(media, request.get("role"))
        except NotAFace as e:
            return {"status": "parse-error", "message": str(e)}
        return {"status": "ok", "template_b64": base64.b64encode(template).decode("ascii")}
    if op == "compare":
        a = struct.unpack(f"<{DIM}f", base64.b64decode(request["probe_b64"]))
        b = struct.unpack(f"<{DIM}f", base64.b64decode(request["reference_b64"]))
        return {"status": "ok", "score": sum(x * y for x, y in zip(a, b))}
    return {"status": "not-implemented", "message": f"unknown op {op!r}"}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = handle(json.loads(line))
        except Exception as e:  # a bug here must not desynchronise the stream
            reply = {"status": "vendor-error", "message": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
