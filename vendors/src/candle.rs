//! The `candle` vendor: a face-recognition network run natively in Rust on candle's CPU
//! tensors, from safetensors weights (docs/adapters.md, "candle"). Built with the
//! `candle` feature.
//!
//! ```toml
//! kind = "candle"
//! name = "dlib-resnet-v1-candle"
//! version = "face-api-1.7.15"
//! network = "dlib-resnet-v1"
//! weights = "../../.verity-deps/models/dlib_face_recognition.safetensors"
//! size = [150, 150]
//! channels = "rgb"
//! mean = [122.782, 117.001, 104.298]
//! std = [255.0, 255.0, 255.0]
//! fit = "pad"
//! comparison = "euclidean"
//! ```
//!
//! `network = "dlib-resnet-v1"` is dlib's ResNet face descriptor as face-api packages it
//! (the network the `onnx` adapter runs from examples/onnx-dlib/): a 7x7 stride-2
//! convolution, a 3x3 stride-2 max pool, residual blocks of 32, 64, 128 and 256
//! channels, a mean over the image and a 256 -> 128 linear layer. Every convolution is
//! followed by a per-channel scale (`x * s + t`, folded into the convolution's filters
//! and bias when the weights are loaded); a down-sampling block adds its 3x3
//! stride-2 branch to the 2x2 average pool of its input, padding the branch with one zero
//! row and column and the pool with zero channels where their shapes differ
//! (scripts/convert_face_api.py writes the weights and documents the same graph).
//! Preprocessing and scores are the `onnx` adapter's (`onnx::preprocess`, `comparison`).

use crate::VendorError;
use crate::config::{self, ConfigText, ThresholdEntry};
use crate::onnx::preprocess::{ChannelOrder, Fit, Layout, Preprocessing};
use crate::onnx::{Comparison, compare_embeddings, model_description, score_range};
use candle_core::{DType, Device, Tensor};
use harness::vendor::{FailureCode, Role, Template, TemplateFailure, Vendor, VendorDescription};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The networks this adapter implements.
pub const NETWORKS: &[&str] = &["dlib-resnet-v1"];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandleConfig {
    pub kind: String,
    pub name: String,
    pub version: String,
    pub network: String,
    pub weights: PathBuf,
    pub size: [u32; 2],
    #[serde(default = "default_channels")]
    pub channels: ChannelOrder,
    #[serde(default)]
    pub mean: [f32; 3],
    #[serde(default = "default_std")]
    pub std: [f32; 3],
    #[serde(default = "default_fit")]
    pub fit: Fit,
    #[serde(default = "default_crop_fraction")]
    pub crop_fraction: f32,
    pub comparison: Comparison,
    #[serde(default)]
    pub thresholds: Vec<ThresholdEntry>,
}

fn default_channels() -> ChannelOrder {
    ChannelOrder::Rgb
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

/// A convolution with the per-channel scale after it folded in: `(W * x + b) * s + t`
/// is computed as `(W s) * x + (b s + t)`, one pass over the output instead of three.
struct ConvLayer {
    filters: Tensor,
    bias: Tensor,
    stride: usize,
    padding: usize,
    relu: bool,
}

impl ConvLayer {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = x.conv2d(&self.filters, self.padding, self.stride, 1, 1)?.broadcast_add(&self.bias)?;
        if self.relu { y.relu() } else { Ok(y) }
    }
}

/// A residual block: same-size (`down` false) or down-sampling.
struct Block {
    conv1: ConvLayer,
    conv2: ConvLayer,
    down: bool,
}

impl Block {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = self.conv2.forward(&self.conv1.forward(x)?)?;
        if !self.down {
            return (y + x)?.relu();
        }
        let mut pooled = x.avg_pool2d((2, 2))?;
        let mut y = y;
        let (py, yy) = (pooled.dim(2)?, y.dim(2)?);
        if py == yy + 1 {
            y = y.pad_with_zeros(2, 0, 1)?.pad_with_zeros(3, 0, 1)?;
        }
        let (cp, cy) = (pooled.dim(1)?, y.dim(1)?);
        if cy > cp {
            pooled = pooled.pad_with_zeros(1, 0, cy - cp)?;
        }
        (pooled + y)?.relu()
    }
}

