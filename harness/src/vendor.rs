//! The vendor contract, modelled on the NIST FRTE API: describe, create a template
//! from opaque media bytes, compare two templates. Adapters see media bytes only, never
//! subject ids, file names or demographic labels.

use serde::Serialize;

/// What a template is made for (FRTE's template roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Enrol,
    Verify,
    Search,
}

impl Role {
    pub fn name(&self) -> &'static str {
        match self {
            Role::Enrol => "enrol",
            Role::Verify => "verify",
            Role::Search => "search",
        }
    }
}

/// How templates are laid out, which decides how verity compares them.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TemplateFormat {
    /// Opaque bytes compared only by the vendor's `compare`.
    Opaque,
    /// `dim` little-endian f32 values; the score is their cosine similarity, so verity
    /// may compare and search with batched matrix products instead of calling `compare`.
    Embedding { dim: usize },
}

/// A threshold the vendor declares for an operating mode.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DeclaredThreshold {
    pub label: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct VendorDescription {
    pub name: String,
    pub version: String,
    /// Lowest and highest score the vendor can return. A failed template takes part in
    /// comparisons with the lowest score (NIST FRTE rule).
    pub score_min: f64,
    pub score_max: f64,
    /// What a score means, in words (e.g. "cosine similarity of embeddings").
    pub score_meaning: String,
    pub thresholds: Vec<DeclaredThreshold>,
    pub template: TemplateFormat,
}

/// Return codes for a failed template, after the NIST FRTE `ReturnCode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum FailureCode {
    /// No face found (failure to acquire).
    FaceDetectionError,
    /// A face was found but no template could be made (failure to extract).
    FeatureExtractionError,
    /// The media could not be decoded.
    ParseError,
    /// The media file could not be read.
    MediaReadError,
    /// The vendor's template was malformed (wrong length, not finite).
    TemplateFormatError,
    /// Any other vendor error.
    VendorError,
}

impl FailureCode {
    pub fn name(&self) -> &'static str {
        match self {
            FailureCode::FaceDetectionError => "face-detection-error",
            FailureCode::FeatureExtractionError => "feature-extraction-error",
            FailureCode::ParseError => "parse-error",
            FailureCode::MediaReadError => "media-read-error",
            FailureCode::TemplateFormatError => "template-format-error",
            FailureCode::VendorError => "vendor-error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TemplateFailure {
    pub code: FailureCode,
    pub message: String,
}

/// Opaque template bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(pub Vec<u8>);

impl Template {
    /// Read an embedding template: `dim` little-endian f32 values, all finite.
    pub fn embedding(&self, dim: usize) -> Result<Vec<f32>, TemplateFailure> {
        if self.0.len() != dim * 4 {
            return Err(TemplateFailure {
                code: FailureCode::TemplateFormatError,
                message: format!("template has {} bytes, expected {} ({} f32 values)", self.0.len(), dim * 4, dim),
            });
        }
        let v: Vec<f32> = self.0.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(TemplateFailure {
                code: FailureCode::TemplateFormatError,
                message: format!("template value {i} is {}", v[i]),
            });
        }
        Ok(v)
    }

