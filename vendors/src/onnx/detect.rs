//! The `onnx` adapter's detection stage for raw photos (docs/adapters.md, "Raw
//! photos"): a face detector and a 68-point landmark model in ONNX, then an alignment
//! from the detected points. The models' contract is that of face-api's SSD MobileNet
//! v1 and 68-point landmark net as `scripts/convert_face_api_detect.py` writes them:
//!
//! - detector: input `image` [N, 3, S, S] (RGB, pixel / 127.5 - 1), outputs `boxes`
//!   [N, A, 4] (ymin, xmin, ymax, xmax in units of S) and `scores` [N, A];
//! - landmarks: input `image` [N, 3, L, L] (RGB, (pixel - [122.782, 117.001, 104.298]) /
//!   255), output `landmarks` [N, 136] (x0, y0, ..., x67, y67 in units of L).
//!
//! The steps, each a bilinear warp by a similarity transform
//! ([`preprocess::warp_similarity`]):
//! 1. the photo scaled by S / max(width, height) into the S x S detector input (the
//!    rest black);
//! 2. boxes with a score above `min_confidence`, by decreasing score, each kept unless
//!    its intersection over union with a kept box exceeds `iou_threshold` (at most 100);
//!    clipped to the photo;
//! 3. one face chosen: the largest box (`select = "largest"`), or the highest score;
//! 4. the square of side max(box width, height) centred on its box, scaled into the L x L
//!    landmark input; the 68 points mapped back to the photo;
//! 5. the recognition model's input: `align = "box"` scales the square around the box of
//!    the 68 points, padded by `box_padding` of its width and height (face-api's own
//!    alignment); `align = "five-point"` maps the eye centres (mean of points 36-41 and
//!    42-47), nose tip (30) and mouth corners (48, 54) onto `reference_landmarks` by
//!    the least-squares similarity.
//!
//! A photo where no box passes is a failure to acquire (`face-detection-error`), which
//! the analysis counts per group (FTA); it is never skipped.

use super::preprocess::{self, ChannelOrder, Fit, Layout, Preprocessing};
use image::RgbImage;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Mutex;

/// The normalisation of the landmark model's input (face-api's mean RGB, / 255).
const LANDMARK_MEAN: [f32; 3] = [122.782, 117.001, 104.298];
/// At most this many faces are kept per photo (face-api's default).
const MAX_FACES: usize = 100;

/// The `[detect]` table of an `onnx` vendor config.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// The detector model, relative to the config file.
    pub detector: PathBuf,
    /// The 68-point landmark model, relative to the config file.
    pub landmarks: PathBuf,
    #[serde(default = "default_half")]
    pub min_confidence: f64,
    #[serde(default = "default_half")]
    pub iou_threshold: f64,
    #[serde(default)]
    pub select: Select,
    #[serde(default)]
    pub align: DetectAlign,
    #[serde(default = "default_box_padding")]
    pub box_padding: f64,
}

fn default_half() -> f64 {
    0.5
}
fn default_box_padding() -> f64 {
    0.2
}

/// Which face of a photo with several is the sample's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Select {
    #[default]
    Largest,
    MostConfident,
}

/// How the detected points place the face in the recognition model's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectAlign {
    #[default]
    Box,
    FivePoint,
}

/// A detected face: its box in photo pixels (x0, y0, x1, y1) and score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    pub bbox: [f64; 4],
    pub score: f64,
}

impl Face {
    fn area(&self) -> f64 {
        (self.bbox[2] - self.bbox[0]) * (self.bbox[3] - self.bbox[1])
    }
}

/// Everything the stage found in one photo.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub faces: Vec<Face>,
    /// Index into `faces` of the sample's face; `None` when there is none.
    pub chosen: Option<usize>,
    /// The chosen face's 68 points in photo pixels (empty without a face).
    pub landmarks: Vec<[f64; 2]>,
}

pub struct Detector {
    config: DetectConfig,
    detector: Mutex<ort::session::Session>,
    landmarks: Mutex<ort::session::Session>,
    detector_size: u32,
    landmark_size: u32,
}

/// The spatial side of a model's square input `image` [N, 3, S, S].
fn square_input(session: &ort::session::Session, what: &str) -> Result<u32, String> {
    let input = session
        .inputs()
        .iter()
        .find(|o| o.name() == "image")
        .ok_or_else(|| format!("the {what} model has no input `image`"))?;
    let shape: Vec<i64> = input.dtype().tensor_shape().map(|s| s.iter().copied().collect()).unwrap_or_default();
    match shape[..] {
        [_, 3, h, w] if h == w && h > 0 && h <= 4096 => Ok(h as u32),
        _ => Err(format!("the {what} model's input `image` is {shape:?}, not [N, 3, S, S] with a fixed S")),
    }
}

