//! What a report says, before it is HTML: the page model the commands fill in.

use leakscope_trend::{format_bytes, format_rate};

/// One report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// The document's title, e.g. `leakscope run`.
    pub title: String,
    /// The command line that made it, shown under the title.
    pub command: String,
    /// When it was made (the binary's words, e.g. an ISO date).
    pub generated: Option<String>,
    /// The answer in one sentence, at the top.
    pub verdict: Option<Verdict>,
    /// The evidence, in order.
    pub sections: Vec<Section>,
}

impl Page {
    /// An empty page.
    #[must_use]
    pub fn new(title: impl Into<String>, command: impl Into<String>) -> Self {
        Self { title: title.into(), command: command.into(), ..Self::default() }
    }
}

/// How the verdict reads: a problem, good news, or neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tone {
    /// A leak.
    Bad,
    /// No leak.
    Good,
    /// Inconclusive, or a plain census.
    #[default]
    Neutral,
}

/// The answer at the top of the page.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Its tone (colour).
    pub tone: Tone,
    /// One or two words: `Leak`, `No leak`, `Inconclusive`.
    pub label: String,
    /// What leaks, how fast, held by what.
    pub sentence: String,
}

impl Verdict {
    /// A verdict.
    #[must_use]
    pub fn new(tone: Tone, label: impl Into<String>, sentence: impl Into<String>) -> Self {
        Self { tone, label: label.into(), sentence: sentence.into() }
    }
}

/// A titled part of the page; the page's table of contents lists them.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Its heading.
    pub title: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

impl Section {
    /// A section.
    #[must_use]
    pub fn new(title: impl Into<String>, blocks: Vec<Block>) -> Self {
        Self { title: title.into(), blocks }
    }
}

/// One piece of content.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A paragraph.
    Text(String),
    /// Labelled values in a grid (`retained 38.2 MB`).
    Facts(Vec<Fact>),
    /// Values over time.
    LineChart(LineChart),
    /// Horizontal bars, signed.
    BarChart(BarChart),
    /// A sortable, filterable, paginated table.
    Table(Table),
    /// Leak findings, each a card with its retainer path.
    Findings(Vec<Finding>),
    /// Preformatted text (an object printed, a stack).
    Code(String),
    /// A bulleted list.
    List(Vec<String>),
}

/// A labelled value.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    /// What it is.
    pub label: String,
    /// Its value, formatted.
    pub value: String,
}

impl Fact {
    /// A fact.
    #[must_use]
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self { label: label.into(), value: value.into() }
    }
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A solid line.
    Line,
    /// A dashed line (a fitted trend).
    Dashed,
    /// One dot per point (post-GC baselines).
    Points,
}

/// A named series of `(seconds since start, bytes)` points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its legend entry.
    pub name: String,
    /// How it is drawn.
    pub style: Style,
    /// Its points, in time order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series.
    #[must_use]
    pub fn new(name: impl Into<String>, style: Style, points: Vec<(f64, f64)>) -> Self {
        Self { name: name.into(), style, points }
    }
}

/// A moment marked on a time chart (a snapshot was taken).
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Seconds since start.
    pub t: f64,
    /// A short label: `S1`.
    pub label: String,
    /// A longer one, shown on hover.
    pub title: String,
}

/// Bytes over time: memory of a process.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineChart {
    /// Its caption.
    pub title: String,
    /// The series, drawn in order (the first is under the others).
    pub series: Vec<Series>,
    /// Vertical lines with labels.
    pub markers: Vec<Marker>,
    /// Small ticks along the time axis (GCs), with their legend name.
    pub ticks: Option<(String, Vec<f64>)>,
}

/// One bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Its label (a class name).
    pub label: String,
    /// Its value; negative bars grow to the left.
    pub value: f64,
}

/// Horizontal bars, largest first as given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BarChart {
    /// Its caption.
    pub title: String,
    /// Whether values are bytes (else counts).
    pub bytes: bool,
    /// Whether values are changes, shown with their sign (`+2.1 MB`, `−31 kB`).
    pub delta: bool,
    /// The bars.
    pub bars: Vec<Bar>,
}

/// A table column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Its heading.
    pub title: String,
    /// Sorted by the cells' values and aligned right.
    pub numeric: bool,
}

impl Column {
    /// A text column.
    #[must_use]
    pub fn text(title: impl Into<String>) -> Self {
        Self { title: title.into(), numeric: false }
    }

    /// A numeric column.
    #[must_use]
    pub fn number(title: impl Into<String>) -> Self {
        Self { title: title.into(), numeric: true }
    }
}

/// A table cell: what it shows, and what it sorts by.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Shown.
    pub text: String,
    /// Sort key of numeric columns.
    pub value: Option<f64>,
}

