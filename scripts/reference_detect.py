#!/usr/bin/env python3
"""Reference implementation of the `onnx` adapter's detection stage (docs/adapters.md,
"Raw photos"), written independently of the Rust code with numpy, Pillow and Python
onnxruntime, and the generator of the fixture the Rust tests compare against
(tests/fixtures/detect/face_api_demo.json).

For each photo: decode (Pillow), detect (SSD MobileNet v1 at 512x512, non-maximum
suppression), pick the face, find its 68 landmarks (112x112), align it (the box of the
landmarks padded 20%, or the five-point similarity), and compute the 128-D descriptor.
Every resampling is the same bilinear warp: the output pixel (x, y) samples the source
at the inverse of a similarity transform, neighbours outside the image are black, and
the value is rounded half up to a byte.

Usage:
    reference_detect.py --models DIR --out FIXTURE.json PHOTO...

DIR holds ssd_mobilenetv1.onnx, face_landmark_68.onnx and dlib_face_recognition.onnx
(scripts/setup-onnx makes them). The photos are PNGs (scripts/setup-onnx decodes
face-api's demo JPEGs once with Pillow into .verity-deps/photos/), so that both sides
see the same pixels: JPEG decoders differ by a few levels. The fixture records each
photo by file name and the SHA-256 of its decoded RGB bytes (row by row).
"""

import argparse
import hashlib
import json
import os

import numpy as np
import onnxruntime as ort
from PIL import Image

DETECTOR_SIZE = 512
LANDMARK_SIZE = 112
DESCRIPTOR_SIZE = 150
FACE_MEAN = np.array([122.782, 117.001, 104.298])
MIN_CONFIDENCE = 0.5
IOU_THRESHOLD = 0.5
MAX_DETECTIONS = 100
BOX_PADDING = 0.2


def warp(image, transform, width, height):
    """Bilinear warp by the similarity [a, b, tx, ty] (source -> output), as a byte image."""
    a, b, tx, ty = transform
    det = a * a + b * b
    h, w, _ = image.shape
    oy, ox = np.mgrid[0:height, 0:width].astype(np.float64)
    dx, dy = ox - tx, oy - ty
    sx = (a * dx + b * dy) / det
    sy = (-b * dx + a * dy) / det
    x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
    fx, fy = sx - x0, sy - y0
    src = image.astype(np.float64)

    def sample(x, y):
        inside = (x >= 0) & (y >= 0) & (x < w) & (y < h)
        values = src[np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)]
        return np.where(inside[..., None], values, 0.0)

    fx, fy = fx[..., None], fy[..., None]
    v = (sample(x0, y0) * (1.0 - fx) * (1.0 - fy) + sample(x0 + 1, y0) * fx * (1.0 - fy)
         + sample(x0, y0 + 1) * (1.0 - fx) * fy + sample(x0 + 1, y0 + 1) * fx * fy)
    return np.clip(np.floor(v + 0.5), 0, 255).astype(np.uint8)


def nchw(image, mean, std):
    x = (image.astype(np.float32) - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def iou(p, q):
    ay0, ax0, ay1, ax1 = min(p[0], p[2]), min(p[1], p[3]), max(p[0], p[2]), max(p[1], p[3])
    by0, bx0, by1, bx1 = min(q[0], q[2]), min(q[1], q[3]), max(q[0], q[2]), max(q[1], q[3])
    area_a, area_b = (ay1 - ay0) * (ax1 - ax0), (by1 - by0) * (bx1 - bx0)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = max(min(ay1, by1) - max(ay0, by0), 0.0) * max(min(ax1, bx1) - max(ax0, bx0), 0.0)
    return inter / (area_a + area_b - inter)


def non_max_suppression(boxes, scores):
    order = sorted((i for i in range(len(scores)) if scores[i] > MIN_CONFIDENCE), key=lambda i: (-scores[i], i))
    kept = []
    for i in order:
        if len(kept) == MAX_DETECTIONS:
            break
        if all(iou(boxes[i], boxes[j]) <= IOU_THRESHOLD for j in kept):
            kept.append(i)
    return kept


def five_points(points):
    return np.array([points[36:42].mean(axis=0), points[42:48].mean(axis=0), points[30], points[48], points[54]])


def similarity(src, dst):
    """Least-squares similarity src -> dst (Umeyama), as [a, b, tx, ty]."""
    ms, md = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - ms, dst - md
    norm = (s ** 2).sum()
    a = (s[:, 0] * d[:, 0] + s[:, 1] * d[:, 1]).sum() / norm
    b = (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]).sum() / norm
    return [a, b, md[0] - (a * ms[0] - b * ms[1]), md[1] - (b * ms[0] + a * ms[1])]


