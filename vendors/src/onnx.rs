//! The `onnx` vendor: a face-recognition model in ONNX format, run by ONNX Runtime
//! through `ort`. The runtime library is loaded at run time from the file the config
//! names (`scripts/setup-onnx` installs one in `.verity-deps/`), so a missing library is
//! an error naming the path, and nothing is downloaded.
//!
//! ```toml
//! kind = "onnx"
//! name = "dlib-resnet-v1"
//! version = "face-api-1.7.15"
//! model = "model.onnx"            # relative to this file
//! # library = "/opt/onnxruntime/lib/libonnxruntime.so"   # default: .verity-deps/onnxruntime/
//! input = "input"                 # tensor names
//! output = "descriptor"
//! size = [150, 150]               # width, height
//! channels = "rgb"                # or "bgr"
//! layout = "nchw"                 # or "nhwc"
//! mean = [122.782, 117.001, 104.298]
//! std = [255.0, 255.0, 255.0]     # value = (pixel - mean) / std
//! fit = "pad"                     # pad | stretch | center-crop (with crop_fraction)
//! comparison = "euclidean"        # or "cosine"
//! batch_size = 16
//! threads = 4
//! [[thresholds]]
//! label = "dlib 0.6"
//! value = 0.625                   # in score units: 1 / (1 + 0.6)
//! ```
//!
//! Scores. `cosine`: the cosine similarity of the embeddings, -1..=1, and templates are
//! embeddings (verity may compare them by matrix products). `euclidean`: the score is
//! `1 / (1 + d)`, d the Euclidean distance of the raw embeddings, so it lies in 0..=1,
//! falls as d grows, and a distance threshold t is the score threshold 1 / (1 + t)
//! (dlib's 0.6 is 0.625); templates are opaque to verity (the f32 values, compared only
//! by this adapter), because verity compares embedding templates by cosine.
//!
//! Batching. The `Vendor` contract makes one template per call; the runner calls it
//! from many threads. Calls that arrive while the model is busy queue up and run
//! together as one batch of up to `batch_size` (the first waiting caller runs it), so a
//! parallel runner gets batched inference without a batch API in the contract.
//! [`OnnxVendor::create_templates`] takes a batch directly and decodes it in parallel.
//!
//! Alignment. With `align = "landmarks"` and the model's `reference_landmarks`, a sample
//! whose benchmark records five landmarks (capture columns `lmk_x1..lmk_y5`, e.g. from
//! an RFW import) is warped by the similarity transform that maps its landmarks onto the
//! reference points ([`preprocess::similarity_transform`], Umeyama 1991;
//! [`preprocess::warp_similarity`]). The runner passes the landmarks with the media
//! (`Vendor::create_template_with_landmarks`): geometry only, no id or label. Media
//! without landmarks are fitted as `fit` says (face crops: `pad`; near-centred faces:
//! `center-crop`).
//!
//! Raw photos. With a `[detect]` table (module [`detect`]), every image goes through a
//! face detector and a 68-point landmark model first, and the face is aligned from the
//! detected points; a photo where no face is found is a failure to acquire
//! (`face-detection-error`), never skipped. Recorded landmarks are then not used.
//!
//! ```toml
//! [detect]
//! detector = "ssd_mobilenetv1.onnx"     # scripts/convert_face_api_detect.py
//! landmarks = "face_landmark_68.onnx"
//! min_confidence = 0.5
//! iou_threshold = 0.5
//! select = "largest"                    # or "most-confident"
//! align = "box"                         # or "five-point" (with reference_landmarks)
//! box_padding = 0.2
//! ```

pub mod detect;
pub mod preprocess;

use crate::VendorError;
use crate::config::{self, ConfigText, ThresholdEntry};
use harness::vendor::{
    DeclaredThreshold, FailureCode, Landmarks, Role, Template, TemplateFailure, TemplateFormat, Vendor,
    VendorDescription, cosine,
};
use preprocess::{ChannelOrder, Fit, Layout, Preprocessing};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, OnceLock};