#[allow(clippy::cast_precision_loss)] // sort keys and display
impl Cell {
    /// Text, sorted as text.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: text.into(), value: None }
    }

    /// A count: `12,345`.
    #[must_use]
    pub fn count(n: u64) -> Self {
        Self { text: group_digits(n), value: Some(n as f64) }
    }

    /// A signed count: `+12`, `−3`.
    #[must_use]
    pub fn signed_count(n: i64) -> Self {
        Self { text: with_sign(n, group_digits(n.unsigned_abs())), value: Some(n as f64) }
    }

    /// Bytes: `38.2 MB`.
    #[must_use]
    pub fn bytes(n: u64) -> Self {
        Self { text: format_bytes(n as f64), value: Some(n as f64) }
    }

    /// Signed bytes: `+38.2 MB`, `−1.50 kB`.
    #[must_use]
    pub fn signed_bytes(n: i64) -> Self {
        let text = with_sign(n, format_bytes(n.unsigned_abs() as f64));
        Self { text, value: Some(n as f64) }
    }

    /// A growth rate: `566 MB/hour`.
    #[must_use]
    pub fn rate(bytes_per_hour: f64) -> Self {
        Self { text: format_rate(bytes_per_hour), value: Some(bytes_per_hour) }
    }

    /// Any number with its own text.
    #[must_use]
    pub fn number(value: f64, text: impl Into<String>) -> Self {
        Self { text: text.into(), value: Some(value) }
    }
}

/// `magnitude` (of `n`) with `n`'s sign: `+12`, `−3 kB`, `0`.
fn with_sign(n: i64, magnitude: String) -> String {
    match n.signum() {
        1 => format!("+{magnitude}"),
        -1 => format!("−{magnitude}"),
        _ => magnitude,
    }
}

/// `1234567` → `1,234,567`.
#[must_use]
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A table that sorts (click a heading), filters (type in the box) and pages.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, each one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// The column sorted at first, and whether descending.
    pub sort: Option<(usize, bool)>,
    /// Rows per page.
    pub page_size: usize,
}

impl Table {
    /// An empty table with 50 rows a page, in the order rows are added.
    #[must_use]
    pub fn new(columns: Vec<Column>) -> Self {
        Self { columns, rows: Vec::new(), sort: None, page_size: 50 }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// Sorts the rows by a column (its values, else its text), as a click on its heading
    /// would, and shows that on the heading. Call it after adding the rows.
    #[must_use]
    pub fn sorted_by(mut self, column: usize, descending: bool) -> Self {
        let key = |row: &Vec<Cell>| row.get(column).cloned();
        self.rows.sort_by(|a, b| {
            let order = match (key(a), key(b)) {
                (Some(x), Some(y)) => match (x.value, y.value) {
                    (Some(u), Some(v)) => u.total_cmp(&v),
                    _ => x.text.to_lowercase().cmp(&y.text.to_lowercase()),
                },
                _ => std::cmp::Ordering::Equal,
            };
            if descending { order.reverse() } else { order }
        });
        self.sort = Some((column, descending));
        self
    }
}

/// One step of a retainer path: the edge taken, then the object reached.
#[derive(Clone, Debug, PartialEq)]
pub struct PathStep {
    /// The edge's name: a property, `[42]`, a variable; empty for the path's first object.
    pub edge: String,
    /// The class of the object it reaches.
    pub class: String,
    /// Its id (`@1234`), when it has one.
    pub id: Option<u64>,
}

/// A leak found, as a card.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finding {
    /// What leaks: a class or a property signature.
    pub title: String,
    /// Count, sizes, growth.
    pub facts: Vec<Fact>,
    /// From the root to one leaked object.
    pub path: Vec<PathStep>,
    /// The step whose object holds the leaked objects (highlighted).
    pub holder_step: Option<usize>,
    /// What holds them, in words: `recentlySeen (Map @123)`.
    pub holder: Option<String>,
    /// Where the class or closure is defined: `file:line:col`.
    pub location: Option<String>,
    /// One leaked object, printed.
    pub example: Option<String>,
    /// Anything else worth a line.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_format_and_sort_by_value() {
        assert_eq!(Cell::count(1_234_567).text, "1,234,567");
        assert_eq!(Cell::count(999).text, "999");
        assert_eq!(Cell::signed_count(-1200), Cell::number(-1200.0, "−1,200"));
        assert_eq!(Cell::signed_count(0).text, "0");
        assert_eq!(Cell::signed_bytes(38_200_000).text, "+38.2 MB");
        assert_eq!(Cell::bytes(1500).value, Some(1500.0));
        assert_eq!(Cell::rate(2.2e9).text, "2.20 GB/hour");
    }

    #[test]
    fn sorted_by_sorts_what_its_heading_will_claim() {
        let mut t = Table::new(vec![Column::text("class"), Column::number("size")]);
        for (name, size) in [("b", 2), ("a", 30), ("c", 1)] {
            t.row(vec![Cell::text(name), Cell::bytes(size)]);
        }
        let t = t.sorted_by(1, true);
        let names: Vec<&str> = t.rows.iter().map(|r| r[0].text.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        let t = t.sorted_by(0, false);
        assert_eq!(t.rows[0][0].text, "a");
        assert_eq!(t.sort, Some((0, false)));
    }
}
