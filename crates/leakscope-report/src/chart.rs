//! Bytes over time as an inline SVG line chart: axes at round values, dots for samples,
//! lines for levels, a dashed fitted trend, vertical markers and GC ticks.

use std::fmt::Write as _;

use leakscope_trend::format_bytes;

use crate::axis::{byte_labels, nice_ticks, plain_labels, time_unit};
use crate::html::escape;
use crate::model::{LineChart, Style};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 76.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 48.0;
/// Points a series keeps at most: the plot is about 870 px wide, and a browser draws a few
/// thousand SVG elements without effort; a minimum and a maximum per pixel keep every peak.
const MAX_POINTS: usize = 1800;
/// Series colours the style sheet defines (`.s0` to `.s7`).
const COLORS: usize = 8;

/// Maps data to the plot area.
struct Frame {
    x0: f64,
    x1: f64,
    y1: f64,
}

impl Frame {
    fn x(&self, t: f64) -> f64 {
        LEFT + (t - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, v: f64) -> f64 {
        HEIGHT - BOTTOM - v / self.y1 * (HEIGHT - TOP - BOTTOM)
    }
}

/// The chart as a `<figure>`: caption, SVG and legend.
pub(crate) fn render(chart: &LineChart) -> String {
    let mut out = String::new();
    let _ =
        write!(out, "<figure class=\"chart\"><figcaption>{}</figcaption>", escape(&chart.title));
    let all_t = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(chart.markers.iter().map(|m| m.t))
        .chain(chart.ticks.iter().flat_map(|(_, t)| t.iter().copied()))
        .filter(|t| t.is_finite());
    let (t_min, t_max) =
        all_t.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let v_max = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    if !t_min.is_finite() || chart.series.iter().all(|s| s.points.is_empty()) {
        out.push_str("<p class=\"empty\">No samples to draw.</p></figure>");
        return out;
    }

    let (unit_s, unit) = time_unit(t_max - t_min.min(0.0));
    let (x_ticks, x_step) = nice_ticks(t_min.min(0.0) / unit_s, t_max / unit_s, 8);
    let (y_ticks, y_step) = nice_ticks(0.0, v_max.max(1.0) * 1.04, 5);
    // The time axis ends with the data (a round last tick could leave a blank stretch).
    let x0 = x_ticks.first().copied().unwrap_or(0.0) * unit_s;
    let x1 = if t_max > x0 { t_max } else { x0 + unit_s };
    let x_ticks: Vec<f64> = x_ticks.into_iter().filter(|t| t * unit_s <= x1 + 1e-9).collect();
    let frame = Frame { x0, x1, y1: y_ticks.last().copied().unwrap_or(1.0) };
    let _ = write!(
        out,
        "<svg class=\"line-chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        escape(&chart.title)
    );
    // Grid and y labels.
    for (v, label) in y_ticks.iter().zip(byte_labels(&y_ticks, y_step)) {
        let y = frame.y(*v);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            WIDTH - RIGHT,
            LEFT - 8.0,
            y + 4.0
        );
    }
    for (t, label) in x_ticks.iter().zip(plain_labels(&x_ticks, x_step)) {
        let x = frame.x(t * unit_s);
        let _ = write!(
            out,
            "<line class=\"axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <text class=\"axis-label\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM + 5.0,
            HEIGHT - BOTTOM + 19.0
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
         <text class=\"axis-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">time since start ({unit})</text>",
        WIDTH - RIGHT,
        (LEFT + WIDTH - RIGHT) / 2.0,
        HEIGHT - 8.0,
        y = HEIGHT - BOTTOM,
    );

    if let Some((name, ticks)) = &chart.ticks {
        let _ = write!(out, "<g class=\"ticks\"><title>{}</title>", escape(name));
        for t in ticks.iter().filter(|t| t.is_finite()) {
            let x = frame.x(*t);
            let _ = write!(
                out,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
                HEIGHT - BOTTOM - 7.0,
                HEIGHT - BOTTOM
            );
        }
        out.push_str("</g>");
    }

    for (i, s) in chart.series.iter().enumerate() {
        let points = thin(&s.points);
        let class = style_class(s.style);
        let _ = write!(
            out,
            "<g class=\"series s{} {class}\" data-series=\"{}\">",
            i % COLORS,
            escape(&s.name)
        );
        match s.style {
            Style::Points => {
                for (t, v) in &points {
                    let _ = write!(
                        out,
                        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.6\"><title>{}: {} at {}</title></circle>",
                        frame.x(*t),
                        frame.y(*v),
                        escape(&s.name),
                        format_bytes(*v),
                        format_time(*t)
                    );
                }
            }
            Style::Line | Style::Dashed => {
                out.push_str("<polyline points=\"");
                for (t, v) in &points {
                    let _ = write!(out, "{:.1},{:.1} ", frame.x(*t), frame.y(*v));
                }
                let _ = write!(out, "\"><title>{}</title></polyline>", escape(&s.name));
            }
        }
        out.push_str("</g>");
    }

    for m in &chart.markers {
        let x = frame.x(m.t);
        let _ = write!(
            out,
            "<g class=\"marker\"><title>{}</title><line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
            escape(&m.title),
            HEIGHT - BOTTOM,
            TOP - 6.0,
            escape(&m.label)
        );
    }
    out.push_str("</svg><ul class=\"legend\">");
    for (i, s) in chart.series.iter().enumerate() {
        let style = style_class(s.style);
        let _ = write!(
            out,
            "<li><span class=\"swatch s{} {style}\"></span>{}</li>",
            i % COLORS,
            escape(&s.name)
        );
    }
    if let Some((name, _)) = &chart.ticks {
        let _ = write!(out, "<li><span class=\"swatch tick\"></span>{}</li>", escape(name));
    }
    if !chart.markers.is_empty() {
        out.push_str("<li><span class=\"swatch marker\"></span>snapshot taken</li>");
    }
    out.push_str("</ul></figure>");
    out
}

/// The CSS class that draws a series (and its legend swatch) in its style.
fn style_class(style: Style) -> &'static str {
    match style {
        Style::Line => "line",
        Style::Dashed => "dashed",
        Style::Points => "points",
    }
}

