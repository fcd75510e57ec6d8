//! The null face matcher of the adapter tests, in Rust: the computation of the null FRTE
//! library (tests/fixtures/frte/null_impl.cpp) and of the test HTTP service
//! (tests/http_cli.rs), from the text of a synthetic face (`face/v1 identity=... capture=...`).
//! A template is 32 little-endian f32, normalise(g + 0.5 n), g and n uniform in [-1, 1)
//! by splitmix64 from the identity and capture seeds; a similarity is (1 + cosine) / 2.

/// The capture seed in a synthetic face's text.
pub fn capture_of(face: &str) -> String {
    let at = face.find("capture=").unwrap() + 8;
    face[at..at + 16].to_string()
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uniforms(seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..32).map(|_| (splitmix64(&mut state) >> 11) as f64 / 4_503_599_627_370_496.0 - 1.0).collect()
}

fn seed(face: &str, key: &str) -> u64 {
    let at = face.find(key).unwrap() + key.len();
    u64::from_str_radix(&face[at..at + 16], 16).unwrap()
}

/// The null library's template of a face: 32 f32, little-endian.
pub fn null_template(face: &str) -> Vec<u8> {
    let g = uniforms(seed(face, "identity="));
    let n = uniforms(seed(face, "capture="));
    let v: Vec<f64> = g.iter().zip(&n).map(|(g, n)| g + 0.5 * n).collect();
    let norm = v.iter().fold(0.0, |acc, x| acc + x * x).sqrt();
    v.iter().flat_map(|x| ((x / norm) as f32).to_le_bytes()).collect()
}

pub fn null_similarity(a: &[u8], b: &[u8]) -> f64 {
    let f =
        |t: &[u8]| -> Vec<f64> { t.chunks(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64).collect() };
    let (a, b) = (f(a), f(b));
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(&b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    (1.0 + ab / (aa.sqrt() * bb.sqrt())) / 2.0
}