fn has_outputs(session: &ort::session::Session, names: &[&str], what: &str) -> Result<(), String> {
    for name in names {
        if !session.outputs().iter().any(|o| o.name() == *name) {
            return Err(format!("the {what} model has no output `{name}`"));
        }
    }
    Ok(())
}

impl Detector {
    /// Wrap the two loaded sessions, checking their inputs and outputs; the error names
    /// the `[detect]` key at fault.
    pub(crate) fn new(
        config: DetectConfig,
        detector: ort::session::Session,
        landmarks: ort::session::Session,
    ) -> Result<Self, (&'static str, String)> {
        let detector_size = square_input(&detector, "detector").map_err(|m| ("detector", m))?;
        has_outputs(&detector, &["boxes", "scores"], "detector").map_err(|m| ("detector", m))?;
        let landmark_size = square_input(&landmarks, "landmark").map_err(|m| ("landmarks", m))?;
        has_outputs(&landmarks, &["landmarks"], "landmark").map_err(|m| ("landmarks", m))?;
        if !(config.min_confidence > 0.0 && config.min_confidence < 1.0) {
            return Err(("min_confidence", "min_confidence must be in (0, 1)".into()));
        }
        if !(config.iou_threshold > 0.0 && config.iou_threshold <= 1.0) {
            return Err(("iou_threshold", "iou_threshold must be in (0, 1]".into()));
        }
        if !(config.box_padding >= 0.0 && config.box_padding <= 2.0) {
            return Err(("box_padding", "box_padding must be in [0, 2]".into()));
        }
        Ok(Detector {
            config,
            detector: Mutex::new(detector),
            landmarks: Mutex::new(landmarks),
            detector_size,
            landmark_size,
        })
    }

    pub fn config(&self) -> &DetectConfig {
        &self.config
    }

    /// Steps 1-2: every face the detector finds, in photo pixels, by decreasing score.
    pub fn faces(&self, image: &RgbImage) -> Result<Vec<Face>, String> {
        let (w, h) = (image.width() as f64, image.height() as f64);
        let side = w.max(h);
        let size = self.detector_size;
        let input = preprocess::warp_similarity(image, [size as f64 / side, 0.0, 0.0, 0.0], size, size);
        let tensor = square_tensor(size, [127.5; 3], [127.5; 3]).tensor(&input);
        let mut session = self.detector.lock().unwrap_or_else(|e| e.into_inner());
        let shape = [1, 3, size as usize, size as usize];
        let value = ort::value::TensorRef::from_array_view((shape, &tensor[..])).map_err(|e| e.to_string())?;
        let outputs = session.run(ort::inputs!["image" => value]).map_err(|e| format!("the detector failed: {e}"))?;
        let (_, boxes) = outputs["boxes"].try_extract_tensor::<f32>().map_err(|e| e.to_string())?;
        let (_, scores) = outputs["scores"].try_extract_tensor::<f32>().map_err(|e| e.to_string())?;
        if boxes.len() != 4 * scores.len() {
            return Err(format!("the detector gave {} box values for {} scores", boxes.len(), scores.len()));
        }
        let boxes: Vec<[f64; 4]> =
            boxes.chunks_exact(4).map(|b| [b[0] as f64, b[1] as f64, b[2] as f64, b[3] as f64]).collect();
        let scores: Vec<f64> = scores.iter().map(|&s| s as f64).collect();
        let kept = non_max_suppression(&boxes, &scores, self.config.min_confidence, self.config.iou_threshold);
        Ok(kept
            .into_iter()
            .map(|i| {
                let [y0, x0, y1, x1] = boxes[i].map(|v| v.clamp(0.0, 1.0) * side);
                Face { bbox: [x0.min(w), y0.min(h), x1.min(w), y1.min(h)], score: scores[i] }
            })
            .collect())
    }