/// At most [`MAX_POINTS`] points: the first, minimum, maximum and last of each slice of time.
fn thin(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let points: Vec<(f64, f64)> =
        points.iter().copied().filter(|(t, v)| t.is_finite() && v.is_finite()).collect();
    if points.len() <= MAX_POINTS {
        return points;
    }
    let buckets = MAX_POINTS / 4;
    let per = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(MAX_POINTS);
    for chunk in points.chunks(per) {
        let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else { continue };
        let min = chunk.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or(*first);
        let max = chunk.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or(*first);
        let mut four = [*first, min, max, *last];
        four.sort_by(|a, b| a.0.total_cmp(&b.0));
        for p in four {
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// `12.5 s`, `3.2 min`, `1.5 h`.
fn format_time(t: f64) -> String {
    if t < 180.0 {
        format!("{t:.1} s")
    } else if t < 3.0 * 3600.0 {
        format!("{:.1} min", t / 60.0)
    } else {
        format!("{:.2} h", t / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Marker, Series};

    fn chart(n: usize) -> LineChart {
        #[allow(clippy::cast_precision_loss)]
        let points = (0..n).map(|i| (i as f64 * 0.5, 1e6 * (i % 7) as f64)).collect();
        LineChart {
            title: "heap".into(),
            series: vec![Series::new("baseline", Style::Points, points)],
            markers: vec![Marker { t: 3.0, label: "S1".into(), title: "s1.heapsnapshot".into() }],
            ticks: Some(("major GC".into(), vec![1.0, 2.0])),
        }
    }

    #[test]
    fn draws_every_point_of_a_small_series() {
        let svg = render(&chart(40));
        assert_eq!(svg.matches("<circle").count(), 40);
        assert!(svg.contains(">S1</text>"));
        assert!(svg.contains("time since start (s)"));
        assert!(svg.contains(">6.0 MB</text>") || svg.contains(">6 MB</text>"), "{svg}");
    }

    #[test]
    fn thins_a_long_series_and_keeps_its_peaks() {
        let c = chart(100_000);
        let svg = render(&c);
        let circles = svg.matches("<circle").count();
        assert!(circles <= MAX_POINTS && circles > MAX_POINTS / 2, "{circles}");
        let thinned = thin(&c.series[0].points);
        let max = thinned.iter().map(|p| p.1).fold(0.0, f64::max);
        assert_eq!(max, 6e6);
        assert!(thinned.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn empty_and_odd_input_do_not_break_it() {
        let empty = LineChart { title: "x".into(), ..LineChart::default() };
        assert!(render(&empty).contains("No samples"));
        let odd = LineChart {
            title: "<odd>".into(),
            series: vec![Series::new(
                "a&b",
                Style::Line,
                vec![(f64::NAN, 1.0), (1.0, f64::INFINITY), (2.0, 0.0)],
            )],
            ..LineChart::default()
        };
        let svg = render(&odd);
        assert!(svg.contains("&lt;odd&gt;") && svg.contains("a&amp;b"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
}
