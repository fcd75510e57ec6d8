//! Turning media bytes into the input tensor of a recognition model: decode, fit to the
//! model's input size, order and scale the channels. Also the 5-point similarity
//! alignment (Umeyama 1991, "Least-squares estimation of transformation parameters
//! between two point patterns") used when landmarks are known.

use image::{RgbImage, imageops};

/// Colour channel order the model expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelOrder {
    Rgb,
    Bgr,
}

/// Tensor layout of one image: channels first (NCHW) or last (NHWC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Nchw,
    Nhwc,
}

/// How an image of another shape is brought to the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fit {
    /// Pad the short side with black, equally on both sides, then resize (face-api's
    /// `toBatchTensor(size, true)`): the media is expected to be a face crop.
    Pad,
    /// Resize to the input size, ignoring the aspect ratio.
    Stretch,
    /// Keep the centred square of side `crop_fraction` x the short side, then resize:
    /// the fallback when no landmarks are known and the face is near the centre.
    CenterCrop,
}

/// Everything preprocessing needs, from the vendor config.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessing {
    pub width: u32,
    pub height: u32,
    pub channels: ChannelOrder,
    pub layout: Layout,
    /// Per channel in the model's channel order: value = (pixel - mean) / std, pixel in 0..=255.
    pub mean: [f32; 3],
    pub std: [f32; 3],
    pub fit: Fit,
    pub crop_fraction: f32,
}