def square_transform(x0, y0, x1, y1, size):
    """The scale and shift that put the square of side max(w, h), centred on the box,
    onto [0, size) x [0, size)."""
    side = max(x1 - x0, y1 - y0)
    scale = size / side
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return [scale, 0.0, -(cx - side / 2) * scale, -(cy - side / 2) * scale]


def run_photo(path, sessions, reference_landmarks):
    image = np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")))
    h, w, _ = image.shape
    side = max(w, h)
    scale = DETECTOR_SIZE / side
    detector_input = warp(image, [scale, 0.0, 0.0, 0.0], DETECTOR_SIZE, DETECTOR_SIZE)
    boxes, scores = sessions["detector"].run(None, {"image": nchw(detector_input, [127.5] * 3, [127.5] * 3)})
    boxes, scores = boxes[0].astype(np.float64), scores[0].astype(np.float64)
    kept = non_max_suppression(boxes, scores)
    faces = []
    for i in kept:
        y0, x0, y1, x1 = (min(max(v, 0.0), 1.0) * side for v in boxes[i])
        faces.append({"box": [min(x0, w), min(y0, h), min(x1, w), min(y1, h)], "score": float(scores[i])})
    record = {"file": os.path.basename(path), "pixels_sha256": hashlib.sha256(image.tobytes()).hexdigest(), "width": w, "height": h,
              "faces": faces}
    if not faces:
        return record
    areas = [(f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]) for f in faces]
    chosen = max(range(len(faces)), key=lambda k: (areas[k], faces[k]["score"], -k))
    record["chosen"] = chosen
    box = faces[chosen]["box"]
    t = square_transform(*box, LANDMARK_SIZE)
    crop = warp(image, t, LANDMARK_SIZE, LANDMARK_SIZE)
    out = sessions["landmarks"].run(None, {"image": nchw(crop, FACE_MEAN, [255.0] * 3)})[0][0].astype(np.float64)
    points = out.reshape(68, 2) * LANDMARK_SIZE
    points = np.stack([(points[:, 0] - t[2]) / t[0], (points[:, 1] - t[3]) / t[0]], axis=1)
    record["landmarks"] = points.tolist()
    for align in ("box", "five-point"):
        if align == "box":
            x0, y0 = points.min(axis=0)
            x1, y1 = points.max(axis=0)
            pw, ph = (x1 - x0) * BOX_PADDING / 2, (y1 - y0) * BOX_PADDING / 2
            t = square_transform(x0 - pw, y0 - ph, x1 + pw, y1 + ph, DESCRIPTOR_SIZE)
        else:
            t = similarity(five_points(points), np.asarray(reference_landmarks, dtype=np.float64))
        chip = warp(image, t, DESCRIPTOR_SIZE, DESCRIPTOR_SIZE)
        descriptor = sessions["descriptor"].run(None, {"input": nchw(chip, FACE_MEAN, [255.0] * 3)})[0][0]
        record[f"descriptor_{align}"] = [float(v) for v in descriptor]
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--reference-landmarks", required=True,
                        help="JSON [[x, y] x 5]: the five-point reference of the descriptor's 150x150 input")
    parser.add_argument("photos", nargs="+")
    args = parser.parse_args()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    sessions = {name: ort.InferenceSession(os.path.join(args.models, file), options,
                                           providers=["CPUExecutionProvider"])
                for name, file in (("detector", "ssd_mobilenetv1.onnx"), ("landmarks", "face_landmark_68.onnx"),
                                   ("descriptor", "dlib_face_recognition.onnx"))}
    reference = json.loads(args.reference_landmarks)
    records = [run_photo(p, sessions, reference) for p in args.photos]
    fixture = {"generator": "scripts/reference_detect.py", "onnxruntime": ort.__version__,
               "min_confidence": MIN_CONFIDENCE, "iou_threshold": IOU_THRESHOLD, "box_padding": BOX_PADDING,
               "reference_landmarks": reference, "photos": records}
    tmp = args.out + ".tmp"
    photos = fixture.pop("photos")
    with open(tmp, "w") as f:
        # One line per photo, so that a regenerated fixture diffs by photo.
        text = json.dumps(fixture, indent=1)
        f.write(text[:-2] + ',\n "photos": [\n')
        f.write(",\n".join("  " + json.dumps(p, separators=(",", ":")) for p in photos))
        f.write("\n ]\n}\n")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