/// dlib's ResNet face descriptor.
struct DlibResnet {
    stem: ConvLayer,
    blocks: Vec<Block>,
    fc: Tensor,
}

/// The blocks in order: name, input channels, output channels, down-sampling.
const BLOCKS: [(&str, usize, usize, bool); 14] = [
    ("conv32_1", 32, 32, false),
    ("conv32_2", 32, 32, false),
    ("conv32_3", 32, 32, false),
    ("conv64_down", 32, 64, true),
    ("conv64_1", 64, 64, false),
    ("conv64_2", 64, 64, false),
    ("conv64_3", 64, 64, false),
    ("conv128_down", 64, 128, true),
    ("conv128_1", 128, 128, false),
    ("conv128_2", 128, 128, false),
    ("conv256_down", 128, 256, true),
    ("conv256_1", 256, 256, false),
    ("conv256_2", 256, 256, false),
    ("conv256_down_out", 256, 256, true),
];

/// The descriptor's length.
const DIM: usize = 128;

/// Take the named tensors from the weights, checking each one's shape.
struct Weights {
    tensors: HashMap<String, Tensor>,
}

impl Weights {
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Tensor, String> {
        let t = self.tensors.remove(name).ok_or_else(|| format!("has no tensor `{name}`"))?;
        if t.dims() != shape {
            return Err(format!("tensor `{name}` has shape {:?}, expected {shape:?}", t.dims()));
        }
        if t.dtype() != DType::F32 {
            return Err(format!("tensor `{name}` is {:?}, expected F32", t.dtype()));
        }
        Ok(t)
    }

    fn conv(
        &mut self,
        prefix: &str,
        (cin, cout, kernel): (usize, usize, usize),
        stride: usize,
        padding: usize,
        relu: bool,
    ) -> Result<ConvLayer, String> {
        let filters = self.take(&format!("{prefix}/conv/filters"), &[cout, cin, kernel, kernel])?;
        let bias = self.take(&format!("{prefix}/conv/bias"), &[cout])?;
        let scale = self.take(&format!("{prefix}/scale/weights"), &[cout])?;
        let shift = self.take(&format!("{prefix}/scale/biases"), &[cout])?;
        let fold = || -> candle_core::Result<(Tensor, Tensor)> {
            let filters = filters.broadcast_mul(&scale.reshape((cout, 1, 1, 1))?)?;
            let bias = ((bias * &scale)? + shift)?.reshape((1, cout, 1, 1))?;
            Ok((filters, bias))
        };
        let (filters, bias) = fold().map_err(|e| format!("cannot fold the scale of `{prefix}`: {e}"))?;
        Ok(ConvLayer { filters, bias, stride, padding, relu })
    }
}

impl DlibResnet {
    fn load(tensors: HashMap<String, Tensor>) -> Result<Self, String> {
        let mut w = Weights { tensors };
        let stem = w.conv("conv32_down", (3, 32, 7), 2, 0, true)?;
        let mut blocks = Vec::with_capacity(BLOCKS.len());
        for (name, cin, cout, down) in BLOCKS {
            let (stride, padding) = if down { (2, 0) } else { (1, 1) };
            blocks.push(Block {
                conv1: w.conv(&format!("{name}/conv1"), (cin, cout, 3), stride, padding, true)?,
                conv2: w.conv(&format!("{name}/conv2"), (cout, cout, 3), 1, 1, false)?,
                down,
            });
        }
        let fc = w.take("fc", &[256, DIM])?;
        if let Some(extra) = w.tensors.keys().min() {
            return Err(format!("has a tensor `{extra}` the network does not use"));
        }
        Ok(DlibResnet { stem, blocks, fc })
    }

    /// Descriptors of a batch [N, 3, H, W] -> [N, 128].
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = self.stem.forward(x)?.max_pool2d_with_stride((3, 3), (2, 2))?;
        for block in &self.blocks {
            x = block.forward(&x)?;
        }
        x.mean((2, 3))?.matmul(&self.fc)
    }
}

pub struct CandleVendor {
    config: CandleConfig,
    preprocessing: Preprocessing,
    network: DlibResnet,
    fingerprint: String,
    weights: PathBuf,
}

