//! The two statistics: Theil–Sen's slope and Mann–Kendall's trend test.

/// Above this many points, the pairwise statistics use an evenly spaced subset: they are
/// O(n²), and a thousand points already pin a trend down.
const MAX_POINTS: usize = 1000;

/// Evenly spaced indexes into `n` points, at most [`MAX_POINTS`] of them, first and last kept.
fn thin(n: usize) -> Vec<usize> {
    if n <= MAX_POINTS {
        return (0..n).collect();
    }
    (0..MAX_POINTS).map(|k| k * (n - 1) / (MAX_POINTS - 1)).collect()
}

/// Theil–Sen's line through `(x, y)` points: the median of the slopes between all pairs with
/// different x, and the median of `y - slope * x` as intercept. `None` with fewer than two
/// distinct x.
#[must_use]
pub fn theil_sen(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let idx = thin(points.len());
    let mut slopes = Vec::with_capacity(idx.len() * idx.len().saturating_sub(1) / 2);
    for (a, &i) in idx.iter().enumerate() {
        for &j in &idx[a + 1..] {
            let (x0, y0) = points[i];
            let (x1, y1) = points[j];
            if x1 != x0 {
                slopes.push((y1 - y0) / (x1 - x0));
            }
        }
    }
    let slope = median(&mut slopes)?;
    let mut intercepts: Vec<f64> = idx.iter().map(|&i| points[i].1 - slope * points[i].0).collect();
    let intercept = median(&mut intercepts)?;
    Some((slope, intercept))
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] } else { f64::midpoint(v[m - 1], v[m]) })
}

/// The result of Mann–Kendall's test on a series in time order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannKendall {
    /// Σ sign(x_j − x_i) over all pairs i < j: positive when the series rises.
    pub s: i64,
    /// The variance of `s` under "no trend", corrected for ties.
    pub var_s: f64,
    /// The normal score of `s`, with continuity correction.
    pub z: f64,
    /// One-sided p-value for "the series rises".
    pub p_increasing: f64,
    /// One-sided p-value for "the series falls".
    pub p_decreasing: f64,
}

/// Mann–Kendall's rank test for a monotonic trend. Works on any distribution; ties (equal
/// baselines, common when nothing changes) are accounted for.
#[must_use]
pub fn mann_kendall(values: &[f64]) -> MannKendall {
    let idx = thin(values.len());
    let x: Vec<f64> = idx.iter().map(|&i| values[i]).collect();
    let n = x.len();
    let mut s: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            s += match x[j].total_cmp(&x[i]) {
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
            };
        }
    }
    let mut sorted = x.clone();
    sorted.sort_unstable_by(f64::total_cmp);
    let mut tie_term = 0.0;
    let mut k = 0;
    while k < n {
        let mut t = 1;
        while k + t < n && sorted[k + t] == sorted[k] {
            t += 1;
        }
        let t = t as f64;
        tie_term += t * (t - 1.0) * (2.0 * t + 5.0);
        k += t as usize;
    }
    let nf = n as f64;
    let var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - tie_term) / 18.0;
    #[allow(clippy::cast_precision_loss)] // |s| < n² with n <= 1000
    let sf = s as f64;
    let z = if var_s <= 0.0 || s == 0 {
        0.0
    } else if s > 0 {
        (sf - 1.0) / var_s.sqrt()
    } else {
        (sf + 1.0) / var_s.sqrt()
    };
    let (p_increasing, p_decreasing) =
        if var_s <= 0.0 { (1.0, 1.0) } else { (1.0 - normal_cdf(z), normal_cdf(z)) };
    MannKendall { s, var_s, z, p_increasing, p_decreasing }
}

/// The standard normal distribution function, accurate in the tails (relative error about
/// 1e-7, from the complementary error function of Numerical Recipes' `erfcc`).
#[must_use]
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theil_sen_ignores_an_outlier() {
        let mut pts: Vec<(f64, f64)> =
            (0..20).map(|i| (f64::from(i), 3.0 * f64::from(i) + 7.0)).collect();
        pts[10].1 = 1e9;
        let (slope, intercept) = theil_sen(&pts).unwrap();
        assert!((slope - 3.0).abs() < 1e-9);
        assert!((intercept - 7.0).abs() < 1e-9);
        assert_eq!(theil_sen(&[(1.0, 2.0)]), None);
        assert_eq!(theil_sen(&[(1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn mann_kendall_known_values() {
        // A strictly rising series of 10: S = 45, Var = 10*9*25/18 = 125.
        let up: Vec<f64> = (0..10).map(f64::from).collect();
        let mk = mann_kendall(&up);
        assert_eq!(mk.s, 45);
        assert!((mk.var_s - 125.0).abs() < 1e-9);
        assert!((mk.z - 44.0 / 125f64.sqrt()).abs() < 1e-12);
        assert!(mk.p_increasing < 1e-4);
        assert!(mk.p_decreasing > 0.99);
        // All equal: no information.
        let flat = mann_kendall(&[5.0; 12]);
        assert_eq!((flat.s, flat.z), (0, 0.0));
        assert!(flat.p_increasing >= 0.5);
    }

    #[test]
    fn normal_cdf_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-3.090_232) - 0.001).abs() < 1e-7);
        assert!(normal_cdf(-8.0) > 0.0 && normal_cdf(-8.0) < 1e-14);
    }
}
