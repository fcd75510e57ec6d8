fn main() {
    use harness::stats::power::minimum_detectable_ratio_within;
    use harness::stats::tests_of_proportions::{Alternative, homogeneity};
    for (p0, n0, n1) in [(0.1, 1000u64, 1000u64), (2e-4, 38000, 38000), (0.01, 12000, 12000), (0.5, 50, 50)] {
        let t = std::time::Instant::now();
        let m = minimum_detectable_ratio_within(p0, n0, n1, 0.05, 0.8, Alternative::TwoSided, 2e5).unwrap();
        println!("mdr p0={p0} n0={n0} n1={n1}: {:?} in {:.4}s", m, t.elapsed().as_secs_f64());
    }
    for (e, n) in [(vec![3u64, 8, 6], vec![38000u64, 38000, 38000]), (vec![1, 2, 0, 1, 3, 2], vec![19000; 6])] {
        let t = std::time::Instant::now();
        let h = homogeneity(&e, &n, 10_000, 1).unwrap();
        println!("homogeneity {e:?}: p {} in {:.4}s", h.p_value(), t.elapsed().as_secs_f64());
    }
}