    pub fn from_embedding(values: &[f32]) -> Template {
        Template(values.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

/// Five facial landmarks in pixel coordinates of the media: left eye, right eye, nose
/// tip, left and right mouth corner (the usual 5-point order of RFW and ArcFace).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Landmarks(pub [[f64; 2]; 5]);

impl Landmarks {
    /// The points as little-endian bytes, for keys that must change with them.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|p| p.iter().flat_map(|v| v.to_le_bytes())).collect()
    }
}

/// A face-recognition algorithm under test. Keep this small: the FRTE contract.
pub trait Vendor: Send + Sync {
    fn describe(&self) -> VendorDescription;

    /// Make a template from media bytes. The bytes are all the vendor is given.
    fn create_template(&self, media: &[u8], role: Role) -> Result<Template, TemplateFailure>;

    /// Make a template when the benchmark records five facial landmarks of the media
    /// (capture columns `lmk_x1, lmk_y1, ..., lmk_x5, lmk_y5`). Landmarks are geometry
    /// of the image, not identity: no id, file name or label comes with them. A vendor
    /// that aligns faces (the `onnx` adapter with `align = "landmarks"`) uses them; the
    /// default ignores them.
    fn create_template_with_landmarks(
        &self,
        media: &[u8],
        role: Role,
        landmarks: Option<&Landmarks>,
    ) -> Result<Template, TemplateFailure> {
        let _ = landmarks;
        self.create_template(media, role)
    }

    /// Similarity of two templates made by this vendor; higher means more alike.
    fn compare(&self, probe: &Template, reference: &Template) -> Result<f64, TemplateFailure>;

    /// A fingerprint of the vendor's configuration and model, for provenance and caching.
    fn fingerprint(&self) -> String;

    /// The model and library files the vendor runs (weights, shared libraries,
    /// executables), so that a run records their SHA-256 in its provenance. Config-only
    /// vendors have none.
    fn provenance_files(&self) -> Vec<std::path::PathBuf> {
        Vec::new()
    }

    /// Why the run must stop, once the vendor has declared itself broken (e.g. a vendor
    /// process that failed on too large a share of calls). A run whose vendor reports
    /// this after its templates were made ends with that error and produces no results.
    fn fatal(&self) -> Option<String> {
        None
    }

    /// Templates of this run taken from the cache, made by an earlier attempt at the same
    /// run that was interrupted: `None` for one that was made, the failure code for one
    /// that failed. The runner reports them block by block, in the order the run would
    /// have made them, so a vendor that judges its own health over the run (the `process`
    /// adapter's `max_failure_share`) counts them as if it had made them now, and a
    /// resumed run stops exactly when an uninterrupted one would. The default ignores them.
    fn resumed(&self, earlier: &[Option<FailureCode>]) {
        let _ = earlier;
    }

    /// The vendor's own 1:N search (the FRTE 1:N API's enrolment finalisation and
    /// identification, a service's search endpoint), when it has one: the runner then
    /// enrols each gallery with it and asks it for the candidates instead of comparing
    /// templates itself (docs/runner.md, "Native search"). The default has none.
    fn native_search(&self) -> Option<&dyn NativeSearch> {
        None
    }

    /// Whether the vendor makes verification templates and compares them (1:1). An
    /// FRTE 1:N library does not: `verity run` refuses it a benchmark with a
    /// verification protocol.
    fn compares(&self) -> bool {
        true
    }
}

/// A vendor's own 1:N search: enrol a gallery once, then search it with many probes.
pub trait NativeSearch: Sync {
    /// Enrol and finalise a gallery of templates made with [`Role::Enrol`], each with an
    /// id that is its position in `gallery` (the runner shuffles the gallery, so an id
    /// says nothing about a subject). A failure fails every search of this gallery.
    fn enrol(&self, gallery: &[&Template]) -> Result<Box<dyn EnrolledGallery + '_>, TemplateFailure>;
}

/// A finalised gallery of a [`NativeSearch`].
pub trait EnrolledGallery: Sync {
    /// Search with a template made with [`Role::Search`]: at most `candidates` pairs
    /// (gallery id, similarity), most similar first. A failure costs this one search.
    fn search(&self, probe: &Template, candidates: usize) -> Result<Vec<(u32, f64)>, TemplateFailure>;
}

/// Cosine similarity of two embeddings (0 when either has zero length).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        ab += *x as f64 * *y as f64;
        aa += *x as f64 * *x as f64;
        bb += *y as f64 * *y as f64;
    }
    if aa == 0.0 || bb == 0.0 { 0.0 } else { ab / (aa.sqrt() * bb.sqrt()) }
}
