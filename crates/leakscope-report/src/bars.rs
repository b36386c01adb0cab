//! Horizontal bars as inline SVG: a label, a bar from zero (left for negative values), and
//! the value.

use std::fmt::Write as _;

use leakscope_trend::format_bytes;

use crate::html::escape;
use crate::model::{BarChart, group_digits};

const WIDTH: f64 = 960.0;
const ROW: f64 = 24.0;
const LABEL: f64 = 300.0;
const VALUE: f64 = 110.0;
/// Labels longer than this are cut (the whole label is the bar's tooltip).
const LABEL_CHARS: usize = 42;

pub(crate) fn render(chart: &BarChart) -> String {
    let mut out = String::new();
    let _ =
        write!(out, "<figure class=\"chart\"><figcaption>{}</figcaption>", escape(&chart.title));
    let bars: Vec<_> = chart.bars.iter().filter(|b| b.value.is_finite()).collect();
    if bars.is_empty() {
        out.push_str("<p class=\"empty\">Nothing to draw.</p></figure>");
        return out;
    }
    let pos = bars.iter().fold(0.0f64, |m, b| m.max(b.value));
    let neg = bars.iter().fold(0.0f64, |m, b| m.max(-b.value));
    let span = (pos + neg).max(f64::MIN_POSITIVE);
    let area = WIDTH - LABEL - VALUE;
    let zero = LABEL + area * neg / span;
    #[allow(clippy::cast_precision_loss)] // a few dozen bars
    let height = ROW * bars.len() as f64 + 8.0;
    let _ = write!(
        out,
        "<svg class=\"bar-chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{}\">",
        escape(&chart.title)
    );
    for (i, b) in bars.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = 4.0 + ROW * i as f64;
        let w = area * b.value.abs() / span;
        let x = if b.value < 0.0 { zero - w } else { zero };
        let value = format_value(b.value, chart.bytes, chart.delta);
        let label: String = if b.label.chars().count() > LABEL_CHARS {
            b.label.chars().take(LABEL_CHARS - 1).chain(std::iter::once('…')).collect()
        } else {
            b.label.clone()
        };
        let class = if b.value < 0.0 { "bar negative" } else { "bar" };
        let _ = write!(
            out,
            "<g class=\"{class}\"><title>{}: {value}</title>\
             <text class=\"bar-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"2\"/>\
             <text class=\"bar-value\" x=\"{:.1}\" y=\"{:.1}\">{value}</text></g>",
            escape(&b.label),
            LABEL - 10.0,
            y + ROW * 0.62,
            escape(&label),
            y + 3.0,
            w.max(1.0),
            ROW - 6.0,
            (x + w.max(1.0)).max(zero) + 6.0,
            y + ROW * 0.62,
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{zero:.1}\" x2=\"{zero:.1}\" y1=\"0\" y2=\"{height:.1}\"/></svg></figure>"
    );
    out
}

fn format_value(v: f64, bytes: bool, delta: bool) -> String {
    let sign = match (delta, v > 0.0, v < 0.0) {
        (true, true, _) => "+",
        (_, _, true) => "−",
        _ => "",
    };
    if bytes {
        format!("{sign}{}", format_bytes(v.abs()))
    } else {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = v.abs().round() as u64;
        format!("{sign}{}", group_digits(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Bar;

    #[test]
    fn negative_bars_grow_left_of_zero() {
        let chart = BarChart {
            title: "size Δ".into(),
            bytes: true,
            delta: true,
            bars: vec![
                Bar { label: "Session".into(), value: 2e6 },
                Bar { label: "(string)".into(), value: -1e6 },
            ],
        };
        let svg = render(&chart);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("+2.00 MB") && svg.contains("−1.00 MB"), "{svg}");
        assert!(svg.contains("class=\"bar negative\""));
    }

    #[test]
    fn long_labels_are_cut_and_kept_whole_in_the_tooltip() {
        let long = "x".repeat(100);
        let chart = BarChart {
            title: "t".into(),
            bytes: false,
            delta: false,
            bars: vec![Bar { label: long.clone(), value: 12_345.0 }],
        };
        let svg = render(&chart);
        assert!(svg.contains(&format!("<title>{long}: 12,345</title>")));
        assert!(svg.contains('…'));
    }
}
