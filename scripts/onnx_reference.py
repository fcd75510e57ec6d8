#!/usr/bin/env python3
"""Reference embeddings from Python onnxruntime, for checking verity's `onnx` adapter.

Reads preprocessed model inputs (raw little-endian float32, N images of --shape each,
as `OnnxVendor::preprocess` makes them), runs the model with onnxruntime in batches of
--batch-size, and writes the outputs as raw little-endian float32 (N x dim) to --out.
Run with the venv of scripts/setup-onnx (.verity-deps/venv/bin/python).
"""

import argparse
import os

import numpy as np
import onnxruntime as ort


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True, help="raw f32 inputs")
    p.add_argument("--shape", required=True, help="one image's shape, e.g. 3,150,150")
    p.add_argument("--input-name", default="input")
    p.add_argument("--output-name", default="descriptor")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    shape = [int(s) for s in args.shape.split(",")]
    x = np.fromfile(args.input, dtype="<f4").reshape([-1] + shape)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    outputs = [session.run([args.output_name], {args.input_name: x[i:i + args.batch_size]})[0]
               for i in range(0, len(x), args.batch_size)]
    tmp = args.out + ".tmp"
    np.concatenate(outputs).astype("<f4").tofile(tmp)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
