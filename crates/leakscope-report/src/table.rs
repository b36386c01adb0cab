//! Tables: the rows as JSON for the page's script (sort, filter, pages), and the first page
//! as plain HTML for readers without script.

use std::fmt::Write as _;

use serde::Serialize;

use crate::html::{escape, json_for_script};
use crate::model::{Cell, Table, group_digits};

/// A cell in the JSON: its text, or `[text, value]` when it sorts by value.
#[derive(Serialize)]
#[serde(untagged)]
enum CellJson<'a> {
    Text(&'a str),
    Number(&'a str, f64),
}

impl<'a> From<&'a Cell> for CellJson<'a> {
    fn from(c: &'a Cell) -> Self {
        match c.value {
            Some(v) => CellJson::Number(&c.text, v),
            None => CellJson::Text(&c.text),
        }
    }
}

#[derive(Serialize)]
struct TableJson<'a> {
    rows: Vec<Vec<CellJson<'a>>>,
}

/// Tables with more rows than this get a filter box.
const FILTER_FROM: usize = 20;

pub(crate) fn render(table: &Table, id: &str) -> String {
    let mut out = String::new();
    let page = table.page_size.max(1);
    let n = table.rows.len();
    let _ = write!(
        out,
        "<div class=\"table\" id=\"{id}\" data-page-size=\"{page}\">\
         <div class=\"table-tools\"><input type=\"search\" placeholder=\"Filter rows\" \
         aria-label=\"Filter rows\"{}><span class=\"count\">{} row{}</span></div>\
         <div class=\"scroll\"><table><thead><tr>",
        // A short table reads at a glance; a filter box would be noise.
        if n > FILTER_FROM { "" } else { " hidden" },
        group_digits(n as u64),
        if n == 1 { "" } else { "s" }
    );
    for (i, c) in table.columns.iter().enumerate() {
        let sort = match table.sort {
            Some((col, true)) if col == i => " aria-sort=\"descending\"",
            Some((col, false)) if col == i => " aria-sort=\"ascending\"",
            _ => "",
        };
        let class = if c.numeric { " class=\"num\"" } else { "" };
        let _ = write!(
            out,
            "<th data-col=\"{i}\"{class}{sort}><button type=\"button\">{}</button></th>",
            escape(&c.title)
        );
    }
    out.push_str("</tr></thead><tbody>");
    for row in table.rows.iter().take(page) {
        out.push_str("<tr>");
        for (cell, column) in row.iter().zip(&table.columns) {
            let class = if column.numeric { " class=\"num\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", escape(&cell.text));
        }
        out.push_str("</tr>");
    }
    let _ = write!(
        out,
        "</tbody></table></div><nav class=\"pager\" aria-label=\"pages\"{}>\
         <button type=\"button\" data-step=\"-1\">‹ previous</button>\
         <span class=\"range\">{}–{} of {}</span>\
         <button type=\"button\" data-step=\"1\">next ›</button></nav>",
        if n > page { "" } else { " hidden" },
        usize::from(n > 0),
        n.min(page),
        group_digits(n as u64)
    );
    let data = TableJson {
        rows: table.rows.iter().map(|r| r.iter().map(CellJson::from).collect()).collect(),
    };
    let _ = write!(
        out,
        "<script type=\"application/json\" class=\"table-data\">{}</script></div>",
        json_for_script(&data)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Column;

    fn census(n: u64) -> Table {
        let mut t = Table::new(vec![Column::text("class"), Column::number("retained")]);
        for i in 0..n {
            t.row(vec![Cell::text(format!("Class{i}")), Cell::bytes(1000 * (n - i))]);
        }
        t.sorted_by(1, true)
    }

    #[test]
    fn a_big_table_writes_one_page_and_carries_every_row_as_data() {
        let html = render(&census(50_000), "t1");
        let tbody = &html[html.find("<tbody>").unwrap()..html.find("</tbody>").unwrap()];
        assert_eq!(tbody.matches("<tr>").count(), 50);
        assert!(html.contains("1–50 of 50,000"));
        let data = &html[html.find("class=\"table-data\">").unwrap() + 19..];
        let data = &data[..data.find("</script>").unwrap()];
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["rows"].as_array().unwrap().len(), 50_000);
        assert_eq!(v["rows"][49999], serde_json::json!(["Class49999", ["1.00 kB", 1000.0]]));
        assert!(html.contains("aria-sort=\"descending\""));
    }

    #[test]
    fn text_cannot_close_the_script_or_inject_markup() {
        let mut t = Table::new(vec![Column::text("class")]);
        t.row(vec![Cell::text("</script><img src=x onerror=alert(1)>")]);
        let html = render(&t, "t2");
        assert_eq!(html.matches("</script>").count(), 1);
        assert!(!html.contains("<img"));
        assert!(html.contains("\\u003c/script\\u003e"));
    }
}
