#!/usr/bin/env python3
"""Convert face-api's face detector (SSD MobileNet v1) and 68-point landmark net from
their TensorFlow.js weights to the two ONNX models of the `onnx` adapter's detection
stage (`[detect]` in a vendor TOML, docs/adapters.md "Raw photos").

Weights are read as scripts/convert_face_api.py reads them (tfjs manifest + shards,
uint8 quantization q * scale + min). The graphs follow face-api's src/:

Detector (ssdMobilenetv1/: mobileNetV1.ts, predictionLayer.ts, boxPredictionLayer.ts,
outputLayer.ts). Every convolution pads as TensorFlow's 'same' does (the odd pixel at
the end):
    pointwise(x)  = clip(conv(x, W, stride) + offset, 0, 6)
    depthwise(x)  = clip(batchnorm(depthwise_conv(x, W, stride), eps 0.001), 0, 6)
    mobilenet     = pointwise 3x3 s2, then 13 (depthwise, pointwise 1x1) pairs, the
                    depthwise strides 2 at pairs 2, 4, 6 and 12; conv11 is pair 11's output
    prediction    = eight pointwise layers (strides 1,2,1,2,1,2,1,2) on the output; box
                    predictors (1x1 conv + bias) on conv11 and on the outputs of the
                    mobilenet and of prediction layers 1, 3, 5 and 7; their NHWC outputs
                    reshaped to [N, -1, 4] (box encodings) and [N, -1, 3] (classes)
    decode        = SSD box decoding against the 5,118 anchors `Output/extra_dim`
                    (ymin, xmin, ymax, xmax): centre + enc / 10 * size, size * exp(enc / 5)
    score         = sigmoid(class 1)
Input `image`: float32 [N, 3, 512, 512] (NCHW, RGB), pixel / 127.5 - 1. Outputs `boxes`
[N, 5118, 4] as (ymin, xmin, ymax, xmax) in units of the input side, and `scores`
[N, 5118]. Non-maximum suppression is the adapter's (vendors/src/onnx/detect.rs).

Landmarks (faceLandmarkNet/, faceFeatureExtractor/FaceFeatureExtractor.ts,
denseBlock.ts, common/depthwiseSeparableConv.ts):
    separable(x)  = pointwise_conv(depthwise_conv(x, stride)) + bias        ('same')
    dense(x)      = out1 = relu(conv0(x)) (stride 2; dense0's conv0 is a full 3x3 conv),
                    out2 = separable(out1), out3 = separable(relu(out1 + out2)),
                    out4 = separable(relu(out1 + out2 + out3)),
                    relu(out1 + out2 + out3 + out4)
    net           = fc(avgpool 7x7 s2 (dense3(dense2(dense1(dense0(x))))))
Input `image`: float32 [N, 3, 112, 112] (NCHW, RGB), (pixel - [122.782, 117.001,
104.298]) / 255. Output `landmarks` [N, 136]: x0, y0, x1, y1, ... in units of the input
side (0..1).

Needs numpy and onnx only.
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_face_api import GraphBuilder, load_weights  # noqa: E402

DETECTOR_SIZE = 512
LANDMARK_SIZE = 112
BN_EPSILON = 0.0010000000474974513


def same_pads(size, kernel, stride):
    """TensorFlow 'same' padding of one spatial axis: (begin, end, output size)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class Builder(GraphBuilder):
    """convert_face_api's graph builder, with constants named uniquely from a hint."""

    def const(self, hint, array, dtype=np.float32):
        self.count += 1
        name = f"{hint}_{self.count}"
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), name))
        return name

    def conv(self, x, size, filters_hwio, bias, stride, groups=1, hint="conv"):
        """A 'same' convolution of x (spatial side `size`); filters in tfjs order: HWIO,
        or for a depthwise convolution [h, w, channels, 1]. Returns (output, side)."""
        kernel = filters_hwio.shape[0]
        if groups == 1:
            w = filters_hwio.transpose(3, 2, 0, 1)  # OIHW
        else:
            w = filters_hwio.transpose(2, 3, 0, 1)  # [C, 1, h, w]
        begin, end, out = same_pads(size, kernel, stride)
        inputs = [x, self.const(f"{hint}/w", w)]
        if bias is not None:
            inputs.append(self.const(f"{hint}/b", bias))
        y = self.node("Conv", inputs, hint, kernel_shape=[kernel, kernel], strides=[stride, stride],
                      pads=[begin, begin, end, end], group=groups)
        return y, out

    def clip6(self, x, hint):
        return self.node("Clip", [x, self.const(f"{hint}/lo", 0.0), self.const(f"{hint}/hi", 6.0)], hint)