/// Where `scripts/setup-onnx` puts the runtime library, relative to the repository.
pub const DEFAULT_LIBRARY: &str = ".verity-deps/onnxruntime/libonnxruntime.so";

/// How two embeddings are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Comparison {
    Cosine,
    Euclidean,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnnxConfig {
    pub kind: String,
    pub name: String,
    pub version: String,
    pub model: PathBuf,
    pub library: Option<PathBuf>,
    pub input: String,
    pub output: String,
    pub size: [u32; 2],
    #[serde(default = "default_channels")]
    pub channels: ChannelOrder,
    #[serde(default = "default_layout")]
    pub layout: Layout,
    #[serde(default)]
    pub mean: [f32; 3],
    #[serde(default = "default_std")]
    pub std: [f32; 3],
    #[serde(default = "default_fit")]
    pub fit: Fit,
    #[serde(default = "default_crop_fraction")]
    pub crop_fraction: f32,
    pub comparison: Comparison,
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose.
    #[serde(default)]
    pub threads: usize,
    #[serde(default)]
    pub thresholds: Vec<ThresholdEntry>,
    /// `none` (default): media are fitted as `fit` says. `landmarks`: where the benchmark
    /// records a sample's five landmarks, the face is warped by the similarity transform
    /// that maps them onto `reference_landmarks` (Umeyama); media without landmarks
    /// fall back to `fit`.
    #[serde(default)]
    pub align: Align,
    /// The model's five reference points (left eye, right eye, nose tip, left and right
    /// mouth corner) in input pixels; required with `align = "landmarks"`.
    pub reference_landmarks: Option<[[f64; 2]; 5]>,
    /// The detection stage for raw photos (module `detect`): when present, every
    /// image goes through it and recorded landmarks are not used.
    pub detect: Option<detect::DetectConfig>,
}

/// Whether faces are aligned by landmarks before the model sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Align {
    #[default]
    None,
    Landmarks,
}

fn default_channels() -> ChannelOrder {
    ChannelOrder::Rgb
}
fn default_layout() -> Layout {
    Layout::Nchw
}
fn default_std() -> [f32; 3] {
    [1.0; 3]
}
fn default_fit() -> Fit {
    Fit::Pad
}
fn default_crop_fraction() -> f32 {
    1.0
}
fn default_batch_size() -> usize {
    16
}

/// One process holds one ONNX Runtime library and environment (an `ort` rule); a load
/// that failed is not remembered, so a later config with a good library still works.
static RUNTIME: OnceLock<(PathBuf, ort::environment::Environment)> = OnceLock::new();
static LOADING: Mutex<()> = Mutex::new(());

fn runtime(library: &Path) -> Result<&'static ort::environment::Environment, String> {
    let _loading = LOADING.lock().unwrap_or_else(|e| e.into_inner());
    if RUNTIME.get().is_none() {
        let environment = ort::init_from(library)
            .map_err(|e| format!("cannot load the ONNX Runtime library {}: {e}", library.display()))?
            .with_name("verity")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime from {}: {e}", library.display()))?;
        let _ = RUNTIME.set((library.to_path_buf(), environment));
    }
    match RUNTIME.get() {
        Some((path, environment)) if path == library => Ok(environment),
        Some((path, _)) => Err(format!(
            "this process already runs the ONNX Runtime library {}; one process can load only one, not also {}",
            path.display(),
            library.display()
        )),
        None => Err("ONNX Runtime did not start".into()),
    }
}

/// Requests waiting for the model, and the results of those that ran.
#[derive(Default)]
struct Queue {
    waiting: Vec<(u64, Vec<f32>)>,
    done: HashMap<u64, Result<Vec<f32>, String>>,
    running: bool,
    next_id: u64,
}

