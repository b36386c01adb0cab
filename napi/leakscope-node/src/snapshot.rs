//! Heap snapshots streamed from JavaScript into the Rust reader, parsed off the event loop.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};

use leakscope_graph::{Analysis, NodeType, Progress};
use leakscope_snapshot::{ReadOptions, Snapshot};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Error, Result, Task};
use napi_derive::napi;

pub(crate) type Parse = JoinHandle<std::result::Result<Snapshot, leakscope_snapshot::Error>>;

/// Parses a snapshot while its JSON arrives: `push` each chunk of `v8.getHeapSnapshot()`, then
/// `finish()` (a promise, resolved off the event loop) or `finishSync()`.
///
/// The reader runs on a thread of its own and reads the chunks from a channel, so the event
/// loop only copies bytes; nothing is ever `JSON.parse`d.
#[napi]
#[derive(Debug)]
pub struct SnapshotParser {
    sender: Option<Sender<Vec<u8>>>,
    worker: Option<Parse>,
    bytes: u64,
}

#[napi]
impl SnapshotParser {
    /// Starts the parsing thread.
    ///
    /// # Errors
    /// When the thread cannot be started.
    #[napi(constructor)]
    pub fn new() -> Result<Self> {
        let (sender, receiver) = mpsc::channel();
        let worker = thread::Builder::new()
            .name("leakscope-parse".into())
            .spawn(move || ReadOptions::new().read(ChannelReader::new(receiver), None))
            .map_err(|e| Error::from_reason(format!("cannot start the parsing thread: {e}")))?;
        Ok(Self { sender: Some(sender), worker: Some(worker), bytes: 0 })
    }

    /// Hands one chunk of snapshot JSON to the parser (copied; the Buffer can go).
    ///
    /// # Errors
    /// After `finish`.
    #[napi]
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        let Some(sender) = &self.sender else {
            return Err(Error::from_reason("push() after finish(): this parser is done"));
        };
        self.bytes += chunk.len() as u64;
        if !chunk.is_empty() {
            // A closed channel means the parser already failed; finish() reports why.
            let _ = sender.send(chunk.to_vec());
        }
        Ok(())
    }

    /// Bytes pushed so far.
    #[napi(getter)]
    pub fn bytes(&self) -> f64 {
        self.bytes as f64
    }

    /// Ends the input and resolves with the parsed snapshot, waiting off the event loop.
    ///
    /// # Errors
    /// When called twice; the promise rejects when the JSON is not a heap snapshot.
    #[napi(ts_return_type = "Promise<HeapSnapshot>")]
    pub fn finish(&mut self) -> Result<AsyncTask<JoinParse>> {
        Ok(AsyncTask::new(JoinParse(Source::Thread(self.close()?))))
    }

    /// Ends the input and waits for the parsed snapshot on this thread.
    ///
    /// # Errors
    /// When called twice, or when the JSON is not a heap snapshot.
    #[napi]
    pub fn finish_sync(&mut self) -> Result<HeapSnapshot> {
        let worker = self.close()?;
        Ok(HeapSnapshot::from(join(worker)?))
    }

    /// Ends the input and hands over the parsing thread, to be joined once.
    pub(crate) fn close(&mut self) -> Result<Parse> {
        self.sender = None;
        self.worker
            .take()
            .ok_or_else(|| Error::from_reason("finish() called twice: this parser is done"))
    }
}

pub(crate) fn join(worker: Parse) -> Result<Snapshot> {
    worker
        .join()
        .map_err(|_| Error::from_reason("the snapshot parser crashed (a leakscope bug)"))?
        .map_err(|e| Error::from_reason(format!("cannot read the heap snapshot: {}", chain(&e))))
}

/// An error with its causes, `outer: inner: …`, as the command line prints them.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Where a snapshot comes from, for the background task.
#[derive(Debug)]
enum Source {
    Thread(Parse),
    File(PathBuf),
}

/// Waits for a parse (or reads a file) on the libuv thread pool.
#[derive(Debug)]
pub struct JoinParse(Source);

impl Task for JoinParse {
    type Output = Snapshot;
    type JsValue = HeapSnapshot;

    fn compute(&mut self) -> Result<Snapshot> {
        match std::mem::replace(&mut self.0, Source::File(PathBuf::new())) {
            Source::Thread(worker) => join(worker),
            Source::File(path) => ReadOptions::new().open(&path).map_err(|e| {
                Error::from_reason(match e {
                    // It names the file already.
                    leakscope_snapshot::Error::Open { .. } => chain(&e),
                    _ => format!("cannot read heap snapshot {}: {}", path.display(), chain(&e)),
                })
            }),
        }
    }

