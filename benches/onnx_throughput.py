#!/usr/bin/env python3
"""Template throughput of verity's `onnx` adapter beside Python onnxruntime.

Same model (examples/onnx-dlib: dlib's ResNet descriptor), same library (the one in
.verity-deps, loaded by both), same preprocessed inputs, batch size and intra-op thread
count. Prints images per second of each and the ratio verity / Python for the model
alone, and verity's end-to-end rate (PNG decode + preprocessing + model) beside it.

    scripts/setup-onnx
    .verity-deps/venv/bin/python benches/onnx_throughput.py [--images 256] [--batch-size 16] [--threads 2]

Builds the Rust side with `cargo run --release -p vendors --example onnx_throughput`
(`--profile dev` for a quicker build: the model runs in ONNX Runtime either way).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--images", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--profile", default="release", help="cargo profile for the Rust side")
    args = p.parse_args()
    config = os.path.join(REPO, "examples/onnx-dlib/vendor.toml")
    model = os.path.join(REPO, ".verity-deps/models/dlib_face_recognition.onnx")

    with tempfile.TemporaryDirectory() as tmp:
        inputs_path = os.path.join(tmp, "inputs.f32")
        cmd = ["cargo", "run", "--quiet", "--profile", args.profile, "-p", "vendors", "--example", "onnx_throughput",
               "--", config, str(args.images), str(args.batch_size), str(args.threads), inputs_path]
        out = subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True).stdout
        rust = json.loads(out.strip().splitlines()[-1])
        x = np.fromfile(inputs_path, dtype="<f4").reshape(-1, 3, 150, 150)

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def run_all():
        for i in range(0, len(x), args.batch_size):
            session.run(["descriptor"], {"input": x[i:i + args.batch_size]})

    session.run(["descriptor"], {"input": x[:args.batch_size]})  # warm-up, as the Rust side
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run_all()
        best = min(best, time.perf_counter() - start)
    python_rate = len(x) / best

    ratio = rust["model_images_per_second"] / python_rate
    print(f"onnx adapter throughput, {args.images} face crops 150x150, batch {args.batch_size}, "
          f"{args.threads} intra-op threads, ONNX Runtime {ort.__version__} (best of 3)")
    print(f"  Python onnxruntime, model only:         {python_rate:9.1f} images/s")
    print(f"  verity onnx adapter, model only:        {rust['model_images_per_second']:9.1f} images/s")
    print(f"  verity onnx adapter, PNG to template:   {rust['end_to_end_images_per_second']:9.1f} images/s")
    print(f"  ratio verity / Python (model only):     {ratio:9.3f}  (goal: within 10%, 0.90..1.10)")
    return 0 if ratio >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
