//! Axis ticks at round values, in units people read: MB, minutes.

/// About `target` ticks at round values (1, 2 or 5 times a power of ten) that cover `lo..=hi`,
/// and the step between them.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    #[allow(clippy::cast_precision_loss)] // a handful of ticks
    let rough = (hi - lo) / target.max(1) as f64;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).floor() * step;
    let mut ticks = Vec::new();
    let mut i = 0.0;
    loop {
        let t = first + i * step;
        ticks.push(t);
        if t >= hi - step * 1e-9 || ticks.len() > 100 {
            break;
        }
        i += 1.0;
    }
    (ticks, step)
}

/// The decimal byte unit for values up to `max`: its divisor and name.
pub(crate) fn byte_unit(max: f64) -> (f64, &'static str) {
    const UNITS: [(f64, &str); 5] =
        [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"), (1.0, "B")];
    UNITS.into_iter().find(|(d, _)| max.abs() >= *d).unwrap_or((1.0, "B"))
}

/// Labels of byte ticks, in one unit with as many decimals as the step needs: `0`, `2.5 MB`.
pub(crate) fn byte_labels(ticks: &[f64], step: f64) -> Vec<String> {
    let max = ticks.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    let (divisor, unit) = byte_unit(max);
    let decimals = decimals_for(step / divisor);
    ticks
        .iter()
        .map(|t| {
            if *t == 0.0 { "0".to_owned() } else { format!("{:.*} {unit}", decimals, t / divisor) }
        })
        .collect()
}

/// The unit of a time axis spanning `span_s` seconds: its length in seconds and its name.
pub(crate) fn time_unit(span_s: f64) -> (f64, &'static str) {
    if span_s <= 180.0 {
        (1.0, "s")
    } else if span_s <= 3.0 * 3600.0 {
        (60.0, "min")
    } else {
        (3600.0, "h")
    }
}

/// Labels of ticks in `unit`s.
pub(crate) fn plain_labels(ticks: &[f64], step: f64) -> Vec<String> {
    let decimals = decimals_for(step);
    ticks.iter().map(|t| format!("{:.*}", decimals, t)).collect()
}

/// Decimals that tell ticks `step` apart.
fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || step <= 0.0 {
        0
    } else {
        // 0.5 → 1, 0.25 → 2; a nice step has at most one significant digit.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let d = (-step.log10()).ceil() as usize;
        d.min(6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let (t, step) = nice_ticks(0.0, 34.5e6, 5);
        assert_eq!(step, 1e7);
        assert_eq!(t, vec![0.0, 1e7, 2e7, 3e7, 4e7]);
        let (t, step) = nice_ticks(3.0, 9.0, 6);
        assert_eq!(step, 1.0);
        assert_eq!(t.first(), Some(&3.0));
        assert_eq!(t.last(), Some(&9.0));
        // Degenerate ranges still give an axis.
        assert!(nice_ticks(5.0, 5.0, 5).0.len() >= 2);
        assert!(nice_ticks(f64::NAN, 1.0, 5).0.len() >= 2);
    }

    #[test]
    fn byte_labels_share_one_unit() {
        let (t, step) = nice_ticks(0.0, 2.2e6, 5);
        assert_eq!(byte_labels(&t, step), ["0", "0.5 MB", "1.0 MB", "1.5 MB", "2.0 MB", "2.5 MB"]);
        let (t, step) = nice_ticks(0.0, 3.5e9, 4);
        assert_eq!(byte_labels(&t, step), ["0", "1 GB", "2 GB", "3 GB", "4 GB"]);
    }

    #[test]
    fn time_units_follow_the_span() {
        assert_eq!(time_unit(40.0), (1.0, "s"));
        assert_eq!(time_unit(600.0), (60.0, "min"));
        assert_eq!(time_unit(36_000.0), (3600.0, "h"));
        let (t, step) = nice_ticks(0.0, 0.75, 3);
        assert_eq!(plain_labels(&t, step), ["0.0", "0.5", "1.0"]);
    }
}