impl CandleVendor {
    /// Build from config text; relative paths are resolved against `path`'s folder.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, VendorError> {
        let file = ConfigText::new(path, text);
        let config: CandleConfig = file.parse()?;
        if config.kind != "candle" {
            return Err(file.error_at_key(&["kind"], format!("expected `candle`, found `{}`", config.kind)));
        }
        if !NETWORKS.contains(&config.network.as_str()) {
            return Err(file.error_at_key(
                &["network"],
                format!("unknown network `{}`; this verity implements: {}", config.network, NETWORKS.join(", ")),
            ));
        }
        crate::onnx::check_preprocessing(&file, config.size, config.mean, config.std, config.crop_fraction)?;
        config::check_thresholds(&file, &config.thresholds, score_range(config.comparison))?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let weights = base.join(&config.weights);
        if !weights.is_file() {
            let message = format!("the weights file {} does not exist (run scripts/setup-onnx)", weights.display());
            return Err(file.error_at_key(&["weights"], message));
        }
        let tensors = candle_core::safetensors::load(&weights, &Device::Cpu).map_err(|e| {
            file.error_at_key(&["weights"], format!("{} is not a safetensors file: {e}", weights.display()))
        })?;
        let network = DlibResnet::load(tensors).map_err(|m| {
            file.error_at_key(&["weights"], format!("{} {m} (network {})", weights.display(), config.network))
        })?;
        let digest = config::file_sha256(&weights)
            .map_err(|e| file.error_at_key(&["weights"], format!("cannot read {}: {e}", weights.display())))?;
        let fingerprint = config::fingerprint("candle", &format!("{text}\nweights sha256 {digest}"));
        let preprocessing = Preprocessing {
            width: config.size[0],
            height: config.size[1],
            channels: config.channels,
            layout: Layout::Nchw,
            mean: config.mean,
            std: config.std,
            fit: config.fit,
            crop_fraction: config.crop_fraction,
        };
        Ok(CandleVendor { config, preprocessing, network, fingerprint, weights })
    }

    pub fn from_file(path: &Path) -> Result<Self, VendorError> {
        Self::from_toml(&config::read(path)?, path)
    }

    /// The network's input for one image (NCHW, normalised), as the `onnx` adapter makes it.
    pub fn preprocess(&self, media: &[u8]) -> Result<Vec<f32>, TemplateFailure> {
        self.preprocessing.tensor_from_media(media).map_err(|e| TemplateFailure {
            code: FailureCode::ParseError,
            message: format!("cannot decode the image: {e}"),
        })
    }

    /// Run the network on preprocessed inputs as one batch; one descriptor per input.
    pub fn embed(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, String> {
        let (w, h) = (self.preprocessing.width as usize, self.preprocessing.height as usize);
        let n = inputs.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let data: Vec<f32> = inputs.concat();
        if data.len() != n * self.preprocessing.len() {
            return Err("an input tensor has the wrong length".into());
        }
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let x = Tensor::from_vec(data, (n, 3, h, w), &Device::Cpu)?;
            self.network.forward(&x)?.to_vec2::<f32>()
        };
        run().map_err(|e| format!("the network failed: {e}"))
    }
}

impl Vendor for CandleVendor {
    fn describe(&self) -> VendorDescription {
        let c = &self.config;
        model_description(&c.name, &c.version, c.comparison, &c.thresholds, "the network's descriptors", DIM)
    }

    fn create_template(&self, media: &[u8], _role: Role) -> Result<Template, TemplateFailure> {
        let input = self.preprocess(media)?;
        let mut out =
            self.embed(&[input]).map_err(|message| TemplateFailure { code: FailureCode::VendorError, message })?;
        let descriptor = out.pop().unwrap_or_default();
        if descriptor.len() != DIM || descriptor.iter().any(|x| !x.is_finite()) {
            return Err(TemplateFailure {
                code: FailureCode::FeatureExtractionError,
                message: format!("the network gave {} values, or values that are not finite", descriptor.len()),
            });
        }
        Ok(Template::from_embedding(&descriptor))
    }

    fn compare(&self, probe: &Template, reference: &Template) -> Result<f64, TemplateFailure> {
        let (a, b) = (probe.embedding(DIM)?, reference.embedding(DIM)?);
        Ok(compare_embeddings(self.config.comparison, &a, &b))
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn provenance_files(&self) -> Vec<PathBuf> {
        vec![self.weights.clone()]
    }
}
