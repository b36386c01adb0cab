//! The HTML report: one self-contained file that people open from disk and share.
//!
//! A command describes what it found as a [`Page`] — a verdict, then sections of facts,
//! charts, tables and findings — and [`render`] turns the page into one HTML document: CSS,
//! script and charts (inline SVG) are all inside it, nothing is fetched, and it reads the same
//! in light and dark mode. Tables carry their rows as JSON and show a page of them at a time,
//! so a census of 50,000 classes stays responsive while it sorts and filters; the first page
//! is also written as plain HTML for readers without script.
//!
//! ```
//! use leakscope_report::{Block, Cell, Column, Page, Section, Table, Tone, Verdict, render};
//!
//! let mut page = Page::new("leakscope summary", "leakscope summary app.heapsnapshot");
//! page.verdict = Some(Verdict::new(Tone::Neutral, "Census", "412 classes, 38.2 MB in all."));
//! let mut table = Table::new(vec![Column::text("class"), Column::number("retained")]);
//! table.row(vec![Cell::text("Session"), Cell::bytes(38_200_000)]);
//! page.sections.push(Section::new("Classes", vec![Block::Table(table)]));
//! let html = render(&page);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains("Session"));
//! ```

mod axis;
mod bars;
mod chart;
mod html;
mod model;
mod table;

pub use html::render;
pub use model::{
    Bar, BarChart, Block, Cell, Column, Fact, Finding, LineChart, Marker, Page, PathStep, Section,
    Series, Style, Table, Tone, Verdict, group_digits,
};
