//! A small synchronous Chrome DevTools Protocol client over a loopback websocket.
//!
//! One connection carries the main thread's session and, through the `NodeWorker` domain,
//! one session per worker thread: messages to a worker are wrapped in
//! `NodeWorker.sendMessageToWorker` and its answers arrive inside
//! `NodeWorker.receivedMessageFromWorker`. Ids are unique over the whole connection, so one
//! table of pending calls serves every target.

use std::collections::{HashSet, VecDeque};
use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use crate::error::{Error, Result};

/// Which isolate a message goes to or comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The main thread.
    Main,
    /// A worker thread, by its inspector session id.
    Worker(String),
}

/// A notification from the target (a message without an id).
#[derive(Clone, Debug)]
pub struct Event {
    /// Where it came from.
    pub target: Target,
    /// `Domain.event`.
    pub method: String,
    /// Its parameters.
    pub params: Value,
}

#[derive(Deserialize)]
struct Incoming {
    id: Option<u64>,
    method: Option<String>,
    #[serde(default)]
    params: Value,
    result: Option<Value>,
    error: Option<ProtocolError>,
}

#[derive(Deserialize)]
struct ProtocolError {
    message: String,
    #[serde(default)]
    data: Option<String>,
}

#[derive(Deserialize)]
struct WorkerMessage {
    #[serde(rename = "sessionId")]
    session_id: String,
    message: String,
}

/// What one read from the socket produced.
enum Received {
    Reply { id: u64, result: std::result::Result<Value, String> },
    Event(Event),
    Nothing,
}

/// A connection to one inspector.
#[derive(Debug)]
pub struct Cdp {
    ws: WebSocket<TcpStream>,
    next_id: u64,
    /// Events read while waiting for a reply, in arrival order.
    queued: VecDeque<Event>,
    /// Calls whose replies nobody waits for; an error in one is kept as a warning.
    fire_and_forget: HashSet<u64>,
    warnings: Vec<String>,
    closed: bool,
}

/// How often a blocking wait wakes up to check its deadline.
const POLL: Duration = Duration::from_millis(100);

