#!/usr/bin/env python3
"""Convert face-api's FaceRecognitionNet (dlib's ResNet-29 face descriptor, 128-D) from
its TensorFlow.js weights to an ONNX model that verity's `onnx` adapter runs.

Source: the npm package @vladmandic/face-api, `model/face_recognition_model*`: a
`*-weights_manifest.json` listing each weight (name, shape, and for quantized ones a
`quantization` entry {dtype: uint8, scale, min}) and shard files holding them in order.
A uint8 value q stands for q * scale + min (tfjs-core io/io_utils.ts, decodeWeights).

The graph follows face-api's src/faceRecognitionNet/ (FaceRecognitionNet.ts,
convLayer.ts, residualLayer.ts, scaleLayer.ts):

    conv_layer(x)   = scale(conv2d(x, W, stride, padding) + b) [ + relu ]
    scale(x)        = x * s + t                          (per channel)
    residual(x)     = relu(conv_layer_norelu(conv_layer_relu(x)) + x)       3x3, 'same'
    residual_down(x)= relu(pad(conv_norelu(conv_down_relu(x))) + pad_c(avgpool2x2(x)))
                      conv_down: 3x3 stride 2 'valid'; pad: one zero row and column at the
                      end when the shapes differ; pad_c: zero channels at the end
    net(x) = fc(mean_hw(conv256_down_out(... maxpool3x3s2(conv32_down 7x7 s2 valid (x)))))

Input: `input`, float32 [N, 3, 150, 150] (NCHW, RGB), already normalised as face-api
does: (pixel - [122.782, 117.001, 104.298]) / 255. Output: `descriptor`, float32
[N, 128], not normalised; dlib compares descriptors by Euclidean distance (0.6).

With `--safetensors PATH` it also writes the same weights as safetensors for the
`candle` adapter (vendors/src/candle.rs): each `PREFIX/conv/filters` in OIHW order (as
the ONNX graph has them), every other weight as face-api stores it, all float32.

Needs numpy and onnx only.
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUT_SIZE = 150


def load_weights(model_dir, stem="face_recognition_model"):
    """Read a tfjs weights manifest and its shards; return {name: float32 array}."""
    with open(os.path.join(model_dir, f"{stem}-weights_manifest.json")) as f:
        manifest = json.load(f)
    weights = {}
    for group in manifest:
        data = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for entry in group["weights"]:
            shape = entry["shape"]
            count = int(np.prod(shape)) if shape else 1
            quant = entry.get("quantization")
            if quant is None:
                if entry["dtype"] != "float32":
                    raise ValueError(f"{entry['name']}: unsupported dtype {entry['dtype']}")
                values = np.frombuffer(data, dtype="<f4", count=count, offset=offset)
                offset += 4 * count
            else:
                if quant["dtype"] != "uint8":
                    raise ValueError(f"{entry['name']}: unsupported quantization {quant['dtype']}")
                q = np.frombuffer(data, dtype=np.uint8, count=count, offset=offset)
                offset += count
                # tfjs decodeWeights: float32 arithmetic, q * scale + min.
                values = q.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            weights[entry["name"]] = np.asarray(values, dtype=np.float32).reshape(shape)
        if offset != len(data):
            raise ValueError(f"weights use {offset} bytes of {len(data)} in {group['paths']}")
    return weights


class GraphBuilder:
    def __init__(self, weights):
        self.w = weights
        self.used = set()
        self.nodes = []
        self.initializers = []
        self.count = 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def weight(self, key):
        self.used.add(key)
        return self.w[key]

    def node(self, op, inputs, hint, **attrs):
        out = self.name(hint)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv_layer(self, x, prefix, stride, relu, padding):
        filters = self.weight(f"{prefix}/conv/filters")  # HWIO (tfjs)
        kernel = filters.shape[0]
        w = self.const(f"{prefix}/conv/filters", filters.transpose(3, 2, 0, 1))  # OIHW (ONNX)
        b = self.const(f"{prefix}/conv/bias", self.weight(f"{prefix}/conv/bias"))
        pads = [0, 0, 0, 0] if padding == "valid" else [kernel // 2] * 4
        y = self.node("Conv", [x, w, b], f"{prefix}/conv", kernel_shape=[kernel, kernel],
                      strides=[stride, stride], pads=pads)
        s = self.const(f"{prefix}/scale/weights", self.weight(f"{prefix}/scale/weights").reshape(1, -1, 1, 1))
        t = self.const(f"{prefix}/scale/biases", self.weight(f"{prefix}/scale/biases").reshape(1, -1, 1, 1))
        y = self.node("Mul", [y, s], f"{prefix}/scale/mul")
        y = self.node("Add", [y, t], f"{prefix}/scale/add")
        return self.node("Relu", [y], f"{prefix}/relu") if relu else y

    def residual(self, x, prefix):
        y = self.conv_layer(x, f"{prefix}/conv1", 1, True, "same")
        y = self.conv_layer(y, f"{prefix}/conv2", 1, False, "same")
        return self.node("Relu", [self.node("Add", [y, x], f"{prefix}/add")], f"{prefix}/relu")

    def residual_down(self, x, prefix, size, channels_in):
        """`size` is the spatial size of x; returns (output, output size)."""
        y = self.conv_layer(x, f"{prefix}/conv1", 2, True, "valid")
        y = self.conv_layer(y, f"{prefix}/conv2", 1, False, "same")
        channels_out = self.w[f"{prefix}/conv2/conv/filters"].shape[3]
        conv_size = (size - 3) // 2 + 1
        pool_size = size // 2
        pooled = self.node("AveragePool", [x], f"{prefix}/avgpool", kernel_shape=[2, 2], strides=[2, 2])
        if pool_size != conv_size:
            # face-api appends one zero row and one zero column to the convolution branch.
            if pool_size != conv_size + 1:
                raise ValueError(f"{prefix}: cannot reconcile sizes {conv_size} and {pool_size}")
            pads = self.int_const(f"{prefix}/pad_hw", [0, 0, 0, 0, 0, 0, 1, 1])
            y = self.node("Pad", [y, pads], f"{prefix}/pad_hw")
        if channels_out != channels_in:
            pads = self.int_const(f"{prefix}/pad_c", [0, 0, 0, 0, 0, channels_out - channels_in, 0, 0])
            pooled = self.node("Pad", [pooled, pads], f"{prefix}/pad_c")
        y = self.node("Add", [pooled, y], f"{prefix}/add")
        return self.node("Relu", [y], f"{prefix}/relu"), pool_size

    def int_const(self, name, values):
        self.initializers.append(numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name


def build_model(weights):
    g = GraphBuilder(weights)
    x = g.conv_layer("input", "conv32_down", 2, True, "valid")
    size = (INPUT_SIZE - 7) // 2 + 1
    x = g.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2])
    size = (size - 3) // 2 + 1
    channels = 32
    for block in ["conv32_1", "conv32_2", "conv32_3", "conv64_down", "conv64_1", "conv64_2", "conv64_3",
                  "conv128_down", "conv128_1", "conv128_2", "conv256_down", "conv256_1", "conv256_2",
                  "conv256_down_out"]:
        if block.endswith("down") or block.endswith("down_out"):
            x, size = g.residual_down(x, block, size, channels)
            channels = weights[f"{block}/conv2/conv/filters"].shape[3]
        else:
            x = g.residual(x, block)
    x = g.node("GlobalAveragePool", [x], "global_avg")
    x = g.node("Flatten", [x], "flatten", axis=1)
    fc = g.const("fc", g.weight("fc"))
    g.nodes.append(helper.make_node("MatMul", [x, fc], ["descriptor"], name="fc"))
    unused = set(weights) - g.used - {"fc"}
    if unused:
        raise ValueError(f"weights not used by the graph: {sorted(unused)}")
    graph = helper.make_graph(
        g.nodes,
        "face_api_face_recognition_net",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", 128])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="verity scripts/convert_face_api.py")
    # An IR version every ONNX Runtime from 1.15 on reads.
    model.ir_version = 8
    model.doc_string = ("dlib ResNet face descriptor (dlib_face_recognition_resnet_model_v1, weights CC0) "
                        "as packaged by @vladmandic/face-api; input (RGB - [122.782, 117.001, 104.298]) / 255, "
                        "NCHW 150x150; output 128-D descriptor compared by Euclidean distance")
    onnx.checker.check_model(model)
    return model


def save_safetensors(weights, path):
    """Write the weights in the safetensors format (a little-endian u64 header length, a
    JSON header of dtype/shape/data_offsets per tensor, then the raw data), by hand."""
    tensors = {}
    for name, array in sorted(weights.items()):
        if name.endswith("/conv/filters"):
            array = array.transpose(3, 2, 0, 1)  # HWIO (tfjs) -> OIHW
        tensors[name] = np.ascontiguousarray(array, dtype="<f4")
    header, offset = {}, 0
    for name, array in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for array in tensors.values():
            f.write(array.tobytes())
    os.replace(tmp, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", required=True, help="face-api's model/ folder")
    parser.add_argument("--out", required=True, help="the .onnx file to write")
    parser.add_argument("--safetensors", help="also write the weights to this .safetensors file")
    args = parser.parse_args()
    weights = load_weights(args.model_dir)
    if args.safetensors:
        save_safetensors(weights, args.safetensors)
    model = build_model(weights)
    tmp = args.out + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