def build_detector(weights):
    b = Builder(weights)

    def pointwise(x, size, prefix, stride):
        y, size = b.conv(x, size, b.weight(f"{prefix}/weights"), b.weight(f"{prefix}/convolution_bn_offset"),
                         stride, hint=prefix)
        return b.clip6(y, f"{prefix}/clip"), size

    def depthwise(x, size, prefix, stride):
        gamma = b.weight(f"{prefix}/BatchNorm/gamma")
        beta = b.weight(f"{prefix}/BatchNorm/beta")
        mean = b.weight(f"{prefix}/BatchNorm/moving_mean")
        var = b.weight(f"{prefix}/BatchNorm/moving_variance")
        y, size = b.conv(x, size, b.weight(f"{prefix}/depthwise_weights"), None, stride,
                         groups=gamma.shape[0], hint=prefix)
        y = b.node("BatchNormalization", [y, b.const("gamma", gamma), b.const("beta", beta),
                                          b.const("mean", mean), b.const("var", var)],
                   f"{prefix}/bn", epsilon=BN_EPSILON)
        return b.clip6(y, f"{prefix}/clip"), size

    x, size = pointwise("image", DETECTOR_SIZE, "MobilenetV1/Conv2d_0_pointwise", 2)
    conv11 = None
    for i in range(1, 14):
        x, size = depthwise(x, size, f"MobilenetV1/Conv2d_{i}_depthwise", 2 if i in (2, 4, 6, 12) else 1)
        x, size = pointwise(x, size, f"MobilenetV1/Conv2d_{i}_pointwise", 1)
        if i == 11:
            conv11 = x
    features = [conv11, x]
    y = x
    for i in range(8):
        y, size = pointwise(y, size, f"Prediction/Conv2d_{i}_pointwise", 2 if i % 2 == 1 else 1)
        if i % 2 == 1:
            features.append(y)

    encodings, classes = [], []
    for i, feature in enumerate(features):
        for kind, per_anchor, out in (("BoxEncodingPredictor", 4, encodings), ("ClassPredictor", 3, classes)):
            prefix = f"Prediction/BoxPredictor_{i}/{kind}"
            y, _ = b.conv(feature, 1, b.weight(f"{prefix}/weights"), b.weight(f"{prefix}/biases"), 1, hint=prefix)
            y = b.node("Transpose", [y], f"{prefix}/nhwc", perm=[0, 2, 3, 1])
            out.append(b.node("Reshape", [y, b.const(f"{prefix}/shape", [0, -1, per_anchor], np.int64)],
                              f"{prefix}/reshape"))
    encoding = b.node("Concat", encodings, "encodings", axis=1)  # [N, A, 4]
    logits = b.node("Concat", classes, "classes", axis=1)  # [N, A, 3]

    anchors = b.weight("Output/extra_dim").reshape(-1, 4).astype(np.float64)
    sizes = anchors[:, 2:4] - anchors[:, 0:2]  # (height, width)
    centres = anchors[:, 0:2] + sizes / 2
    n_anchors = anchors.shape[0]

    def take(tensor, begin, end, hint):
        return b.node("Slice", [tensor, b.const(f"{hint}/b", [begin], np.int64), b.const(f"{hint}/e", [end], np.int64),
                                b.const(f"{hint}/a", [2], np.int64)], hint)

    yx = take(encoding, 0, 2, "enc_yx")
    hw = take(encoding, 2, 4, "enc_hw")
    centre = b.node("Add", [b.node("Mul", [yx, b.const("size_div10", (sizes / 10).astype(np.float32))], "c_mul"),
                            b.const("centres", centres.astype(np.float32))], "centre")
    half = b.node("Mul", [b.node("Exp", [b.node("Div", [hw, b.const("five", 5.0)], "hw_div5")], "hw_exp"),
                          b.const("half_sizes", (sizes / 2).astype(np.float32))], "half")
    lo = b.node("Sub", [centre, half], "box_lo")
    hi = b.node("Add", [centre, half], "box_hi")
    b.nodes.append(helper.make_node("Concat", [lo, hi], ["boxes"], name="boxes", axis=2))
    score = b.node("Sigmoid", [take(logits, 1, 2, "class1")], "sigmoid")
    b.nodes.append(helper.make_node("Squeeze", [score, b.const("axis2", [2], np.int64)], ["scores"], name="scores"))

    needed = {k for k in weights if "/weights" in k or "/biases" in k or "BatchNorm" in k
              or "bn_offset" in k or "depthwise_weights" in k or k == "Output/extra_dim"}
    needed -= {k for k in needed if k.startswith("Preprocessor/")}
    unused = needed - b.used
    if unused:
        raise ValueError(f"detector weights not used by the graph: {sorted(unused)}")
    graph = helper.make_graph(
        b.nodes,
        "face_api_ssd_mobilenetv1",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, DETECTOR_SIZE, DETECTOR_SIZE])],
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, ["N", n_anchors, 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", n_anchors])],
        b.initializers,
    )
    return finish(graph, "face detector SSD MobileNet v1 as packaged by @vladmandic/face-api; input pixel / "
                  "127.5 - 1, NCHW 512x512 RGB; outputs boxes (ymin, xmin, ymax, xmax) in units of the input "
                  "side and face scores, before non-maximum suppression")


