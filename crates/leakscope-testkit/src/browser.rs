//! Headless Chromium for the HTML report's tests: open a file, run script in the page, collect
//! what the page reports as errors (exceptions, `console.error`, blocked fetches), take
//! screenshots. Driven over the DevTools protocol with leakscope's own client.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use leakscope_live::attach::list_targets;
use leakscope_live::cdp::{Cdp, Event, Target};
use serde_json::{Value, json};
use tempfile::TempDir;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Chromium's executable: `LEAKSCOPE_CHROMIUM`, else `chromium` (Debian's package; `.ci/run`
/// installs it) or `chromium-browser` or `google-chrome` on `PATH`.
#[must_use]
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LEAKSCOPE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// One headless Chromium with one page.
#[derive(Debug)]
pub struct Browser {
    child: Child,
    cdp: Cdp,
    errors: Vec<String>,
    _profile: TempDir,
}

impl Browser {
    /// Starts Chromium with a fresh profile, no network chatter, and a 1200 px wide window.
    ///
    /// # Panics
    /// When Chromium is not installed or does not start.
    #[must_use]
    pub fn launch() -> Self {
        let exe = chromium().expect(
            "the HTML report tests need Chromium: apt-get install chromium (.ci/run does), or set \
             LEAKSCOPE_CHROMIUM",
        );
        let profile =
            tempfile::Builder::new().prefix("leakscope-chromium-").tempdir().expect("profile");
        let mut child = Command::new(&exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--window-size=1200,900",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let port = devtools_port(&mut child);
        let deadline = Instant::now() + TIMEOUT;
        let url = loop {
            let page = list_targets(port)
                .unwrap_or_default()
                .into_iter()
                .find(|t| t.kind == "page" && t.ws_url.starts_with("ws://127.0.0.1:"));
            if let Some(p) = page {
                break p.ws_url;
            }
            assert!(Instant::now() < deadline, "Chromium listed no page on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut cdp = Cdp::connect(&url, TIMEOUT).expect("connect to the page");
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            cdp.call(&Target::Main, domain, json!({}), TIMEOUT).expect(domain);
        }
        Self { child, cdp, errors: Vec::new(), _profile: profile }
    }

    /// Opens `file` and waits for its load event.
    ///
    /// # Panics
    /// When it does not load within 30 s.
    pub fn open(&mut self, file: &Path) {
        let url = format!("file://{}", file.canonicalize().expect("report path").display());
        self.call("Page.navigate", json!({ "url": url }));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{url} did not load within {TIMEOUT:?}");
            if let Some(e) = self.cdp.next_event(left).expect("events") {
                if e.method == "Page.loadEventFired" {
                    break;
                }
                self.note(&e);
            }
        }
    }

    /// Evaluates `expression` in the page (promises awaited) and returns its value.
    ///
    /// # Panics
    /// When it throws.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression} threw: {r:#}");
        r["result"]["value"].clone()
    }

    /// Makes the page believe the system is in dark (`true`) or light mode.
    pub fn dark_mode(&mut self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.call(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
        );
    }

    /// Writes a PNG of the whole page to `path`.
    pub fn screenshot(&mut self, path: &Path) {
        let height = self.eval("document.documentElement.scrollHeight").as_f64().unwrap_or(900.0);
        let shot = self.call(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": 1200, "height": height, "scale": 1 }
            }),
        );
        let data = shot["data"].as_str().expect("screenshot data");
        let png = data_encoding::BASE64.decode(data.as_bytes()).expect("base64 PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot directory");
        }
        std::fs::write(path, png).expect("write the screenshot");
    }

    /// Every error the page reported so far: uncaught exceptions, `console.error`, and
    /// browser log errors (a blocked or failed fetch, a content-security-policy violation).
    pub fn errors(&mut self) -> Vec<String> {
        while let Some(e) = self.cdp.next_event(Duration::from_millis(50)).expect("events") {
            self.note(&e);
        }
        self.errors.clone()
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.cdp
            .call(&Target::Main, method, params, TIMEOUT)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    fn note(&mut self, e: &Event) {
        let p = &e.params;
        match e.method.as_str() {
            "Runtime.exceptionThrown" => {
                let d = &p["exceptionDetails"];
                let text = d["exception"]["description"].as_str().or(d["text"].as_str());
                self.errors.push(format!("exception: {}", text.unwrap_or("?")));
            }
            "Runtime.consoleAPICalled" if p["type"] == "error" || p["type"] == "assert" => {
                self.errors.push(format!("console.{}: {}", p["type"], p["args"]));
            }
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                self.errors.push(format!("log: {}", p["entry"]["text"]));
            }
            _ => {}
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.cdp.close();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port from Chromium's `DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…`.
fn devtools_port(child: &mut Child) -> u16 {
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent
                && let Some(rest) = line.split("DevTools listening on ws://127.0.0.1:").nth(1)
                && let Some(port) = rest.split('/').next().and_then(|p| p.parse::<u16>().ok())
            {
                let _ = tx.send(port);
                sent = true;
            }
            // Keep draining, so Chromium never blocks on a full pipe.
        }
    });
    rx.recv_timeout(TIMEOUT).expect("Chromium did not say where DevTools listens")
}