    fn resolve(&mut self, _env: Env, snapshot: Snapshot) -> Result<HeapSnapshot> {
        Ok(HeapSnapshot::from(snapshot))
    }
}

/// Reads a `.heapsnapshot` file (plain or gzip) off the event loop.
#[napi(ts_return_type = "Promise<HeapSnapshot>")]
pub fn read_snapshot(path: String) -> AsyncTask<JoinParse> {
    AsyncTask::new(JoinParse(Source::File(PathBuf::from(path))))
}

/// A parsed heap snapshot, held in Rust (a few columns per node, not JavaScript objects).
#[napi]
#[derive(Debug)]
pub struct HeapSnapshot {
    pub(crate) inner: Arc<Snapshot>,
}

impl From<Snapshot> for HeapSnapshot {
    fn from(snapshot: Snapshot) -> Self {
        Self { inner: Arc::new(snapshot) }
    }
}

#[napi]
impl HeapSnapshot {
    /// Nodes (heap objects and V8's synthetic ones).
    #[napi(getter)]
    pub fn node_count(&self) -> u32 {
        u32::try_from(self.inner.graph.node_count()).unwrap_or(u32::MAX)
    }

    /// Edges (references).
    #[napi(getter)]
    pub fn edge_count(&self) -> u32 {
        u32::try_from(self.inner.graph.edge_count()).unwrap_or(u32::MAX)
    }

    /// The sum of every node's own size, in bytes.
    #[napi(getter)]
    pub fn total_size(&self) -> f64 {
        self.inner.graph.self_sizes().iter().sum::<u64>() as f64
    }

    /// Bytes of JSON the snapshot was read from.
    #[napi(getter)]
    pub fn json_bytes(&self) -> f64 {
        self.inner.json_bytes as f64
    }

    /// How many JavaScript objects made by the constructor (or class) `name` the snapshot holds.
    #[napi]
    pub fn count_objects(&self, name: String) -> u32 {
        let g = &self.inner.graph;
        let Some(id) = g.strings().find(&name) else { return 0 };
        let n = g
            .nodes()
            .filter(|&n| g.node_type(n) == NodeType::OBJECT && g.node_name_id(n) == id)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The class census (DevTools' Summary view, `leakscope summary`): count, shallow and
    /// retained size and distance per class, largest retained size first; computed off the
    /// event loop.
    #[napi(ts_return_type = "Promise<ClassSummary[]>")]
    pub fn summary(&self) -> AsyncTask<Census> {
        AsyncTask::new(Census(Arc::clone(&self.inner)))
    }

    /// The largest id of a V8 heap object (odd ids): objects allocated later get larger ids.
    #[napi(getter)]
    pub fn max_object_id(&self) -> u32 {
        self.inner.graph.max_js_object_id()
    }
}

/// One class of [`HeapSnapshot::summary`], as `leakscope summary --json` prints it.
#[napi(object)]
#[derive(Debug)]
pub struct ClassSummary {
    pub class: String,
    pub count: f64,
    #[napi(js_name = "shallow_size")]
    pub shallow_size: f64,
    #[napi(js_name = "retained_size")]
    pub retained_size: f64,
    /// Steps from the user roots (`global` is 1); null when only system roots or weak
    /// references hold the class's nearest object.
    pub distance: Option<u32>,
}

/// Runs the analyses and the census on the libuv thread pool.
#[derive(Debug)]
pub struct Census(Arc<Snapshot>);

impl Task for Census {
    type Output = Vec<ClassSummary>;
    type JsValue = Vec<ClassSummary>;

    fn compute(&mut self) -> Result<Vec<ClassSummary>> {
        let g = &self.0.graph;
        let mut a = Analysis::new(g, Progress::none());
        let rows = a.census(g, Progress::none());
        let classes = a.classes();
        Ok(rows
            .into_iter()
            .map(|r| ClassSummary {
                class: classes.name(r.class).to_owned(),
                count: r.count as f64,
                shallow_size: r.shallow_size as f64,
                retained_size: r.retained_size as f64,
                distance: r.distance().user(),
            })
            .collect())
    }

    fn resolve(&mut self, _env: Env, rows: Vec<ClassSummary>) -> Result<Vec<ClassSummary>> {
        Ok(rows)
    }
}

/// A `Read` over the chunks JavaScript pushes; the end of input is the sender going away.
#[derive(Debug)]
struct ChannelReader {
    receiver: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl ChannelReader {
    fn new(receiver: Receiver<Vec<u8>>) -> Self {
        Self { receiver, chunk: Vec::new(), pos: 0 }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            match self.receiver.recv() {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Err(mpsc::RecvError) => return Ok(0),
            }
        }
        let rest = self.chunk.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}
