//! The page as one HTML document: inline CSS and script, a content security policy that
//! forbids every fetch, and each block in order.

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{Block, Fact, Finding, Page, Tone};
use crate::{bars, chart, table};

const CSS: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");
/// Nothing may be fetched: styles and script are inline, images are data URLs at most.
const POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// The page as a self-contained HTML document.
#[must_use]
pub fn render(page: &Page) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\">\
         <meta name=\"generator\" content=\"leakscope {}\">\
         <title>{}</title><style>{CSS}</style></head><body>\n<header><h1>{}</h1>",
        env!("CARGO_PKG_VERSION"),
        escape(&page.title),
        escape(&page.title)
    );
    if !page.command.is_empty() {
        let _ = write!(out, "<p class=\"command\"><code>{}</code></p>", escape(&page.command));
    }
    if let Some(when) = &page.generated {
        let _ = write!(out, "<p class=\"generated\">{}</p>", escape(when));
    }
    out.push_str("</header>\n");
    if let Some(v) = &page.verdict {
        let tone = match v.tone {
            Tone::Bad => "bad",
            Tone::Good => "good",
            Tone::Neutral => "neutral",
        };
        let _ = writeln!(
            out,
            "<p class=\"verdict {tone}\" id=\"verdict\"><strong>{}</strong> {}</p>",
            escape(&v.label),
            escape(&v.sentence)
        );
    }
    if page.sections.len() > 1 {
        out.push_str("<nav class=\"toc\" aria-label=\"contents\">");
        for (i, s) in page.sections.iter().enumerate() {
            let _ = write!(out, "<a href=\"#section-{}\">{}</a>", i + 1, escape(&s.title));
        }
        out.push_str("</nav>\n");
    }
    out.push_str("<main>\n");
    let mut tables = 0;
    for (i, s) in page.sections.iter().enumerate() {
        let _ = write!(out, "<section id=\"section-{}\"><h2>{}</h2>", i + 1, escape(&s.title));
        for b in &s.blocks {
            block(&mut out, b, &mut tables);
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "</main>\n<footer>Made by leakscope {}. This file is self-contained: it loads nothing \
         from the network.</footer>\n<script>{SCRIPT}</script></body></html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

fn block(out: &mut String, b: &Block, tables: &mut usize) {
    match b {
        Block::Text(t) => {
            let _ = write!(out, "<p>{}</p>", escape(t));
        }
        Block::Facts(facts) => facts_html(out, facts),
        Block::LineChart(c) => out.push_str(&chart::render(c)),
        Block::BarChart(c) => out.push_str(&bars::render(c)),
        Block::Table(t) => {
            *tables += 1;
            out.push_str(&table::render(t, &format!("table-{tables}")));
        }
        Block::Findings(findings) => {
            if findings.is_empty() {
                out.push_str("<p class=\"empty\">No leak found.</p>");
            }
            for (i, f) in findings.iter().enumerate() {
                finding_html(out, i + 1, f);
            }
        }
        Block::Code(text) => {
            let _ = write!(out, "<pre>{}</pre>", escape(text));
        }
        Block::List(items) => {
            out.push_str("<ul>");
            for item in items {
                let _ = write!(out, "<li>{}</li>", escape(item));
            }
            out.push_str("</ul>");
        }
    }
}

fn facts_html(out: &mut String, facts: &[Fact]) {
    out.push_str("<dl class=\"facts\">");
    for f in facts {
        let _ =
            write!(out, "<div><dt>{}</dt><dd>{}</dd></div>", escape(&f.label), escape(&f.value));
    }
    out.push_str("</dl>");
}

fn finding_html(out: &mut String, rank: usize, f: &Finding) {
    let _ = write!(
        out,
        "<article class=\"finding\"><h3><span class=\"rank\">{rank}</span>{}</h3>",
        escape(&f.title)
    );
    facts_html(out, &f.facts);
    if let Some(holder) = &f.holder {
        let _ = write!(out, "<p class=\"holder\">Held by <strong>{}</strong></p>", escape(holder));
    }
    if !f.path.is_empty() {
        out.push_str("<ol class=\"path\" aria-label=\"retainer path from the root\">");
        for (i, step) in f.path.iter().enumerate() {
            let class = if f.holder_step == Some(i) { " class=\"holder\"" } else { "" };
            let id =
                step.id.map(|id| format!(" <span class=\"id\">@{id}</span>")).unwrap_or_default();
            let edge = if step.edge.is_empty() {
                String::new()
            } else {
                format!("<span class=\"edge\">{}</span>", escape(&step.edge))
            };
            let _ = write!(
                out,
                "<li{class}>{edge}<span class=\"node\">{}{id}</span></li>",
                escape(&step.class)
            );
        }
        out.push_str("</ol>");
    }
    if let Some(location) = &f.location {
        let _ =
            write!(out, "<p class=\"location\">Defined at <code>{}</code></p>", escape(location));
    }
    if let Some(example) = &f.example {
        let _ = write!(
            out,
            "<details open><summary>One of them</summary><pre>{}</pre></details>",
            escape(example)
        );
    }
    if !f.notes.is_empty() {
        out.push_str("<ul class=\"notes\">");
        for n in &f.notes {
            let _ = write!(out, "<li>{}</li>", escape(n));
        }
        out.push_str("</ul>");
    }
    out.push_str("</article>");
}

/// Text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside a `<script>` element: `<`, `>` and `&` only occur in strings, where
/// their `\u` escapes mean the same.
pub(crate) fn json_for_script(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PathStep, Section, Verdict};

    #[test]
    fn a_page_is_one_document_that_fetches_nothing() {
        let mut page = Page::new("leakscope leaks", "leakscope leaks a b c");
        page.verdict = Some(Verdict::new(Tone::Bad, "Leak", "Session objects leak."));
        page.sections.push(Section::new("One", vec![Block::Text("x".into())]));
        page.sections.push(Section::new("Two", vec![Block::Findings(vec![])]));
        let html = render(&page);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("default-src 'none'"));
        assert!(html.contains("<p class=\"verdict bad\" id=\"verdict\"><strong>Leak</strong>"));
        assert!(html.contains("href=\"#section-2\">Two</a>"));
        assert!(html.contains("No leak found."));
        // Nothing outside the file: no src= or href= but in-page anchors.
        assert!(!html.contains("src=\""));
        assert!(html.match_indices("href=\"").all(|(i, _)| html[i + 6..].starts_with('#')));
    }

    #[test]
    fn a_finding_highlights_its_holder() {
        let f = Finding {
            title: "Session ×3".into(),
            path: vec![
                PathStep { edge: "global".into(), class: "Window".into(), id: Some(1) },
                PathStep { edge: "recentlySeen".into(), class: "Map".into(), id: Some(7) },
                PathStep { edge: "[0]".into(), class: "Session".into(), id: Some(9) },
            ],
            holder_step: Some(1),
            holder: Some("recentlySeen (Map @7)".into()),
            ..Finding::default()
        };
        let mut out = String::new();
        finding_html(&mut out, 1, &f);
        assert!(out.contains(
            "<li class=\"holder\"><span class=\"edge\">recentlySeen</span><span class=\"node\">Map <span class=\"id\">@7</span></span></li>"
        ), "{out}");
    }
}