pub struct OnnxVendor {
    config: OnnxConfig,
    preprocessing: Preprocessing,
    session: Mutex<ort::session::Session>,
    dim: usize,
    queue: Mutex<Queue>,
    ready: Condvar,
    fingerprint: String,
    detector: Option<detect::Detector>,
}

/// The library named by the config (relative to the config file), or the default one in
/// the config file's folder or the nearest ancestor that has it, then likewise from the
/// current directory.
fn find_library(configured: Option<&Path>, base: &Path) -> Result<PathBuf, String> {
    if let Some(path) = configured {
        let path = base.join(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("the ONNX Runtime library {} does not exist (run scripts/setup-onnx)", path.display()))
        };
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut tried = Vec::new();
    for start in [base, cwd.as_path()] {
        for dir in start.ancestors() {
            let candidate = dir.join(DEFAULT_LIBRARY);
            if candidate.is_file() {
                return Ok(candidate);
            }
            tried.push(candidate);
        }
    }
    let first = tried.first().map_or_else(|| DEFAULT_LIBRARY.into(), |p| p.display().to_string());
    Err(format!(
        "no ONNX Runtime library: `library` is not set and {first} (nor {} in any parent folder) does not exist; \
         run scripts/setup-onnx or set `library`",
        DEFAULT_LIBRARY
    ))
}

impl OnnxVendor {
    /// Build from config text; relative paths are resolved against `path`'s folder.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, VendorError> {
        let file = ConfigText::new(path, text);
        let config: OnnxConfig = file.parse()?;
        if config.kind != "onnx" {
            return Err(file.error_at_key(&["kind"], format!("expected `onnx`, found `{}`", config.kind)));
        }
        check_preprocessing(&file, config.size, config.mean, config.std, config.crop_fraction)?;
        if config.batch_size == 0 || config.batch_size > 4096 {
            return Err(file.error_at_key(&["batch_size"], "batch_size must be 1..=4096"));
        }
        let range = score_range(config.comparison);
        config::check_thresholds(&file, &config.thresholds, range)?;

        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let model = base.join(&config.model);
        if !model.is_file() {
            let message = format!("the model file {} does not exist (run scripts/setup-onnx)", model.display());
            return Err(file.error_at_key(&["model"], message));
        }
        let library = find_library(config.library.as_deref(), base).map_err(|m| file.error_at_key(&["library"], m))?;
        let environment = runtime(&library).map_err(|m| file.error_at_key(&["library"], m))?;
        let session =
            build_session(environment, &model, config.threads).map_err(|m| file.error_at_key(&["model"], m))?;
        let dim = check_io(&session, &config).map_err(|(key, m)| file.error_at_key(&[key], m))?;