impl Preprocessing {
    /// Number of f32 values in one image's tensor.
    pub fn len(&self) -> usize {
        3 * self.width as usize * self.height as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decode media bytes (PNG or JPEG) and make the model input of one image.
    pub fn tensor_from_media(&self, media: &[u8]) -> Result<Vec<f32>, image::ImageError> {
        let image = image::load_from_memory(media)?.to_rgb8();
        Ok(self.tensor(&self.fit_image(&image)))
    }

    /// Bring an image to the input size as `fit` says (bilinear resampling).
    pub fn fit_image(&self, image: &RgbImage) -> RgbImage {
        let (w, h) = image.dimensions();
        let filter = imageops::FilterType::Triangle;
        match self.fit {
            Fit::Stretch => imageops::resize(image, self.width, self.height, filter),
            Fit::Pad => {
                let side = w.max(h);
                let mut square = RgbImage::new(side, side);
                imageops::replace(&mut square, image, ((side - w) / 2) as i64, ((side - h) / 2) as i64);
                imageops::resize(&square, self.width, self.height, filter)
            }
            Fit::CenterCrop => {
                let side = ((w.min(h) as f32 * self.crop_fraction).round() as u32).clamp(1, w.min(h));
                let crop = imageops::crop_imm(image, (w - side) / 2, (h - side) / 2, side, side).to_image();
                imageops::resize(&crop, self.width, self.height, filter)
            }
        }
    }

    /// The normalised tensor of an image already at the input size.
    pub fn tensor(&self, image: &RgbImage) -> Vec<f32> {
        let (w, h) = (self.width as usize, self.height as usize);
        let plane = w * h;
        let mut out = vec![0f32; 3 * plane];
        let order = match self.channels {
            ChannelOrder::Rgb => [0, 1, 2],
            ChannelOrder::Bgr => [2, 1, 0],
        };
        for (i, pixel) in image.pixels().enumerate().take(plane) {
            for (c, &source) in order.iter().enumerate() {
                let value = (pixel.0[source] as f32 - self.mean[c]) / self.std[c];
                let index = match self.layout {
                    Layout::Nchw => c * plane + i,
                    Layout::Nhwc => i * 3 + c,
                };
                out[index] = value;
            }
        }
        out
    }
}

/// The similarity transform (scale, rotation, translation) that maps `from` onto `to`
/// in the least-squares sense (Umeyama 1991, without reflection), as the 2x3 matrix
/// `[a, -b, tx; b, a, ty]` returned as `[a, b, tx, ty]`.
pub fn similarity_transform(from: &[[f64; 2]], to: &[[f64; 2]]) -> Option<[f64; 4]> {
    let n = from.len();
    if n < 2 || n != to.len() {
        return None;
    }
    let mean = |p: &[[f64; 2]]| {
        let s = p.iter().fold([0.0, 0.0], |a, q| [a[0] + q[0], a[1] + q[1]]);
        [s[0] / n as f64, s[1] / n as f64]
    };
    let (mf, mt) = (mean(from), mean(to));
    // With complex numbers z = x + iy, the best c = a + ib minimises sum |c f_k - t_k|^2:
    // c = sum(conj(f_k) t_k) / sum |f_k|^2, all centred.
    let (mut re, mut im, mut norm) = (0.0, 0.0, 0.0);
    for (f, t) in from.iter().zip(to) {
        let (fx, fy, tx, ty) = (f[0] - mf[0], f[1] - mf[1], t[0] - mt[0], t[1] - mt[1]);
        re += fx * tx + fy * ty;
        im += fx * ty - fy * tx;
        norm += fx * fx + fy * fy;
    }
    if norm == 0.0 {
        return None;
    }
    let (a, b) = (re / norm, im / norm);
    Some([a, b, mt[0] - (a * mf[0] - b * mf[1]), mt[1] - (b * mf[0] + a * mf[1])])
}

/// Warp `image` by the similarity transform `[a, b, tx, ty]` (source -> output) into an
/// output of `width` x `height`, sampling bilinearly; outside the source is black.
pub fn warp_similarity(image: &RgbImage, transform: [f64; 4], width: u32, height: u32) -> RgbImage {
    let [a, b, tx, ty] = transform;
    let det = a * a + b * b;
    let mut out = RgbImage::new(width, height);
    if det == 0.0 {
        return out;
    }
    let (w, h) = (image.width() as i64, image.height() as i64);
    let sample = |x: i64, y: i64, c: usize| -> f64 {
        if x < 0 || y < 0 || x >= w || y >= h { 0.0 } else { image.get_pixel(x as u32, y as u32).0[c] as f64 }
    };
    for (ox, oy, pixel) in out.enumerate_pixels_mut() {
        // Inverse of [a -b; b a]: [a b; -b a] / det.
        let (dx, dy) = (ox as f64 - tx, oy as f64 - ty);
        let (sx, sy) = ((a * dx + b * dy) / det, (-b * dx + a * dy) / det);
        let (x0, y0) = (sx.floor() as i64, sy.floor() as i64);
        let (fx, fy) = (sx - x0 as f64, sy - y0 as f64);
        for c in 0..3 {
            let v = sample(x0, y0, c) * (1.0 - fx) * (1.0 - fy)
                + sample(x0 + 1, y0, c) * fx * (1.0 - fy)
                + sample(x0, y0 + 1, c) * (1.0 - fx) * fy
                + sample(x0 + 1, y0 + 1, c) * fx * fy;
            pixel.0[c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preprocessing(fit: Fit, layout: Layout, channels: ChannelOrder) -> Preprocessing {
        Preprocessing {
            width: 2,
            height: 2,
            channels,
            layout,
            mean: [10.0, 20.0, 30.0],
            std: [2.0, 2.0, 2.0],
            fit,
            crop_fraction: 1.0,
        }
    }

    #[test]
    fn layouts_and_channel_orders() {
        let mut image = RgbImage::new(2, 2);
        image.put_pixel(1, 0, image::Rgb([12, 24, 36]));
        let p = preprocessing(Fit::Stretch, Layout::Nchw, ChannelOrder::Rgb);
        let t = p.tensor(&image);
        assert_eq!(t.len(), 12);
        assert_eq!([t[1], t[5], t[9]], [1.0, 2.0, 3.0]);
        let p = preprocessing(Fit::Stretch, Layout::Nhwc, ChannelOrder::Bgr);
        let t = p.tensor(&image);
        // BGR: channel 0 is blue, normalised with the first mean/std.
        assert_eq!([t[3], t[4], t[5]], [(36.0 - 10.0) / 2.0, 2.0, (12.0 - 30.0) / 2.0]);
    }

    #[test]
    fn pad_keeps_the_aspect_ratio() {
        let image = RgbImage::from_pixel(4, 2, image::Rgb([200, 200, 200]));
        let mut p = preprocessing(Fit::Pad, Layout::Nchw, ChannelOrder::Rgb);
        p.width = 4;
        p.height = 4;
        let out = p.fit_image(&image);
        assert_eq!(out.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(out.get_pixel(1, 1).0, [200, 200, 200]);
        assert_eq!(out.get_pixel(3, 3).0, [0, 0, 0]);
    }

    #[test]
    fn similarity_transform_recovers_a_known_one() {
        let from = [[30.0, 50.0], [70.0, 50.0], [50.0, 70.0], [35.0, 90.0], [65.0, 90.0]];
        let (a, b, tx, ty) = (0.8 * 0.3f64.cos(), 0.8 * 0.3f64.sin(), 12.0, -7.0);
        let to: Vec<[f64; 2]> = from.iter().map(|p| [a * p[0] - b * p[1] + tx, b * p[0] + a * p[1] + ty]).collect();
        let t = similarity_transform(&from, &to).unwrap();
        for (got, want) in t.iter().zip([a, b, tx, ty]) {
            assert!((got - want).abs() < 1e-9, "{t:?}");
        }
        assert!(similarity_transform(&from[..1], &to[..1]).is_none());
    }

    #[test]
    fn warp_by_identity_and_shift() {
        let mut image = RgbImage::new(4, 4);
        image.put_pixel(1, 2, image::Rgb([9, 8, 7]));
        assert_eq!(warp_similarity(&image, [1.0, 0.0, 0.0, 0.0], 4, 4), image);
        let shifted = warp_similarity(&image, [1.0, 0.0, 1.0, 0.0], 4, 4);
        assert_eq!(shifted.get_pixel(2, 2).0, [9, 8, 7]);
        assert_eq!(shifted.get_pixel(0, 0).0, [0, 0, 0]);
    }
}
