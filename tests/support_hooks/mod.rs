//! Loopback stand-ins for the services alerts and pings go to (healthchecks.io, Cronitor,
//! Dead Man's Snitch, Sentry, Slack, a webhook), and a runner for the built `clock`.
//!
//! [`FakeService`] is a small HTTP/1.1 server on a std `TcpListener` (a thread per
//! connection, `Connection: close`). Routes match a path prefix and hold a script of
//! replies (the last one repeats); every request is recorded with the instant it arrived.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// Far longer than any scenario needs; reached only when something is broken.
pub const BOUND: Duration = Duration::from_secs(30);

/// The secret part of every test URL; no output may ever contain it.
pub const TOKEN: &str = "tok-5f3a9c1e-SECRET";

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Never answer (hold the connection open).
    pub hang: bool,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: "OK".into(),
            delay: Duration::ZERO,
            hang: false,
        }
    }
    pub fn ok() -> Reply {
        Reply::status(200)
    }
    pub fn hang() -> Reply {
        Reply {
            hang: true,
            ..Reply::ok()
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// One request as the server read it. Header names are lower-case.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query pairs, percent-decoded.
    pub query: Vec<(String, String)>,
    pub raw_target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct State {
    routes: Vec<(String, Vec<Reply>)>,
    requests: Vec<Recorded>,
}

pub struct FakeService {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl FakeService {
    pub fn start() -> FakeService {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &state));
            }
        });
        FakeService { port, state }
    }

    /// `http://127.0.0.1:PORT` and `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Requests whose path starts with `prefix` take the next of `replies`; the last
    /// repeats. Unrouted paths answer 200.
    pub fn on(&self, prefix: &str, replies: Vec<Reply>) {
        self.state
            .lock()
            .expect("state")
            .routes
            .push((prefix.to_owned(), replies));
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("state").requests.clone()
    }

    /// The requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    /// Waits (bounded) until at least `n` requests to `prefix` have arrived.
    pub fn wait_for(&self, prefix: &str, n: usize) -> Vec<Recorded> {
        let deadline = Instant::now() + BOUND;
        loop {
            let found = self.requests_to(prefix);
            if found.len() >= n {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{n} requests to {prefix} expected within {BOUND:?}; got {:#?}",
                self.requests()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Some(mut request) = read_request(&stream) else {
        return;
    };
    request.at = Instant::now();
    let reply = {
        let mut state = state.lock().expect("state");
        state.requests.push(request.clone());
        let path = request.path.clone();
        state
            .routes
            .iter_mut()
            .find(|(prefix, _)| path.starts_with(prefix.as_str()))
            .and_then(|(_, script)| {
                if script.len() > 1 {
                    Some(script.remove(0))
                } else {
                    script.first().cloned()
                }
            })
    };
    let reply = reply.unwrap_or_else(Reply::ok);
    if reply.hang {
        thread::sleep(Duration::from_secs(120));
        return;
    }
    thread::sleep(reply.delay);
    let mut head = format!(
        "HTTP/1.1 {} Fake\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(reply.body.as_bytes());
    let _ = stream.flush();
}

fn read_request(stream: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0_u8; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some(Recorded {
        method,
        path: path.to_owned(),
        query,
        raw_target: target.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    })
}

/// Percent-decoding with `+` as a space (form encoding, as URL query builders write it).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A running `clock`, its stdout lines arriving on a channel.
pub struct ClockRun {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
    pub started: Instant,
    dir: tempfile::TempDir,
}

impl ClockRun {
    /// Starts `clock` in a copy of the fixture folder, with `envs` set.
    pub fn start(fixture_name: &str, envs: &[(&str, String)]) -> ClockRun {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::copy(
            fixture(fixture_name).join("clock.yml"),
            dir.path().join("clock.yml"),
        )
        .expect("copy the fixture");
        let mut command = Command::new(env!("CARGO_BIN_EXE_clock"));
        command
            .current_dir(dir.path())
            .env_remove("CLOCK_CONFIG")
            .env_remove("CLOCK_LOG_FORMAT")
            .env_remove("CLOCK_LOG_LEVEL")
            .env("DYNO", "clock.1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in envs {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start clock");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        ClockRun {
            child,
            lines,
            seen: Vec::new(),
            started: Instant::now(),
            dir,
        }
    }

    /// The first line seen so far holding every `key=value` of `pairs`, else the next.
    pub fn find_or_wait(&mut self, pairs: &[&str]) -> String {
        let has = |line: &String| {
            let words: Vec<&str> = line.split(' ').collect();
            pairs.iter().all(|pair| words.contains(pair))
        };
        match self.seen.iter().find(|line| has(line)) {
            Some(line) => line.clone(),
            None => self.wait_for(pairs),
        }
    }

    /// The first line from now on holding every `key=value` of `pairs` (as text).
    pub fn wait_for(&mut self, pairs: &[&str]) -> String {
        let deadline = Instant::now() + BOUND;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    let words: Vec<&str> = line.split(' ').collect();
                    if pairs.iter().all(|pair| words.contains(pair)) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {pairs:?} within {BOUND:?}; output was:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    pub fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }

    /// Waits (bounded) for the exit; returns its status, every stdout line and stderr.
    pub fn wait_exit(mut self) -> (ExitStatus, Vec<String>, String) {
        let deadline = Instant::now() + BOUND;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "clock did not exit within {BOUND:?}; output:\n{}",
                    self.seen.join("\n")
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status, std::mem::take(&mut self.seen), stderr)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for ClockRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of `key` in a logfmt line (unquoted values only).
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split(' ').find_map(|word| {
        word.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix('='))
    })
}

/// Fails when any of `texts` contains [`TOKEN`].
pub fn assert_no_token(texts: &[&str]) {
    for text in texts {
        assert!(!text.contains(TOKEN), "the token leaked:\n{text}");
    }
}