        let hash = |p: &Path, key: &str| {
            config::file_sha256(p).map_err(|e| file.error_at_key(&[key], format!("cannot read {}: {e}", p.display())))
        };
        let mut identity =
            format!("{text}\nmodel sha256 {}\nlibrary sha256 {}", hash(&model, "model")?, hash(&library, "library")?);
        let detector = match &config.detect {
            None => None,
            Some(detect) => {
                let mut sessions = Vec::new();
                for (key, relative) in [("detector", &detect.detector), ("landmarks", &detect.landmarks)] {
                    let at = |m: String| file.error_at_key(&["detect", key], m);
                    let path = base.join(relative);
                    if !path.is_file() {
                        return Err(at(format!(
                            "the {key} model {} does not exist (run scripts/setup-onnx)",
                            path.display()
                        )));
                    }
                    let sha =
                        config::file_sha256(&path).map_err(|e| at(format!("cannot read {}: {e}", path.display())))?;
                    identity.push_str(&format!("\n{key} sha256 {sha}"));
                    sessions.push(build_session(environment, &path, config.threads).map_err(at)?);
                }
                let landmarks = sessions.pop().expect("two sessions");
                let detector = sessions.pop().expect("two sessions");
                let stage = detect::Detector::new(detect.clone(), detector, landmarks)
                    .map_err(|(key, m)| file.error_at_key(&["detect", key], m))?;
                if detect.align == detect::DetectAlign::FivePoint && config.reference_landmarks.is_none() {
                    return Err(file.error_at_key(
                        &["detect", "align"],
                        "align = \"five-point\" needs reference_landmarks: the model's five points in input pixels",
                    ));
                }
                Some(stage)
            }
        };
        let fingerprint = config::fingerprint("onnx", &identity);
        if config.align == Align::Landmarks && config.reference_landmarks.is_none() {
            return Err(file.error_at_key(
                &["align"],
                "align = \"landmarks\" needs reference_landmarks: the model's five points in input pixels",
            ));
        }
        let preprocessing = Preprocessing {
            width: config.size[0],
            height: config.size[1],
            channels: config.channels,
            layout: config.layout,
            mean: config.mean,
            std: config.std,
            fit: config.fit,
            crop_fraction: config.crop_fraction,
        };
        Ok(OnnxVendor {
            config,
            preprocessing,
            session: Mutex::new(session),
            dim,
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            fingerprint,
            detector,
        })
    }

    pub fn from_file(path: &Path) -> Result<Self, VendorError> {
        Self::from_toml(&config::read(path)?, path)
    }

    pub fn config(&self) -> &OnnxConfig {
        &self.config
    }

    /// Embedding dimension (the model output's last axis).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Decode and preprocess media into the model input of one image; with a `[detect]`
    /// stage, through detection and alignment.
    pub fn preprocess(&self, media: &[u8]) -> Result<Vec<f32>, TemplateFailure> {
        match &self.detector {
            Some(_) => Ok(self.preprocessing.tensor(&self.face_chip(&decode(media)?)?)),
            None => self.preprocessing.tensor_from_media(media).map_err(|e| TemplateFailure {
                code: FailureCode::ParseError,
                message: format!("cannot decode the image: {e}"),
            }),
        }
    }

    /// The detection stage, where the config has one.
    pub fn detector(&self) -> Option<&detect::Detector> {
        self.detector.as_ref()
    }

    /// The recognition model's input image of the face the detection stage finds in a
    /// photo; no face is a failure to acquire (`face-detection-error`).
    pub fn face_chip(&self, image: &image::RgbImage) -> Result<image::RgbImage, TemplateFailure> {
        let Some(stage) = &self.detector else {
            return Ok(self.preprocessing.fit_image(image));
        };
        let vendor_error = |message: String| TemplateFailure { code: FailureCode::VendorError, message };
        let found = stage.detect(image).map_err(vendor_error)?;
        if found.chosen.is_none() {
            return Err(TemplateFailure {
                code: FailureCode::FaceDetectionError,
                message: format!("no face found (min_confidence {})", stage.config().min_confidence),
            });
        }
        let (w, h) = (self.preprocessing.width, self.preprocessing.height);
        let transform = stage
            .chip_transform(&found.landmarks, w, h, self.config.reference_landmarks.as_ref())
            .ok_or_else(|| TemplateFailure {
                code: FailureCode::FaceDetectionError,
                message: "the detected landmarks coincide: no alignment is defined".into(),
            })?;
        Ok(preprocess::warp_similarity(image, transform, w, h))
    }

    /// Decode media, warp the face so that its landmarks fall on `reference` (the
    /// model's template), and make the model input.
    pub fn preprocess_aligned(
        &self,
        media: &[u8],
        landmarks: &Landmarks,
        reference: &[[f64; 2]; 5],
    ) -> Result<Vec<f32>, TemplateFailure> {
        let image = decode(media)?;
        let transform = preprocess::similarity_transform(&landmarks.0, reference).ok_or_else(|| TemplateFailure {
            code: FailureCode::FaceDetectionError,
            message: "the five landmarks coincide: no alignment is defined".into(),
        })?;
        let p = &self.preprocessing;
        Ok(p.tensor(&preprocess::warp_similarity(&image, transform, p.width, p.height)))
    }

    /// Run the model on preprocessed inputs (each [`Preprocessing::len`] values), in
    /// batches of at most `batch_size`; one embedding per input.
    pub fn embed(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, String> {
        let mut out = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(self.config.batch_size) {
            out.extend(self.run_batch(chunk)?);
        }
        Ok(out)
    }

    /// Make templates for a batch of media: decoded in parallel, then run in batches.
    pub fn create_templates(&self, media: &[&[u8]]) -> Vec<Result<Template, TemplateFailure>> {
        let inputs: Vec<Result<Vec<f32>, TemplateFailure>> = media.par_iter().map(|m| self.preprocess(m)).collect();
        let ok: Vec<Vec<f32>> = inputs.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
        let mut embeddings = match self.embed(&ok) {
            Ok(e) => e.into_iter(),
            Err(message) => {
                let failure = TemplateFailure { code: FailureCode::VendorError, message };
                return inputs.into_iter().map(|r| r.and(Err(failure.clone()))).collect();
            }
        };
        inputs.into_iter().map(|r| r.and_then(|_| self.template(embeddings.next().unwrap_or_default()))).collect()
    }

    fn template(&self, embedding: Vec<f32>) -> Result<Template, TemplateFailure> {
        if embedding.len() != self.dim || embedding.iter().any(|x| !x.is_finite()) {
            return Err(TemplateFailure {
                code: FailureCode::FeatureExtractionError,
                message: format!("the model gave {} values, or values that are not finite", embedding.len()),
            });
        }
        Ok(Template::from_embedding(&embedding))
    }

    fn run_batch(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, String> {
        let n = inputs.len();
        let (w, h) = (self.preprocessing.width as usize, self.preprocessing.height as usize);
        let shape = match self.config.layout {
            Layout::Nchw => [n, 3, h, w],
            Layout::Nhwc => [n, h, w, 3],
        };
        let data: Vec<f32> = inputs.concat();
        if data.len() != n * self.preprocessing.len() {
            return Err("an input tensor has the wrong length".into());
        }
        let tensor = ort::value::TensorRef::from_array_view((shape, &data[..])).map_err(|e| e.to_string())?;
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session
            .run(ort::inputs![self.config.input.as_str() => tensor])
            .map_err(|e| format!("ONNX Runtime failed: {e}"))?;
        let output = outputs
            .get(self.config.output.as_str())
            .ok_or_else(|| format!("the model gave no output `{}`", self.config.output))?;
        let (_, values) = output.try_extract_tensor::<f32>().map_err(|e| e.to_string())?;
        if values.len() != n * self.dim {
            return Err(format!("the model gave {} values for {n} images of dimension {}", values.len(), self.dim));
        }
        Ok(values.chunks_exact(self.dim).map(<[f32]>::to_vec).collect())
    }

    /// Run one input with whatever other callers are waiting (see the module docs).
    fn run_queued(&self, input: Vec<f32>) -> Result<Vec<f32>, String> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let id = queue.next_id;
        queue.next_id += 1;
        queue.waiting.push((id, input));
        loop {
            if let Some(result) = queue.done.remove(&id) {
                return result;
            }
            if queue.running {
                queue = self.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            queue.running = true;
            let take = queue.waiting.len().min(self.config.batch_size);
            let batch: Vec<(u64, Vec<f32>)> = queue.waiting.drain(..take).collect();
            drop(queue);
            let (ids, inputs): (Vec<u64>, Vec<Vec<f32>>) = batch.into_iter().unzip();
            let results = self.run_batch(&inputs);
            queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            match results {
                Ok(embeddings) => queue.done.extend(ids.into_iter().zip(embeddings.into_iter().map(Ok))),
                Err(e) => queue.done.extend(ids.into_iter().map(|i| (i, Err(e.clone())))),
            }
            queue.running = false;
            self.ready.notify_all();
        }
    }

    fn embedding_of(&self, template: &Template) -> Result<Vec<f32>, TemplateFailure> {
        template.embedding(self.dim)
    }
}

/// Decode media bytes (PNG or JPEG) to RGB.
fn decode(media: &[u8]) -> Result<image::RgbImage, TemplateFailure> {
    Ok(image::load_from_memory(media)
        .map_err(|e| TemplateFailure {
            code: FailureCode::ParseError,
            message: format!("cannot decode the image: {e}"),
        })?
        .to_rgb8())
}

/// Check the preprocessing keys a model config shares (`onnx`, `candle`).
pub(crate) fn check_preprocessing(
    file: &ConfigText,
    size: [u32; 2],
    mean: [f32; 3],
    std: [f32; 3],
    crop_fraction: f32,
) -> Result<(), VendorError> {
    if size[0] == 0 || size[1] == 0 || size[0] > 4096 || size[1] > 4096 {
        return Err(file.error_at_key(&["size"], "size is [width, height], each 1..=4096"));
    }
    if std.iter().any(|s| !s.is_finite() || *s == 0.0) || mean.iter().any(|m| !m.is_finite()) {
        return Err(file.error_at_key(&["std"], "mean and std must be finite, std non-zero"));
    }
    if !(crop_fraction > 0.0 && crop_fraction <= 1.0) {
        return Err(file.error_at_key(&["crop_fraction"], "crop_fraction must be in (0, 1]"));
    }
    Ok(())
}

/// The score range of a comparison: cosine -1..=1, `1 / (1 + d)` 0..=1.
pub(crate) fn score_range(comparison: Comparison) -> (f64, f64) {
    match comparison {
        Comparison::Cosine => (-1.0, 1.0),
        Comparison::Euclidean => (0.0, 1.0),
    }
}

fn build_session(
    environment: &ort::environment::Environment,
    model: &Path,
    threads: usize,
) -> Result<ort::session::Session, String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot load the model {}: {e}", model.display());
    let mut builder = ort::session::Session::builder(environment).map_err(|e| fail(&e))?;
    if threads > 0 {
        builder = builder.with_intra_threads(threads).map_err(|e| fail(&e))?;
    }
    builder.commit_from_file(model).map_err(|e| fail(&e))
}

