//! The benchmark data model as the engine sees it: subjects, samples and protocols by
//! index. Loading it from files is the `datasets` crate's job; the engine knows no
//! file format.

use crate::model::population::Population;

/// Where a sample's media comes from. The runner turns each into bytes for the vendor.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaSource {
    /// A file inside the benchmark folder (resolved by the loader, links followed; read
    /// only while it still resolves inside: `storage::confine`).
    File(storage::confine::ConfinedPath),
    /// Media carried in the samples table itself (synthetic faces use this).
    Inline(Vec<u8>),
    /// A precomputed embedding, for score-level benchmarks without images.
    Embedding(Vec<f32>),
}

impl MediaSource {
    /// The bytes a vendor receives. Embeddings are little-endian f32.
    pub fn bytes(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        use std::borrow::Cow;
        match self {
            MediaSource::File(path) => path.read().map(Cow::Owned),
            MediaSource::Inline(bytes) => Ok(Cow::Borrowed(bytes)),
            MediaSource::Embedding(values) => Ok(Cow::Owned(values.iter().flat_map(|x| x.to_le_bytes()).collect())),
        }
    }
}

/// All samples, as columns: index `i` is one sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples {
    pub ids: Vec<String>,
    /// Index into `Population::subjects`.
    pub subject: Vec<u32>,
    pub media: Vec<MediaSource>,
    /// Capture attributes (camera, session, quality, landmarks), one column each, each
    /// with one value per sample. Carried for breakdowns and reports; no vendor sees them.
    pub capture: Vec<CaptureColumn>,
}

/// One capture attribute of every sample, as text; an empty value means not known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaptureColumn {
    pub name: String,
    /// One value per sample, in sample order.
    pub values: Vec<String>,
}

impl Samples {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// The capture attribute called `name`, if the benchmark has it.
    pub fn capture(&self, name: &str) -> Option<&CaptureColumn> {
        self.capture.iter().find(|c| c.name == name)
    }

    /// The five landmarks of `sample` from the capture columns `lmk_x1, lmk_y1, ...,
    /// lmk_x5, lmk_y5`; `None` when the benchmark has no such columns or any of the ten
    /// values of this sample is empty or not a finite number.
    pub fn landmarks(&self, sample: u32) -> Option<crate::vendor::Landmarks> {
        let mut points = [[0.0; 2]; 5];
        for (i, point) in points.iter_mut().enumerate() {
            for (axis, value) in point.iter_mut().enumerate() {
                let name = format!("lmk_{}{}", if axis == 0 { 'x' } else { 'y' }, i + 1);
                let text = self.capture(&name)?.values.get(sample as usize)?;
                *value = text.trim().parse::<f64>().ok().filter(|v| v.is_finite())?;
            }
        }
        Some(crate::vendor::Landmarks(points))
    }
}

/// 1:1 verification: explicit (probe, reference) sample pairs. A pair is mated when
/// both samples belong to the same subject.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationProtocol {
    pub name: String,
    pub probe: Vec<u32>,
    pub reference: Vec<u32>,
}

/// 1:N open-set identification (NISTIR 8271), also used for NPL-style watchlists.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchProtocol {
    pub name: String,
    /// Enrolment samples, in gallery order. A subject may have several; the gallery of
    /// size N holds the first N distinct subjects in this order (nested galleries).
    pub gallery: Vec<u32>,
    /// Searches whose subject is enrolled (watchlist: passes of watchlist subjects).
    pub mated: Vec<u32>,
    /// Searches whose subject is not enrolled (watchlist: the crowd).
    pub non_mated: Vec<u32>,
    /// Candidate list length L.
    pub candidates: usize,
    /// Gallery sizes to evaluate, in subjects, ascending; the last is the whole gallery.
    pub gallery_sizes: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtocolKind {
    Verification,
    Identification,
    Watchlist,
}

impl ProtocolKind {
    pub fn name(&self) -> &'static str {
        match self {
            ProtocolKind::Verification => "verification",
            ProtocolKind::Identification => "identification",
            ProtocolKind::Watchlist => "watchlist",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Protocol {
    Verification(VerificationProtocol),
    Identification(SearchProtocol),
    Watchlist(SearchProtocol),
}

impl Protocol {
    pub fn name(&self) -> &str {
        match self {
            Protocol::Verification(p) => &p.name,
            Protocol::Identification(p) | Protocol::Watchlist(p) => &p.name,
        }
    }
    pub fn kind(&self) -> ProtocolKind {
        match self {
            Protocol::Verification(_) => ProtocolKind::Verification,
            Protocol::Identification(_) => ProtocolKind::Identification,
            Protocol::Watchlist(_) => ProtocolKind::Watchlist,
        }
    }
}

/// A loaded, validated benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    pub name: String,
    pub version: String,
    pub licence: String,
    /// SHA-256 over the benchmark's files (manifest, tables, protocol files), hex.
    pub content_hash: String,
    pub population: Population,
    pub samples: Samples,
    pub protocols: Vec<Protocol>,
}