    /// Step 4: the 68 points of the face in `bbox`, in photo pixels.
    pub fn landmarks(&self, image: &RgbImage, face: &Face) -> Result<Vec<[f64; 2]>, String> {
        let size = self.landmark_size;
        let transform =
            square_transform(face.bbox, size as f64).ok_or_else(|| format!("the face box {:?} is empty", face.bbox))?;
        let crop = preprocess::warp_similarity(image, transform, size, size);
        let tensor = square_tensor(size, LANDMARK_MEAN, [255.0; 3]).tensor(&crop);
        let mut session = self.landmarks.lock().unwrap_or_else(|e| e.into_inner());
        let shape = [1, 3, size as usize, size as usize];
        let value = ort::value::TensorRef::from_array_view((shape, &tensor[..])).map_err(|e| e.to_string())?;
        let outputs =
            session.run(ort::inputs!["image" => value]).map_err(|e| format!("the landmark model failed: {e}"))?;
        let (_, values) = outputs["landmarks"].try_extract_tensor::<f32>().map_err(|e| e.to_string())?;
        if values.len() != 136 || values.iter().any(|v| !v.is_finite()) {
            return Err(format!("the landmark model gave {} values, or values that are not finite", values.len()));
        }
        let [scale, _, tx, ty] = transform;
        Ok(values
            .chunks_exact(2)
            .map(|p| [(p[0] as f64 * size as f64 - tx) / scale, (p[1] as f64 * size as f64 - ty) / scale])
            .collect())
    }

    /// Steps 1-4 on one photo.
    pub fn detect(&self, image: &RgbImage) -> Result<Detection, String> {
        let faces = self.faces(image)?;
        let chosen = choose(&faces, self.config.select);
        let landmarks = match chosen {
            Some(i) => self.landmarks(image, &faces[i])?,
            None => Vec::new(),
        };
        Ok(Detection { faces, chosen, landmarks })
    }

    /// Step 5: the similarity transform that places the face with these 68 points in a
    /// `width` x `height` model input; `None` when the points are degenerate.
    pub fn chip_transform(
        &self,
        points: &[[f64; 2]],
        width: u32,
        height: u32,
        reference: Option<&[[f64; 2]; 5]>,
    ) -> Option<[f64; 4]> {
        match (self.config.align, reference) {
            (DetectAlign::FivePoint, Some(reference)) => {
                preprocess::similarity_transform(&five_points(points)?, reference)
            }
            _ => {
                let (mut x0, mut y0, mut x1, mut y1) =
                    (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
                for p in points {
                    (x0, y0, x1, y1) = (x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1]));
                }
                let (pw, ph) = ((x1 - x0) * self.config.box_padding / 2.0, (y1 - y0) * self.config.box_padding / 2.0);
                // A square input; for a non-square one the longer side sets the scale.
                let t = square_transform([x0 - pw, y0 - ph, x1 + pw, y1 + ph], width.max(height) as f64)?;
                let (dx, dy) = ((width.max(height) - width) as f64 / 2.0, (width.max(height) - height) as f64 / 2.0);
                Some([t[0], 0.0, t[2] - dx, t[3] - dy])
            }
        }
    }
}

/// A plain RGB, NCHW preprocessing of a square image already at its size.
fn square_tensor(size: u32, mean: [f32; 3], std: [f32; 3]) -> Preprocessing {
    Preprocessing {
        width: size,
        height: size,
        channels: ChannelOrder::Rgb,
        layout: Layout::Nchw,
        mean,
        std,
        fit: Fit::Stretch,
        crop_fraction: 1.0,
    }
}

/// The scale and shift `[s, 0, tx, ty]` that map the square of side max(w, h), centred
/// on the box (x0, y0, x1, y1), onto [0, size) x [0, size).
pub fn square_transform(bbox: [f64; 4], size: f64) -> Option<[f64; 4]> {
    let side = (bbox[2] - bbox[0]).max(bbox[3] - bbox[1]);
    if !(side > 0.0 && side.is_finite()) {
        return None;
    }
    let scale = size / side;
    let (cx, cy) = ((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0);
    Some([scale, 0.0, -(cx - side / 2.0) * scale, -(cy - side / 2.0) * scale])
}

/// The five points of a 68-point face: eye centres, nose tip, mouth corners.
pub fn five_points(points: &[[f64; 2]]) -> Option<[[f64; 2]; 5]> {
    if points.len() != 68 {
        return None;
    }
    let mean = |range: std::ops::Range<usize>| {
        let n = range.len() as f64;
        let s = points[range].iter().fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
        [s[0] / n, s[1] / n]
    };
    Some([mean(36..42), mean(42..48), points[30], points[48], points[54]])
}

/// Intersection over union of two boxes given as two opposite corners (either order).
pub fn iou(p: &[f64; 4], q: &[f64; 4]) -> f64 {
    let norm = |b: &[f64; 4]| [b[0].min(b[2]), b[1].min(b[3]), b[0].max(b[2]), b[1].max(b[3])];
    let (a, b) = (norm(p), norm(q));
    let area = |b: &[f64; 4]| (b[2] - b[0]) * (b[3] - b[1]);
    let (area_a, area_b) = (area(&a), area(&b));
    if area_a <= 0.0 || area_b <= 0.0 {
        return 0.0;
    }
    let inter = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0) * (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    inter / (area_a + area_b - inter)
}

/// Greedy non-maximum suppression: the indices of the boxes kept, by decreasing score
/// (ties by index); a box is kept when its score exceeds `min_score` and its IoU with
/// every box kept before it is at most `iou_threshold`; at most 100.
pub fn non_max_suppression(boxes: &[[f64; 4]], scores: &[f64], min_score: f64, iou_threshold: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len().min(boxes.len())).filter(|&i| scores[i] > min_score).collect();
    order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]).then(i.cmp(&j)));
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        if kept.len() == MAX_FACES {
            break;
        }
        if kept.iter().all(|&j| iou(&boxes[i], &boxes[j]) <= iou_threshold) {
            kept.push(i);
        }
    }
    kept
}