/// Check the configured tensor names against the model; the embedding dimension.
fn check_io(session: &ort::session::Session, config: &OnnxConfig) -> Result<usize, (&'static str, String)> {
    let names = |outlets: &[ort::value::Outlet]| outlets.iter().map(|o| o.name().to_string()).collect::<Vec<_>>();
    let inputs = names(session.inputs());
    if !inputs.contains(&config.input) {
        return Err(("input", format!("the model has no input `{}`; its inputs: {}", config.input, inputs.join(", "))));
    }
    let outlet = session.outputs().iter().find(|o| o.name() == config.output).ok_or_else(|| {
        let outputs = names(session.outputs());
        ("output", format!("the model has no output `{}`; its outputs: {}", config.output, outputs.join(", ")))
    })?;
    let dim = outlet.dtype().tensor_shape().and_then(|s| s.last().copied()).unwrap_or(-1);
    if dim <= 0 {
        return Err(("output", format!("the output `{}` has no fixed last dimension", config.output)));
    }
    Ok(dim as usize)
}

impl Vendor for OnnxVendor {
    fn describe(&self) -> VendorDescription {
        let c = &self.config;
        model_description(&c.name, &c.version, c.comparison, &c.thresholds, "the model's embeddings", self.dim)
    }

    fn create_template(&self, media: &[u8], role: Role) -> Result<Template, TemplateFailure> {
        self.create_template_with_landmarks(media, role, None)
    }