def build_landmarks(weights):
    b = Builder(weights)

    def separable(x, size, prefix, stride):
        dw = b.weight(f"{prefix}/depthwise_filter")
        y, size = b.conv(x, size, dw, None, stride, groups=dw.shape[2], hint=f"{prefix}/dw")
        y, size = b.conv(y, size, b.weight(f"{prefix}/pointwise_filter"), b.weight(f"{prefix}/bias"), 1,
                         hint=f"{prefix}/pw")
        return y, size

    def dense(x, size, prefix, first):
        if first:
            out1, size = b.conv(x, size, b.weight(f"{prefix}/conv0/filters"), b.weight(f"{prefix}/conv0/bias"), 2,
                                hint=f"{prefix}/conv0")
        else:
            out1, size = separable(x, size, f"{prefix}/conv0", 2)
        out1 = b.node("Relu", [out1], f"{prefix}/relu1")
        out2, _ = separable(out1, size, f"{prefix}/conv1", 1)
        s12 = b.node("Add", [out1, out2], f"{prefix}/s12")
        out3, _ = separable(b.node("Relu", [s12], f"{prefix}/relu2"), size, f"{prefix}/conv2", 1)
        s123 = b.node("Add", [s12, out3], f"{prefix}/s123")
        out4, _ = separable(b.node("Relu", [s123], f"{prefix}/relu3"), size, f"{prefix}/conv3", 1)
        return b.node("Relu", [b.node("Add", [s123, out4], f"{prefix}/s1234")], f"{prefix}/out"), size

    x, size = "image", LANDMARK_SIZE
    for i in range(4):
        x, size = dense(x, size, f"dense{i}", i == 0)
    if size != 7:
        raise ValueError(f"landmark features are {size}x{size}, expected 7x7")
    x = b.node("AveragePool", [x], "avgpool", kernel_shape=[7, 7], strides=[2, 2])
    x = b.node("Flatten", [x], "flatten", axis=1)
    x = b.node("MatMul", [x, b.const("fc/weights", b.weight("fc/weights"))], "fc")
    b.nodes.append(helper.make_node("Add", [x, b.const("fc/bias", b.weight("fc/bias"))], ["landmarks"], name="fc_bias"))
    unused = set(weights) - b.used
    if unused:
        raise ValueError(f"landmark weights not used by the graph: {sorted(unused)}")
    graph = helper.make_graph(
        b.nodes,
        "face_api_face_landmark_68",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, LANDMARK_SIZE, LANDMARK_SIZE])],
        [helper.make_tensor_value_info("landmarks", TensorProto.FLOAT, ["N", 136])],
        b.initializers,
    )
    return finish(graph, "68-point face landmark net as packaged by @vladmandic/face-api; input (RGB - "
                  "[122.782, 117.001, 104.298]) / 255, NCHW 112x112; output x0, y0, ... x67, y67 in units of "
                  "the input side")


def finish(graph, doc):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="verity scripts/convert_face_api_detect.py")
    model.ir_version = 8
    model.doc_string = doc
    onnx.checker.check_model(model)
    return model


def save(model, path):
    tmp = path + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", required=True, help="face-api's model/ folder")
    parser.add_argument("--detector", required=True, help="the detector .onnx file to write")
    parser.add_argument("--landmarks", required=True, help="the landmark .onnx file to write")
    args = parser.parse_args()
    save(build_detector(load_weights(args.model_dir, "ssd_mobilenetv1_model")), args.detector)
    save(build_landmarks(load_weights(args.model_dir, "face_landmark_68_model")), args.landmarks)


if __name__ == "__main__":
    main()
