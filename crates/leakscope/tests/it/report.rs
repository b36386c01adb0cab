//! The HTML reports (`--html FILE`) of real runs and real snapshots: their structure against
//! the same command's JSON, and a real browser (headless Chromium) opening them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use leakscope_testkit::browser::Browser;
use leakscope_testkit::{node, scratch};
use serde_json::Value;

use crate::support::{arg, leakscope, run, run_json, stderr};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name)
}

/// Where the browser tests leave their screenshots (kept after the run, for people to look).
fn output_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("report")
}

/// The rows of each table of a report, from the JSON the page's script reads.
pub fn tables(html: &str) -> Vec<Vec<Value>> {
    const OPEN: &str = "<script type=\"application/json\" class=\"table-data\">";
    html.split(OPEN)
        .skip(1)
        .map(|rest| {
            let json = &rest[..rest.find("</script>").unwrap()];
            let v: Value = serde_json::from_str(json).unwrap();
            v["rows"].as_array().unwrap().clone()
        })
        .collect()
}

/// A cell's text (cells are `"text"` or `["text", value]`).
fn text(cell: &Value) -> &str {
    cell.as_str().or_else(|| cell[0].as_str()).unwrap()
}

/// The verdict paragraph's text, tags removed.
fn verdict(html: &str) -> String {
    let start = html.find("id=\"verdict\">").unwrap();
    let end = start + html[start..].find("</p>").unwrap();
    let mut out = String::new();
    let mut in_tag = false;
    for c in html[start + 13..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Three snapshots of the bundled leaky server, written by the example itself.
fn leaky_server_snapshots(dir: &Path) -> [PathBuf; 3] {
    let out = leakscope_testkit::run_with_timeout(
        node().command().arg(example("leaky-server.js")).arg("--snapshots").arg(dir),
        Duration::from_secs(120),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    ["s1", "s2", "s3"].map(|n| dir.join(format!("{n}.heapsnapshot")))
}

#[test]
fn leaks_diff_and_summary_reports_carry_what_their_json_says() {
    let dir = scratch();
    let [s1, s2, s3] = leaky_server_snapshots(dir.path());

    let html_path = dir.path().join("leaks.html");
    let json = run_json(&["leaks", arg(&s1), arg(&s2), arg(&s3)]);
    let out = run(&["leaks", arg(&s1), arg(&s2), arg(&s3), "--html", arg(&html_path)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&html_path).unwrap();
    let top = &json["leaks"][0];
    let v = verdict(&html);
    assert!(v.starts_with("1 leak"), "{v}");
    let count = usize::try_from(top["count"].as_u64().unwrap()).unwrap();
    assert!(v.contains(&format!("{} Session objects", group(count))), "{v}");
    assert!(v.contains("held by recentlySeen (Map)"), "{v}");
    // One card per finding, its holder highlighted on the path, its example printed.
    assert_eq!(
        html.matches("<article class=\"finding\">").count(),
        json["leaks"].as_array().unwrap().len()
    );
    assert!(
        html.contains(&format!(
            "<li class=\"holder\"><span class=\"edge\">recentlySeen</span><span class=\"node\">Map <span class=\"id\">@{}</span>",
            top["holder_id"]
        )),
        "the holder step is highlighted"
    );
    assert!(html.contains(&format!("<pre>Session @{}", top["example_id"])), "the example object");
    assert!(html.contains("leaky-server.js:"), "the class's location");

    let html_path = dir.path().join("diff.html");
    let json = run_json(&["diff", arg(&s1), arg(&s3)]);
    let out = run(&["diff", arg(&s1), arg(&s3), "--html", arg(&html_path)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&html_path).unwrap();
    let rows = &tables(&html)[0];
    let classes = json["classes"].as_array().unwrap();
    assert_eq!(rows.len(), classes.len());
    for (row, class) in rows.iter().zip(classes) {
        assert_eq!(text(&row[0]), class["class"].as_str().unwrap());
        assert_eq!(row[1][1].as_f64().unwrap(), class["size_delta"].as_f64().unwrap());
        assert_eq!(row[3][1].as_f64().unwrap(), class["added"].as_f64().unwrap());
    }
    assert!(html.contains("<svg class=\"bar-chart\""));
    assert!(verdict(&html).contains("The largest growth"), "{}", verdict(&html));

    let html_path = dir.path().join("summary.html");
    let json = run_json(&["summary", arg(&s3)]);
    // --top limits the terminal's table, not the report.
    let out = run(&["summary", arg(&s3), "--top", "3", "--html", arg(&html_path)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&html_path).unwrap();
    let rows = &tables(&html)[0];
    let classes = json["classes"].as_array().unwrap();
    assert_eq!(rows.len(), classes.len());
    assert_eq!(text(&rows[0][0]), classes[0]["class"].as_str().unwrap());
    assert_eq!(rows[0][3][1].as_f64(), classes[0]["retained_size"].as_f64());
    let tbody = &html[html.find("<tbody>").unwrap()..html.find("</tbody>").unwrap()];
    assert_eq!(tbody.matches("<tr>").count(), classes.len().min(50), "one page in the HTML");
}

/// A heap with 50,000 classes: the census table keeps one page in the DOM, and sorts,
/// filters and pages through all of them.
#[test]
fn a_census_of_50000_classes_stays_paged_while_it_sorts_and_filters() {
    let dir = scratch();
    let snap = node().write_snapshot(
        dir.path(),
        "classes",
        r"
        globalThis.keep = [];
        for (let i = 0; i < 50000; i++) {
          const C = new Function(`return class Class${i} { constructor() { this.n = ${i}; } }`)();
          for (let k = 0; k <= i % 3; k++) keep.push(new C());
        }
        ",
    );
    let html_path = dir.path().join("census.html");
    let out = run(&["summary", arg(&snap), "--html", arg(&html_path)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&html_path).unwrap();
    let rows = tables(&html)[0].len();
    assert!(rows > 50_000, "{rows} classes");

    let mut b = Browser::launch();
    let start = Instant::now();
    b.open(&html_path);
    let loaded = start.elapsed();
    assert_eq!(b.errors(), Vec::<String>::new());
    let shown = "document.querySelectorAll('.table tbody tr').length";
    assert_eq!(b.eval(shown), 50);
    let count = b.eval("document.querySelector('.table .count').textContent");
    assert_eq!(count.as_str().unwrap(), format!("{} rows", group(rows)));

    // Sort by count, largest first.
    let start = Instant::now();
    b.eval("document.querySelector('.table th:nth-child(2) button').click()");
    let sorted = start.elapsed();
    let counts = b.eval(
        "[...document.querySelectorAll('.table tbody tr')].map(r => Number(r.children[1].textContent.replace(/,/g, '')))",
    );
    let counts: Vec<f64> = counts.as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect();
    assert_eq!(counts.len(), 50);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]) && counts[49] >= 3.0, "{counts:?}");
    assert_eq!(
        b.eval("document.querySelector('.table th:nth-child(2)').getAttribute('aria-sort')"),
        "descending"
    );

    // Filter: the names that hold Class4999 are Class4999 and Class49990 to Class49999.
    b.eval(
        "(() => { const i = document.querySelector('.table input'); i.value = 'Class4999'; \
         i.dispatchEvent(new Event('input')); return new Promise(r => setTimeout(r, 400)); })()",
    );
    let names = b.eval(
        "[...document.querySelectorAll('.table tbody tr')].map(r => r.children[0].textContent)",
    );
    let names: Vec<&str> = names.as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("Class4999")), "{names:?}");

    // Pages: clear the filter and step to page 2.
    b.eval(
        "(() => { const i = document.querySelector('.table input'); i.value = ''; \
         i.dispatchEvent(new Event('input')); return new Promise(r => setTimeout(r, 400)); })()",
    );
    b.eval("document.querySelector('.table .pager [data-step=\"1\"]').click()");
    let range = b.eval("document.querySelector('.table .range').textContent");
    assert_eq!(range.as_str().unwrap(), format!("51–100 of {}", group(rows)));
    assert_eq!(b.eval(shown), 50);
    assert_eq!(b.errors(), Vec::<String>::new());
    eprintln!("census of {rows} classes: loaded in {loaded:?}, sorted in {sorted:?}");
}

fn group(n: usize) -> String {
    leakscope_report::group_digits(n as u64)
}

/// The README's main job, `leakscope run` on the leaky server, with `--html`: Chromium opens
/// the report with no error, the verdict names the planted class and its holder, the charts
/// have points and the snapshot marks, and the tables sort. Screenshots in light and dark mode
/// go to `target/tmp/report/`.
#[test]
fn the_report_of_a_leaky_run_opens_in_a_browser_and_names_the_culprit() {
    let dir = scratch();
    let html_path = dir.path().join("run.html");
    let json_path = dir.path().join("run.json");
    let node = node().path.to_string_lossy().into_owned();
    let script = example("leaky-server.js");
    let args = [
        "run",
        "--stop-on-leak",
        "--duration",
        "90s",
        "--quiet",
        "--snapshot-dir",
        arg(dir.path()),
        "--json",
        arg(&json_path),
        "--html",
        arg(&html_path),
        "--",
        &node,
        arg(&script),
    ];
    let out = leakscope_testkit::run_with_timeout(leakscope().args(args), Duration::from_secs(150));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(report["leaks"][0]["class"], "Session", "{report:#}");

    let mut b = Browser::launch();
    b.open(&html_path);
    assert_eq!(b.errors(), Vec::<String>::new(), "the page reports no error");
    let verdict = b.eval("document.getElementById('verdict').textContent");
    let verdict = verdict.as_str().unwrap();
    assert!(verdict.starts_with("Leak"), "{verdict}");
    assert!(
        verdict.contains("Session objects") && verdict.contains("held by recentlySeen (Map)"),
        "{verdict}"
    );
    assert_eq!(
        b.eval("document.querySelector('.path li.holder .edge').textContent"),
        "recentlySeen"
    );

    // The heap chart: a dot per baseline the report has, the fitted trend, three snapshots.
    let baselines = report["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["isolate"] == "main" && s["baseline"].is_number())
        .count();
    let dots = b.eval("document.querySelectorAll('.line-chart')[0].querySelectorAll('.series.points circle').length");
    assert_eq!(dots.as_u64().unwrap() as usize, baselines);
    assert!(baselines >= 8, "{baselines}");
    assert_eq!(b.eval("document.querySelectorAll('.line-chart')[0].querySelectorAll('.series.dashed polyline').length"), 1);
    let marks = b.eval("[...document.querySelectorAll('.line-chart')[0].querySelectorAll('.marker text')].map(t => t.textContent)");
    assert_eq!(marks, serde_json::json!(["S1", "S2", "S3"]));

    // The statistics table sorts: by samples, largest first, then by series name, A to Z.
    let table = "[...document.querySelectorAll('.table')].find(t => t.querySelector('th').textContent.startsWith('series'))";
    b.eval(&format!("[...{table}.querySelectorAll('th')].find(th => th.textContent.startsWith('samples')).querySelector('button').click()"));
    let samples = b.eval(&format!("[...{table}.querySelectorAll('tbody tr')].map(r => Number(r.children[6].textContent.replace(/,/g, '')))"));
    let samples: Vec<f64> =
        samples.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(samples.len() >= 4 && samples.windows(2).all(|w| w[0] >= w[1]), "{samples:?}");
    b.eval(&format!("{table}.querySelector('th button').click()"));
    let names = b.eval(&format!(
        "[...{table}.querySelectorAll('tbody tr')].map(r => r.children[0].textContent)"
    ));
    let names: Vec<String> =
        names.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");

    // Light and dark: the page follows the system's colour scheme.
    let background = "getComputedStyle(document.documentElement).backgroundColor";
    b.dark_mode(false);
    let light = b.eval(background);
    b.screenshot(&output_dir().join("run-light.png"));
    b.dark_mode(true);
    let dark = b.eval(background);
    b.screenshot(&output_dir().join("run-dark.png"));
    assert_ne!(light, dark);
    assert_eq!(b.errors(), Vec::<String>::new());
    assert!(output_dir().join("run-dark.png").metadata().unwrap().len() > 10_000);
}