/// The sample's face among `faces`: the largest box (then the higher score, then the
/// first), or the highest score (then the first).
pub fn choose(faces: &[Face], select: Select) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, face) in faces.iter().enumerate() {
        let better = match best.map(|b| &faces[b]) {
            None => true,
            Some(b) => match select {
                Select::Largest => face.area() > b.area() || (face.area() == b.area() && face.score > b.score),
                Select::MostConfident => face.score > b.score,
            },
        };
        if better {
            best = Some(i);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_of_known_boxes() {
        let a = [0.0, 0.0, 2.0, 2.0];
        assert_eq!(iou(&a, &a), 1.0);
        // [1, 1]-[2, 3] overlaps 1 x 1 of union 4 + 2 - 1; corners in either order.
        assert!((iou(&a, &[2.0, 3.0, 1.0, 1.0]) - 1.0 / 5.0).abs() < 1e-12);
        assert!((iou(&a, &[1.0, 0.0, 3.0, 2.0]) - 2.0 / 6.0).abs() < 1e-12);
        assert_eq!(iou(&a, &[5.0, 5.0, 6.0, 6.0]), 0.0);
        assert_eq!(iou(&a, &[1.0, 1.0, 1.0, 3.0]), 0.0, "an empty box overlaps nothing");
    }

    #[test]
    fn suppression_keeps_the_best_of_each_cluster() {
        let boxes = [
            [0.0, 0.0, 1.0, 1.0],
            [0.0, 0.05, 1.0, 1.05], // IoU with 0: 0.95 / 1.05 > 0.5
            [2.0, 2.0, 3.0, 3.0],
            [0.0, 0.6, 1.0, 1.6], // IoU with 0: 0.4 / 1.6 = 0.25
            [5.0, 5.0, 6.0, 6.0],
        ];
        let scores = [0.9, 0.95, 0.6, 0.7, 0.5];
        // Box 4's score is not above 0.5; box 0 falls to box 1.
        assert_eq!(non_max_suppression(&boxes, &scores, 0.5, 0.5), vec![1, 3, 2]);
        // A stricter overlap rule also drops box 3 (IoU with box 1: 0.45 / 1.55 = 0.29).
        assert_eq!(non_max_suppression(&boxes, &scores, 0.5, 0.2), vec![1, 2]);
        // Equal scores keep the first.
        assert_eq!(non_max_suppression(&boxes[..2], &[0.8, 0.8], 0.5, 0.5), vec![0]);
    }

    #[test]
    fn choosing_a_face() {
        let face = |x1: f64, score: f64| Face { bbox: [0.0, 0.0, x1, 1.0], score };
        let faces = [face(1.0, 0.9), face(3.0, 0.6), face(3.0, 0.7), face(2.0, 0.99)];
        assert_eq!(choose(&faces, Select::Largest), Some(2));
        assert_eq!(choose(&faces, Select::MostConfident), Some(3));
        assert_eq!(choose(&[], Select::Largest), None);
    }

    #[test]
    fn the_square_around_a_box() {
        // A 4 x 2 box centred on (3, 2): the square is x 1..5, y 0..4, scaled by 112 / 4.
        let t = square_transform([1.0, 1.0, 5.0, 3.0], 112.0).unwrap();
        assert_eq!(t, [28.0, 0.0, -28.0, 0.0]);
        assert!(square_transform([1.0, 1.0, 1.0, 1.0], 112.0).is_none());
    }

    #[test]
    fn five_points_of_sixty_eight() {
        let points: Vec<[f64; 2]> = (0..68).map(|i| [i as f64, 2.0 * i as f64]).collect();
        let five = five_points(&points).unwrap();
        assert_eq!(five, [[38.5, 77.0], [44.5, 89.0], [30.0, 60.0], [48.0, 96.0], [54.0, 108.0]]);
        assert!(five_points(&points[..5]).is_none());
    }
}
