//! Image properties per group: width, height, brightness (mean luma) and sharpness
//! (variance of the Laplacian, Pech-Pacheco et al. 2000), each summarised by its median
//! and interquartile range, and groups whose median brightness or sharpness stands apart
//! from the other groups' flagged. RFW and BFW were found to differ in lighting and pose
//! between groups; a differential that is really a capture confound shows up here first.
//!
//! Images are decoded in parallel (rayon), in sample order, so the result does not depend
//! on the number of threads. An image that cannot be read is counted, with its path,
//! never fatal.

use super::InspectOptions;
use harness::model::benchmark::{Benchmark, MediaSource};
use harness::model::population::GroupCodes;
use harness::model::synthetic_face::SyntheticFace;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// Median and quartiles (linear interpolation between order statistics, numpy's default).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub q1: f64,
    pub q3: f64,
    pub iqr: f64,
}

impl Spread {
    pub(crate) fn of(values: &mut [f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let at = |p: f64| {
            let h = (values.len() - 1) as f64 * p;
            let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
            values[lo] + (h - lo as f64) * (values[hi] - values[lo])
        };
        let (q1, median, q3) = (at(0.25), at(0.5), at(0.75));
        Some(Spread { median, q1, q3, iqr: q3 - q1 })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unreadable {
    pub sample_id: String,
    pub subject_id: String,
    /// Relative to the benchmark folder; for inline media, `inline:` and the sample id.
    pub path: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageGroup {
    pub group: String,
    /// Images read.
    pub images: usize,
    pub unreadable: usize,
    pub unreadable_paths: Vec<String>,
    pub width: Option<Spread>,
    pub height: Option<Spread>,
    /// Mean luma of each image, 0-255.
    pub brightness: Option<Spread>,
    /// Variance of the 4-neighbour Laplacian of the luma (images of at least 3x3 pixels).
    pub sharpness: Option<Spread>,
    /// The other groups whose median brightness is more than the margin away.
    pub brightness_apart_from: Vec<String>,
    /// The other groups whose median sharpness is more than the ratio above or below.
    pub sharpness_apart_from: Vec<String>,
    /// Apart from more than half of the other groups with images: the group stands out,
    /// rather than sitting between groups that do.
    pub brightness_flag: bool,
    pub sharpness_flag: bool,
    /// Other groups with images (the denominator of "more than half").
    pub compared_groups: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageGrouping {
    pub grouping: String,
    pub groups: Vec<ImageGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageReport {
    /// `measured`, `skipped` (not asked for) or `none` (no image media).
    pub status: &'static str,
    pub note: String,
    pub images: usize,
    pub unreadable: usize,
    pub embeddings: usize,
    pub synthetic: usize,
    pub brightness_margin: f64,
    pub sharpness_ratio: f64,
    pub groupings: Vec<ImageGrouping>,
    pub unreadable_samples: Vec<Unreadable>,
}

impl ImageReport {
    /// One line per flagged group, and one for unreadable images.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for g in &self.groupings {
            for row in &g.groups {
                let medians = |apart: &[String], of: fn(&ImageGroup) -> Option<Spread>| {
                    let shown: Vec<String> = apart
                        .iter()
                        .filter_map(|a| g.groups.iter().find(|x| &x.group == a))
                        .filter_map(|x| of(x).map(|s| format!("`{}` {:.1}", x.group, s.median)))
                        .collect();
                    shown.join(", ")
                };
                if let (true, Some(b)) = (row.brightness_flag, row.brightness) {
                    out.push(format!(
                        "images, {} `{}`: median brightness {:.1} is more than {} from that of {} of the {} other groups ({})",
                        g.grouping,
                        row.group,
                        b.median,
                        self.brightness_margin,
                        row.brightness_apart_from.len(),
                        row.compared_groups,
                        medians(&row.brightness_apart_from, |x| x.brightness)
                    ));
                }
                if let (true, Some(s)) = (row.sharpness_flag, row.sharpness) {
                    out.push(format!(
                        "images, {} `{}`: median sharpness {:.1} is more than {} times above or below that of {} of the {} other groups ({})",
                        g.grouping,
                        row.group,
                        s.median,
                        self.sharpness_ratio,
                        row.sharpness_apart_from.len(),
                        row.compared_groups,
                        medians(&row.sharpness_apart_from, |x| x.sharpness)
                    ));
                }
            }
        }
        if self.unreadable > 0 {
            out.push(format!("images: {} could not be read (listed under unreadable)", self.unreadable));
        }
        out
    }
}

enum Measure {
    Image { width: u32, height: u32, brightness: f64, sharpness: Option<f64> },
    Unreadable(String),
    Synthetic,
    Embedding,
}

/// `images`, `synthetic`, `embeddings` or `mixed`, from the media sources alone.
pub(super) fn media_kind(bench: &Benchmark) -> &'static str {
    let kind = |m: &MediaSource| match m {
        MediaSource::Embedding(_) => "embeddings",
        MediaSource::Inline(b) if SyntheticFace::decode(b).is_ok() => "synthetic",
        _ => "images",
    };
    let mut kinds = bench.samples.media.iter().map(kind);
    let first = kinds.next().unwrap_or("images");
    if kinds.all(|k| k == first) { first } else { "mixed" }
}

/// Image properties that a grouping (`--group measured_brightness`) or a covariate
/// (`--adjust measured_sharpness`) can name: each becomes a capture column of the samples,
/// measured from the images as above, or for the face size from the benchmark's five
/// landmarks (docs/metrics.md, "Measured image properties").
pub const MEASURED_COLUMNS: [&str; 5] =
    ["measured_brightness", "measured_sharpness", "measured_width", "measured_height", "measured_face_size"];

/// The columns `names` (each one of [`MEASURED_COLUMNS`]) for every sample, in sample
/// order: brightness and sharpness to four decimals, width and height in pixels, face
/// size as the distance between the two eye landmarks (`lmk_x1, lmk_y1` and `lmk_x2,
/// lmk_y2`) in pixels to two decimals; empty where the sample is not an image, cannot be
/// read, is under 3x3 pixels (sharpness) or has no landmarks (face size). Images are
/// decoded only when an image property is named.
pub fn measured_columns(bench: &Benchmark, names: &[&str]) -> Vec<harness::model::benchmark::CaptureColumn> {
    let decode = names.iter().any(|n| *n != "measured_face_size");
    let measures: Vec<Measure> =
        if decode { bench.samples.media.par_iter().map(measure).collect() } else { Vec::new() };
    let column = |name: &str| -> Vec<String> {
        if name == "measured_face_size" {
            return (0..bench.samples.len() as u32)
                .map(|i| {
                    bench.samples.landmarks(i).map_or_else(String::new, |l| {
                        let [a, b] = [l.0[0], l.0[1]];
                        format!("{:.2}", (a[0] - b[0]).hypot(a[1] - b[1]))
                    })
                })
                .collect();
        }
        measures
            .iter()
            .map(|m| match m {
                Measure::Image { width, height, brightness, sharpness } => match name {
                    "measured_brightness" => format!("{brightness:.4}"),
                    "measured_sharpness" => sharpness.map_or_else(String::new, |v| format!("{v:.4}")),
                    "measured_width" => width.to_string(),
                    "measured_height" => height.to_string(),
                    _ => String::new(),
                },
                _ => String::new(),
            })
            .collect()
    };
    names
        .iter()
        .map(|&name| harness::model::benchmark::CaptureColumn { name: name.to_string(), values: column(name) })
        .collect()
}

fn measure(media: &MediaSource) -> Measure {
    let decoded = match media {
        MediaSource::Embedding(_) => return Measure::Embedding,
        MediaSource::Inline(bytes) if SyntheticFace::decode(bytes).is_ok() => return Measure::Synthetic,
        MediaSource::Inline(bytes) => image::load_from_memory(bytes).map_err(|e| e.to_string()),
        MediaSource::File(path) => path.read().map_err(|e| e.to_string()).and_then(|bytes| {
            image::ImageReader::new(std::io::Cursor::new(bytes))
                .with_guessed_format()
                .map_err(|e| e.to_string())
                .and_then(|r| r.decode().map_err(|e| e.to_string()))
        }),
    };
    match decoded {
        Ok(img) => {
            let luma = img.to_luma8();
            let (w, h) = luma.dimensions();
            let pixels = luma.as_raw();
            let n = pixels.len().max(1) as f64;
            let brightness = pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / n;
            Measure::Image {
                width: w,
                height: h,
                brightness,
                sharpness: laplacian_variance(pixels, w as usize, h as usize),
            }
        }
        Err(e) => Measure::Unreadable(e),
    }
}

/// Variance of L = 4c - up - down - left - right over the interior pixels.
fn laplacian_variance(p: &[u8], w: usize, h: usize) -> Option<f64> {
    if w < 3 || h < 3 {
        return None;
    }
    let (mut sum, mut sum2, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let at = |x: usize, y: usize| f64::from(p[y * w + x]);
            let l = 4.0 * at(x, y) - at(x, y - 1) - at(x, y + 1) - at(x - 1, y) - at(x + 1, y);
            sum += l;
            sum2 += l * l;
            n += 1.0;
        }
    }
    let mean = sum / n;
    Some((sum2 / n - mean * mean).max(0.0))
}

fn display_path(media: &MediaSource, dir: &Path, sample_id: &str) -> String {
    match media {
        MediaSource::File(path) => {
            let base = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            path.path().strip_prefix(&base).unwrap_or(path.path()).display().to_string()
        }
        _ => format!("inline:{sample_id}"),
    }
}

pub(super) fn report(bench: &Benchmark, dir: &Path, codes: &[GroupCodes], options: &InspectOptions) -> ImageReport {
    let mut out = ImageReport {
        status: "none",
        note: String::new(),
        images: 0,
        unreadable: 0,
        embeddings: 0,
        synthetic: 0,
        brightness_margin: options.brightness_margin,
        sharpness_ratio: options.sharpness_ratio,
        groupings: Vec::new(),
        unreadable_samples: Vec::new(),
    };
    let embeddings = bench.samples.media.iter().filter(|m| matches!(m, MediaSource::Embedding(_))).count();
    if embeddings == bench.samples.len() {
        out.embeddings = embeddings;
        out.note = "the samples are embeddings (a score-level benchmark): there are no images to measure".into();
        return out;
    }
    if !options.images {
        out.status = "skipped";
        out.note = "image properties were not measured (--no-images)".into();
        return out;
    }
    let measures: Vec<Measure> = bench.samples.media.par_iter().map(measure).collect();
    let subject_id = |s: u32| bench.population.subjects.get(s as usize).map_or_else(String::new, |x| x.id.clone());
    for (i, m) in measures.iter().enumerate() {
        match m {
            Measure::Image { .. } => out.images += 1,
            Measure::Synthetic => out.synthetic += 1,
            Measure::Embedding => out.embeddings += 1,
            Measure::Unreadable(e) => {
                out.unreadable += 1;
                out.unreadable_samples.push(Unreadable {
                    sample_id: bench.samples.ids[i].clone(),
                    subject_id: subject_id(bench.samples.subject[i]),
                    path: display_path(&bench.samples.media[i], dir, &bench.samples.ids[i]),
                    error: e.clone(),
                });
            }
        }
    }
    if out.images == 0 && out.unreadable == 0 {
        out.note = if out.synthetic > 0 {
            "the samples are synthetic faces (inline text), not images: there are no image properties".into()
        } else {
            "no sample is an image".into()
        };
        return out;
    }
    out.status = "measured";
    out.note = format!(
        "{} images measured, {} unreadable{}",
        out.images,
        out.unreadable,
        if out.synthetic + out.embeddings > 0 {
            format!(", {} samples not images", out.synthetic + out.embeddings)
        } else {
            String::new()
        }
    );
    let paths: Vec<String> =
        (0..measures.len()).map(|i| display_path(&bench.samples.media[i], dir, &bench.samples.ids[i])).collect();
    out.groupings = codes.iter().map(|c| grouping(bench, c, &measures, &paths, options)).collect();
    out
}

fn grouping(
    bench: &Benchmark,
    codes: &GroupCodes,
    measures: &[Measure],
    paths: &[String],
    options: &InspectOptions,
) -> ImageGrouping {
    let n = codes.n_groups();
    let mut groups: Vec<ImageGroup> = codes
        .labels
        .iter()
        .map(|l| ImageGroup {
            group: l.clone(),
            images: 0,
            unreadable: 0,
            unreadable_paths: Vec::new(),
            width: None,
            height: None,
            brightness: None,
            sharpness: None,
            brightness_apart_from: Vec::new(),
            sharpness_apart_from: Vec::new(),
            brightness_flag: false,
            sharpness_flag: false,
            compared_groups: 0,
        })
        .collect();
    // Per group: widths, heights, brightness, sharpness.
    let mut values: Vec<[Vec<f64>; 4]> = (0..n).map(|_| Default::default()).collect();
    for (i, m) in measures.iter().enumerate() {
        let g = codes.of_subject[bench.samples.subject[i] as usize] as usize;
        match m {
            Measure::Image { width, height, brightness, sharpness } => {
                groups[g].images += 1;
                let v = &mut values[g];
                v[0].push(f64::from(*width));
                v[1].push(f64::from(*height));
                v[2].push(*brightness);
                v[3].extend(*sharpness);
            }
            Measure::Unreadable(_) => {
                groups[g].unreadable += 1;
                groups[g].unreadable_paths.push(paths[i].clone());
            }
            _ => {}
        }
    }
    for (row, [w, h, b, s]) in groups.iter_mut().zip(values.iter_mut()) {
        row.width = Spread::of(w);
        row.height = Spread::of(h);
        row.brightness = Spread::of(b);
        row.sharpness = Spread::of(s);
    }
    // Pairwise: a group is flagged when it is apart from more than half of the others, so
    // that with one outlier among three groups only the outlier is flagged (a pooled
    // "everyone else" median would sit between the outlier and the rest).
    let medians: Vec<(Option<f64>, Option<f64>)> =
        groups.iter().map(|x| (x.brightness.map(|s| s.median), x.sharpness.map(|s| s.median))).collect();
    let sharpness_apart = |a: f64, b: f64| {
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        if lo > 0.0 { hi / lo > options.sharpness_ratio } else { hi > 0.0 }
    };
    for (g, row) in groups.iter_mut().enumerate() {
        let (Some(bg), sg) = medians[g] else { continue };
        for (h, &(bh, sh)) in medians.iter().enumerate() {
            let Some(bh) = bh else { continue };
            if h == g {
                continue;
            }
            row.compared_groups += 1;
            if (bg - bh).abs() > options.brightness_margin {
                row.brightness_apart_from.push(codes.labels[h].clone());
            }
            if let (Some(sg), Some(sh)) = (sg, sh)
                && sharpness_apart(sg, sh)
            {
                row.sharpness_apart_from.push(codes.labels[h].clone());
            }
        }
        row.brightness_flag = 2 * row.brightness_apart_from.len() > row.compared_groups;
        row.sharpness_flag = 2 * row.sharpness_apart_from.len() > row.compared_groups;
    }
    ImageGrouping { grouping: codes.grouping.name(), groups }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laplacian_variance_of_flat_and_checkered_images() {
        assert_eq!(laplacian_variance(&[7; 25], 5, 5), Some(0.0));
        assert_eq!(laplacian_variance(&[7; 4], 2, 2), None);
        // A checkerboard of 0 and 10: every interior L is +-40, mean 0 over the 3x3 interior
        // (5 of one sign, 4 of the other: mean 40/9, variance 1600 - (40/9)^2).
        let board: Vec<u8> = (0..25).map(|i| if (i / 5 + i % 5) % 2 == 0 { 10 } else { 0 }).collect();
        let v = laplacian_variance(&board, 5, 5).unwrap();
        assert!((v - (1600.0 - (40.0f64 / 9.0).powi(2))).abs() < 1e-9, "{v}");
    }

    fn three_groups(brightness: [f64; 3]) -> ImageGrouping {
        use harness::model::benchmark::Samples;
        use harness::model::population::{Grouping, Population, Subject};
        let labels = ["a", "b", "c"];
        let subjects = labels.iter().map(|l| Subject { id: l.to_string(), attributes: vec![l.to_string()] }).collect();
        let bench = Benchmark {
            name: String::new(),
            version: String::new(),
            licence: String::new(),
            content_hash: String::new(),
            population: Population { attributes: vec!["tone".into()], subjects, provenance: Default::default() },
            samples: Samples {
                ids: labels.iter().map(|l| l.to_string()).collect(),
                subject: vec![0, 1, 2],
                media: vec![MediaSource::Inline(Vec::new()); 3],
                ..Samples::default()
            },
            protocols: Vec::new(),
        };
        let codes = bench.population.group_codes(&Grouping::parse("tone").unwrap()).unwrap();
        let measures: Vec<Measure> = brightness
            .iter()
            .map(|&b| Measure::Image { width: 4, height: 4, brightness: b, sharpness: Some(10.0) })
            .collect();
        grouping(&bench, &codes, &measures, &["", "", ""].map(String::from), &InspectOptions::default())
    }

    #[test]
    fn only_the_group_that_stands_out_is_flagged() {
        let flags = |g: &ImageGrouping| g.groups.iter().map(|x| x.brightness_flag).collect::<Vec<_>>();
        let g = three_groups([40.0, 150.0, 155.0]);
        assert_eq!(flags(&g), [true, false, false]);
        assert_eq!(g.groups[0].brightness_apart_from, ["b", "c"]);
        assert_eq!(g.groups[1].brightness_apart_from, ["a"]);
        assert_eq!(flags(&three_groups([40.0, 100.0, 160.0])), [true, true, true]);
        assert_eq!(flags(&three_groups([140.0, 150.0, 159.0])), [false, false, false]);
        assert!(g.groups.iter().all(|x| !x.sharpness_flag && x.compared_groups == 2));
    }

    fn png(img: image::GrayImage) -> MediaSource {
        let mut bytes = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
        MediaSource::Inline(bytes)
    }

    /// A benchmark of these samples and nothing else.
    fn bench_of(samples: harness::model::benchmark::Samples) -> Benchmark {
        Benchmark {
            name: String::new(),
            version: String::new(),
            licence: String::new(),
            content_hash: String::new(),
            population: Default::default(),
            samples,
            protocols: Vec::new(),
        }
    }

    #[test]
    fn measured_columns_hold_each_images_properties_and_nothing_for_other_media() {
        use harness::model::benchmark::Samples;
        // A flat 6x4 image of 50; a 5x5 checkerboard of 0 and 10 (its Laplacian variance
        // is worked out in the test above); a 2x2 image (too small for sharpness); an
        // embedding (no pixels).
        let board = image::GrayImage::from_fn(5, 5, |x, y| image::Luma([if (x + y) % 2 == 0 { 10 } else { 0 }]));
        let media = vec![
            png(image::GrayImage::from_pixel(6, 4, image::Luma([50u8]))),
            png(board),
            png(image::GrayImage::from_pixel(2, 2, image::Luma([200u8]))),
            MediaSource::Embedding(vec![1.0, 2.0]),
        ];
        let bench = bench_of(Samples {
            ids: (0..4).map(|i| format!("x{i}")).collect(),
            subject: vec![0; 4],
            media,
            ..Samples::default()
        });
        let columns = measured_columns(&bench, &MEASURED_COLUMNS);
        let values = |i: usize| columns[i].values.clone();
        assert_eq!(columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), MEASURED_COLUMNS);
        // No landmarks: no face size.
        assert_eq!(values(4), ["", "", "", ""]);
        // 13 of the 25 checkerboard cells are 10: mean 130/25 = 5.2.
        assert_eq!(values(0), ["50.0000", "5.2000", "200.0000", ""]);
        let board_variance = 1600.0 - (40.0f64 / 9.0).powi(2);
        assert_eq!(values(1), ["0.0000".to_string(), format!("{board_variance:.4}"), String::new(), String::new()]);
        assert_eq!(values(2), ["6", "5", "2", ""]);
        assert_eq!(values(3), ["4", "5", "2", ""]);
    }

    #[test]
    fn the_measured_face_size_is_the_distance_between_the_eye_landmarks() {
        use harness::model::benchmark::{CaptureColumn, Samples};
        // Eyes at (10, 20) and (13, 24): 5 pixels apart; the second sample lacks lmk_y2.
        let column =
            |name: &str, a: &str, b: &str| CaptureColumn { name: name.into(), values: vec![a.into(), b.into()] };
        let mut capture = vec![column("lmk_x1", "10", "10"), column("lmk_y1", "20", "20")];
        capture.push(column("lmk_x2", "13", "13"));
        capture.push(column("lmk_y2", "24", ""));
        for k in 3..=5 {
            capture.push(column(&format!("lmk_x{k}"), "1", "1"));
            capture.push(column(&format!("lmk_y{k}"), "1", "1"));
        }
        let bench = bench_of(Samples {
            ids: vec!["a".into(), "b".into()],
            subject: vec![0, 0],
            media: vec![MediaSource::Embedding(vec![1.0]); 2],
            capture,
        });
        let columns = measured_columns(&bench, &["measured_face_size"]);
        assert_eq!(columns[0].values, ["5.00", ""]);
    }

    #[test]
    fn brightness_and_size_of_a_png() {
        let img = image::GrayImage::from_pixel(6, 4, image::Luma([50u8]));
        let mut bytes = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
        match measure(&MediaSource::Inline(bytes)) {
            Measure::Image { width, height, brightness, sharpness } => {
                assert_eq!((width, height, brightness, sharpness), (6, 4, 50.0, Some(0.0)));
            }
            _ => panic!("not measured"),
        }
        assert!(matches!(measure(&MediaSource::Inline(b"not an image".to_vec())), Measure::Unreadable(_)));
    }
}