impl Cdp {
    /// Opens the websocket at `url` (`ws://127.0.0.1:PORT/UUID`). Only loopback addresses are
    /// accepted: the inspector runs code, and leakscope never reaches it over a network.
    pub fn connect(url: &str, timeout: Duration) -> Result<Self> {
        let connect_err = |reason: String| Error::Connect { url: url.to_owned(), reason };
        let host_port = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| connect_err("not a ws:// address".into()))?;
        let addr: std::net::SocketAddr =
            host_port.parse().map_err(|_| connect_err(format!("bad address {host_port}")))?;
        if !addr.ip().is_loopback() {
            return Err(connect_err("refusing a non-loopback inspector address".into()));
        }
        let stream =
            TcpStream::connect_timeout(&addr, timeout).map_err(|e| connect_err(e.to_string()))?;
        stream.set_nodelay(true).map_err(|e| connect_err(e.to_string()))?;
        stream.set_read_timeout(Some(timeout)).map_err(|e| connect_err(e.to_string()))?;
        let (ws, _) = tungstenite::client(url, stream).map_err(|e| connect_err(e.to_string()))?;
        ws.get_ref().set_read_timeout(Some(POLL)).map_err(|e| connect_err(e.to_string()))?;
        Ok(Self {
            ws,
            next_id: 1,
            queued: VecDeque::new(),
            fire_and_forget: HashSet::new(),
            warnings: Vec::new(),
            closed: false,
        })
    }

    /// Sends a command and returns its id without waiting.
    pub fn send(&mut self, target: &Target, method: &str, params: Value) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({ "id": id, "method": method, "params": params }).to_string();
        let text = match target {
            Target::Main => message,
            Target::Worker(session) => json!({
                "id": self.alloc_id(),
                "method": "NodeWorker.sendMessageToWorker",
                "params": { "sessionId": session, "message": message },
            })
            .to_string(),
        };
        self.ws.send(Message::text(text)).map_err(|e| self.broken(&e))?;
        Ok(id)
    }

    fn alloc_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        // The wrapper's own reply is empty; only the inner reply matters.
        self.fire_and_forget.insert(id);
        id
    }

    /// Sends a command whose reply does not matter (an error in it becomes a warning).
    pub fn send_and_forget(&mut self, target: &Target, method: &str, params: Value) -> Result<()> {
        let id = self.send(target, method, params)?;
        self.fire_and_forget.insert(id);
        Ok(())
    }

    /// Sends a command and waits for its reply; events that arrive meanwhile are queued for
    /// [`Cdp::next_event`].
    pub fn call(
        &mut self,
        target: &Target,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value> {
        self.call_with(target, method, params, timeout, |e, queue| {
            queue.push_back(e);
            Ok(())
        })
    }

    /// Like [`Cdp::call`], but every event that arrives before the reply goes to `on_event`
    /// (with the queue, to keep the ones it does not handle). The deadline restarts with every
    /// event, so a long stream of progress events does not time out.
    pub fn call_with(
        &mut self,
        target: &Target,
        method: &str,
        params: Value,
        timeout: Duration,
        mut on_event: impl FnMut(Event, &mut VecDeque<Event>) -> Result<()>,
    ) -> Result<Value> {
        let id = self.send(target, method, params)?;
        let mut deadline = Instant::now() + timeout;
        loop {
            match self.receive()? {
                Received::Reply { id: got, result } if got == id => {
                    return result
                        .map_err(|message| Error::Protocol { method: method.to_owned(), message });
                }
                Received::Reply { .. } | Received::Nothing => {}
                Received::Event(e) => {
                    deadline = Instant::now() + timeout;
                    let mut queue = std::mem::take(&mut self.queued);
                    let r = on_event(e, &mut queue);
                    self.queued = queue;
                    r?;
                }
            }
            if Instant::now() > deadline {
                return Err(Error::Timeout {
                    what: format!("the reply to {method}"),
                    waited_s: timeout.as_secs_f64(),
                });
            }
        }
    }

    /// The next event, waiting at most `timeout`; `None` when none came.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>> {
        if let Some(e) = self.queued.pop_front() {
            return Ok(Some(e));
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Received::Event(e) = self.receive()? {
                return Ok(Some(e));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    /// Warnings collected from replies nobody waited for.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Closes the connection politely: a close frame, then up to a second for the target's
    /// answer (tearing the socket down under the inspector while it still writes to it is
    /// what we must never do to a watched process).
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        if self.ws.close(None).is_ok() {
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                match self.ws.read() {
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e))
                        if matches!(
                            e.kind(),
                            ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                        ) => {}
                    Err(_) => break,
                }
            }
        }
        let _ = self.ws.flush();
    }

    fn broken(&mut self, e: &tungstenite::Error) -> Error {
        self.closed = true;
        Error::Disconnected { detail: format!(": {e}") }
    }

    /// Reads at most one message (waiting up to [`POLL`]).
    fn receive(&mut self) -> Result<Received> {
        if self.closed {
            return Err(Error::Disconnected { detail: String::new() });
        }
        let message = match self.ws.read() {
            Ok(m) => m,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                return Ok(Received::Nothing);
            }
            Err(
                tungstenite::Error::ConnectionClosed
                | tungstenite::Error::AlreadyClosed
                | tungstenite::Error::Protocol(
                    tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                ),
            ) => {
                self.closed = true;
                return Err(Error::Disconnected { detail: String::new() });
            }
            Err(e) => return Err(self.broken(&e)),
        };
        let text = match message {
            Message::Text(t) => t,
            Message::Close(_) => {
                self.closed = true;
                return Err(Error::Disconnected { detail: String::new() });
            }
            _ => return Ok(Received::Nothing),
        };
        self.parse(text.as_str(), Target::Main)
    }

    fn parse(&mut self, text: &str, target: Target) -> Result<Received> {
        let msg: Incoming = serde_json::from_str(text)
            .map_err(|e| Error::BadMessage(format!("{e} in {}", preview(text))))?;
        if let Some(id) = msg.id {
            let result = match (msg.result, msg.error) {
                (_, Some(err)) => Err(err
                    .data
                    .map_or_else(|| err.message.clone(), |d| format!("{}: {d}", err.message))),
                (Some(v), None) => Ok(v),
                (None, None) => Ok(Value::Null),
            };
            if self.fire_and_forget.remove(&id) {
                if let Err(message) = result {
                    self.warnings.push(message);
                }
                return Ok(Received::Nothing);
            }
            return Ok(Received::Reply { id, result });
        }
        let Some(method) = msg.method else {
            return Err(Error::BadMessage(preview(text)));
        };
        if method == "NodeWorker.receivedMessageFromWorker" {
            let inner: WorkerMessage = serde_json::from_value(msg.params)
                .map_err(|e| Error::BadMessage(format!("worker message: {e}")))?;
            return self.parse(&inner.message, Target::Worker(inner.session_id));
        }
        Ok(Received::Event(Event { target, method, params: msg.params }))
    }
}

impl Drop for Cdp {
    fn drop(&mut self) {
        self.close();
    }
}

fn preview(text: &str) -> String {
    let end = text.char_indices().nth(200).map_or(text.len(), |(i, _)| i);
    text[..end].to_owned()
}