    fn create_template_with_landmarks(
        &self,
        media: &[u8],
        _role: Role,
        landmarks: Option<&Landmarks>,
    ) -> Result<Template, TemplateFailure> {
        let input = match (self.config.align, landmarks, self.config.reference_landmarks) {
            (Align::Landmarks, Some(l), Some(reference)) if self.detector.is_none() => {
                self.preprocess_aligned(media, l, &reference)?
            }
            _ => self.preprocess(media)?,
        };
        let embedding =
            self.run_queued(input).map_err(|message| TemplateFailure { code: FailureCode::VendorError, message })?;
        self.template(embedding)
    }

    fn compare(&self, probe: &Template, reference: &Template) -> Result<f64, TemplateFailure> {
        let (a, b) = (self.embedding_of(probe)?, self.embedding_of(reference)?);
        Ok(compare_embeddings(self.config.comparison, &a, &b))
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

/// The description of a model vendor (`onnx`, `candle`) whose embeddings of `dim`
/// values (`what`, in words) are compared as `comparison` says.
pub(crate) fn model_description(
    name: &str,
    version: &str,
    comparison: Comparison,
    thresholds: &[ThresholdEntry],
    what: &str,
    dim: usize,
) -> VendorDescription {
    let (score_min, score_max) = score_range(comparison);
    let (score_meaning, template) = match comparison {
        Comparison::Cosine => (format!("cosine similarity of {what}"), TemplateFormat::Embedding { dim }),
        Comparison::Euclidean => (
            format!("1 / (1 + d), d the Euclidean distance of {what} (distance t is score 1 / (1 + t))"),
            TemplateFormat::Opaque,
        ),
    };
    VendorDescription {
        name: name.to_string(),
        version: version.to_string(),
        score_min,
        score_max,
        score_meaning,
        thresholds: thresholds.iter().map(|t| DeclaredThreshold { label: t.label.clone(), value: t.value }).collect(),
        template,
    }
}

/// The score of two embeddings under `comparison`.
pub(crate) fn compare_embeddings(comparison: Comparison, a: &[f32], b: &[f32]) -> f64 {
    match comparison {
        Comparison::Cosine => cosine(a, b),
        Comparison::Euclidean => 1.0 / (1.0 + euclidean(a, b)),
    }
}

/// Euclidean distance, accumulated in f64.
pub fn euclidean(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "kind = \"onnx\"\nname = \"m\"\nversion = \"1\"\nmodel = \"missing.onnx\"\n\
        input = \"input\"\noutput = \"out\"\nsize = [150, 150]\ncomparison = \"euclidean\"\n";

    #[test]
    fn a_missing_model_is_a_located_error() {
        let e = OnnxVendor::from_toml(MINIMAL, Path::new("/nonexistent/v.toml")).err().unwrap().to_string();
        assert!(e.contains("line 4") && e.contains("`model`") && e.contains("/nonexistent/missing.onnx"), "{e}");
    }

    #[test]
    fn a_missing_library_names_the_path() {
        let dir = std::env::temp_dir().join(format!("verity-onnx-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("missing.onnx"), b"not a model").unwrap();
        let text = format!("{MINIMAL}library = \"no/such/libonnxruntime.so\"\n");
        let e = OnnxVendor::from_toml(&text, &dir.join("v.toml")).err().unwrap().to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            e.contains("`library`") && e.contains("no/such/libonnxruntime.so") && e.contains("does not exist"),
            "{e}"
        );
    }

    #[test]
    fn thresholds_must_lie_in_the_score_range() {
        let text = format!("{MINIMAL}[[thresholds]]\nlabel = \"t\"\nvalue = 1.5\n");
        let e = OnnxVendor::from_toml(&text, Path::new("v.toml")).err().unwrap().to_string();
        assert!(e.contains("outside the score range 0..=1"), "{e}");
    }

    #[test]
    fn euclidean_distance() {
        assert!((euclidean(&[0.0, 3.0], &[4.0, 0.0]) - 5.0).abs() < 1e-12);
    }
}
