//! A fake Platform API on 127.0.0.1 that runs one-off dynos as local processes, for the
//! `run: dyno` tests.
//!
//! It behaves as Heroku does, as far as the clock can tell:
//! - `POST /apps/{app}/dynos` runs the command with `bash -c` (the body's `env` added) in a
//!   process group of its own, and answers 201 with a `run.N` dyno;
//! - `POST /apps/{app}/log-sessions` answers a `logplex_url` on this server whose stream is
//!   Server-Sent Events of Heroku-format lines (`heroku[run.N]: …`), history first, then
//!   tailing; the end is written out of order: `State changed from up to complete` before
//!   `Process exited with status N`, the latter stamped earlier;
//! - `GET /apps/{app}/dynos/{name}` is 404 at first, then `starting`, then `up`, and 404
//!   again once the process has exited; `GET /apps/{app}/dynos` lists the running ones;
//! - `POST …/actions/stop` sends SIGTERM to the group, then SIGKILL after `kill_after`;
//! - a process killed by SIGKILL is logged as the platform logs a memory kill: `Error R15`
//!   before `Process exited with status 137`;
//! - scripted answers ([`FakePlatform::script_create`]) come before the real behaviour:
//!   409, 422, 429 with Retry-After, 5xx.
//!
//! Every API request is recorded and checked against the schema extract, as in
//! `support_heroku`; the log stream URL is not an API link and carries its own token.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support_heroku::{
    Recorded, Reply, check_request, check_value, find_link, read_request, schema,
};

pub const APP: &str = "clock-demo";
/// The token inside every log stream URL; like the API token, it must never be printed.
pub const STREAM_TOKEN: &str = "logtok-5e4d3c2b1a";

#[derive(Debug)]
struct FakeDyno {
    name: String,
    command: String,
    size: String,
    created_at: String,
    pgid: Option<i32>,
    /// Heroku lines, in the order the router emits them.
    lines: Vec<String>,
    exited: bool,
    info_calls: u32,
    /// How many log streams were opened on it.
    streams: u32,
}

#[derive(Default)]
struct State {
    dynos: HashMap<String, FakeDyno>,
    create_script: VecDeque<Reply>,
    /// Answers for the next creates that do start their dyno (a gateway that timed out
    /// after the platform acted).
    created_then: VecDeque<Reply>,
    requests: Vec<Recorded>,
    violations: Vec<String>,
    next_dyno: u32,
    /// The first stream of each dyno closes after this many lines.
    drop_first_stream_after: Option<usize>,
    /// No `Process exited` line is ever written (a log router that lost it).
    withhold_exit_lines: bool,
    /// The instants (since start) at which each create arrived, with the run's
    /// CLOCK_SCHEDULED_FOR.
    creates: Vec<(std::time::SystemTime, String)>,
}

/// The fake.
pub struct FakePlatform {
    port: u16,
    state: Arc<Mutex<State>>,
    kill_after: Duration,
}

fn now_stamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string()
}

impl FakePlatform {
    /// A fake whose `actions/stop` kills 2 s after its SIGTERM.
    pub fn start() -> FakePlatform {
        FakePlatform::with_kill_after(Duration::from_secs(2))
    }

    pub fn with_kill_after(kill_after: Duration) -> FakePlatform {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State {
            next_dyno: 1000,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        let schema = Arc::new(schema());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                let schema = Arc::clone(&schema);
                thread::spawn(move || serve(stream, &state, &schema, port, kill_after));
            }
        });
        FakePlatform {
            port,
            state,
            kill_after,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Answers the next creates with `replies`, in order, before running dynos again.
    pub fn script_create(&self, replies: Vec<Reply>) {
        self.state.lock().expect("state").create_script = replies.into();
    }

    /// The next creates start their dyno, and are then answered with `replies` (a 503 or
    /// a hang: the platform acted, the answer never said so).
    pub fn script_create_after_starting(&self, replies: Vec<Reply>) {
        self.state.lock().expect("state").created_then = replies.into();
    }

    /// The first log stream of every dyno ends after `lines` lines.
    pub fn drop_first_stream_after(&self, lines: usize) {
        self.state.lock().expect("state").drop_first_stream_after = Some(lines);
    }

    /// Exit lines are never written.
    pub fn withhold_exit_lines(&self) {
        self.state.lock().expect("state").withhold_exit_lines = true;
    }

    /// `METHOD PATH` of every API request, in order.
    pub fn request_lines(&self) -> Vec<String> {
        self.state
            .lock()
            .expect("state")
            .requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("state").requests.clone()
    }

    /// When each create arrived, and the slot its run was for.
    pub fn creates(&self) -> Vec<(std::time::SystemTime, String)> {
        self.state.lock().expect("state").creates.clone()
    }

    /// How many log streams were opened on `dyno`.
    pub fn streams_of(&self, dyno: &str) -> u32 {
        self.state
            .lock()
            .expect("state")
            .dynos
            .get(dyno)
            .map_or(0, |d| d.streams)
    }

    /// The platform lines of `dyno` so far.
    pub fn lines_of(&self, dyno: &str) -> Vec<String> {
        self.state
            .lock()
            .expect("state")
            .dynos
            .get(dyno)
            .map(|d| d.lines.clone())
            .unwrap_or_default()
    }

    /// Names of the dynos still running.
    pub fn running(&self) -> Vec<String> {
        let state = self.state.lock().expect("state");
        let mut names: Vec<String> = state
            .dynos
            .values()
            .filter(|d| !d.exited)
            .map(|d| d.name.clone())
            .collect();
        names.sort();
        names
    }

    /// Fails the test when any request or response broke the schema.
    pub fn assert_schema_followed(&self) {
        let violations = self.state.lock().expect("state").violations.clone();
        assert!(
            violations.is_empty(),
            "schema violations:\n{}",
            violations.join("\n")
        );
    }

    /// Waits until `check` holds, up to `limit`.
    pub fn wait_for(&self, limit: Duration, what: &str, check: impl Fn(&FakePlatform) -> bool) {
        let until = Instant::now() + limit;
        while !check(self) {
            assert!(Instant::now() < until, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FakePlatform {
    /// No dyno outlives its test.
    fn drop(&mut self) {
        if let Ok(state) = self.state.lock() {
            for dyno in state.dynos.values().filter(|d| !d.exited) {
                if let Some(pgid) = dyno.pgid {
                    // SAFETY: sending a signal has no memory-safety preconditions.
                    unsafe {
                        libc::killpg(pgid, libc::SIGKILL);
                    }
                }
            }
        }
    }
}

fn respond(mut stream: &TcpStream, status: u16, headers: &[(String, String)], body: &Value) {
    let body = body.to_string();
    let mut head = format!(
        "HTTP/1.1 {status} Fake\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nRequest-Id: fake\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

fn dyno_body(dyno: &FakeDyno, state: &str) -> Value {
    json!({
        "attach_url": null,
        "command": dyno.command,
        "created_at": dyno.created_at,
        "id": "33333333-89ab-cdef-0123-456789abcdef",
        "name": dyno.name,
        "release": { "id": "44444444-89ab-cdef-0123-456789abcdef", "version": 42 },
        "app": { "id": "01234567-89ab-cdef-0123-456789abcdef", "name": APP },
        "size": dyno.size,
        "state": state,
        "type": "run",
        "updated_at": dyno.created_at,
    })
}

fn not_found(stream: &TcpStream) {
    respond(
        stream,
        404,
        &[],
        &json!({"id": "not_found", "message": "Couldn't find that dyno."}),
    );
}

fn serve(
    stream: TcpStream,
    state: &Arc<Mutex<State>>,
    schema: &Value,
    port: u16,
    kill_after: Duration,
) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let arrived = std::time::SystemTime::now();
    if let Some(rest) = request.path.strip_prefix("/stream/") {
        stream_logs(stream, state, rest);
        return;
    }
    let link = find_link(schema, &request.method, &request.path);
    let mut problems = match link {
        Some(link) => check_request(schema, link, &request),
        None => vec![format!(
            "{} {}: matches no link of the schema subset",
            request.method, request.path
        )],
    };
    state.lock().expect("state").requests.push(request.clone());
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let (status, headers, body) = match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["apps", APP, "dynos"]) => create(state, &request, arrived),
        ("GET", ["apps", APP, "dynos"]) => {
            let state = state.lock().expect("state");
            let list: Vec<Value> = state
                .dynos
                .values()
                .filter(|d| !d.exited)
                .map(|d| dyno_body(d, "up"))
                .collect();
            (200, Vec::new(), Value::Array(list))
        }
        ("GET", ["apps", APP, "dynos", name]) => {
            let mut state = state.lock().expect("state");
            match state.dynos.get_mut(*name) {
                Some(dyno) if !dyno.exited => {
                    dyno.info_calls += 1;
                    match dyno.info_calls {
                        1 => (
                            404,
                            Vec::new(),
                            json!({"id": "not_found", "message": "Couldn't find that dyno."}),
                        ),
                        2 => (200, Vec::new(), dyno_body(dyno, "starting")),
                        _ => (200, Vec::new(), dyno_body(dyno, "up")),
                    }
                }
                _ => (
                    404,
                    Vec::new(),
                    json!({"id": "not_found", "message": "Couldn't find that dyno."}),
                ),
            }
        }
        ("POST", ["apps", APP, "dynos", name, "actions", "stop"]) => {
            let mut state = state.lock().expect("state");
            match state.dynos.get_mut(*name) {
                Some(dyno) if !dyno.exited => {
                    dyno.lines.push(format!(
                        "{} heroku[{}]: Stopping all processes with SIGTERM",
                        now_stamp(),
                        dyno.name
                    ));
                    if let Some(pgid) = dyno.pgid {
                        // SAFETY: sending a signal has no memory-safety preconditions.
                        unsafe {
                            libc::killpg(pgid, libc::SIGTERM);
                        }
                        thread::spawn(move || {
                            thread::sleep(kill_after);
                            // SAFETY: as above; a group that is gone gives ESRCH.
                            unsafe {
                                libc::killpg(pgid, libc::SIGKILL);
                            }
                        });
                    }
                    (200, Vec::new(), json!({}))
                }
                _ => (
                    404,
                    Vec::new(),
                    json!({"id": "not_found", "message": "Couldn't find that dyno."}),
                ),
            }
        }
        ("POST", ["apps", APP, "log-sessions"]) => {
            let body = request.json();
            let dyno = body["dyno"]
                .as_str()
                .or(body["dyno_name"].as_str())
                .unwrap_or("")
                .to_owned();
            (
                201,
                Vec::new(),
                json!({
                    "id": "55555555-89ab-cdef-0123-456789abcdef",
                    "logplex_url": format!("http://127.0.0.1:{port}/stream/{dyno}?tail=true&token={STREAM_TOKEN}"),
                    "created_at": "2026-12-01T00:00:00Z",
                    "updated_at": "2026-12-01T00:00:00Z",
                }),
            )
        }
        _ => (
            404,
            Vec::new(),
            json!({"id": "not_found", "message": "Couldn't find that app."}),
        ),
    };
    if (200..300).contains(&status) {
        if let Some(target) = link.and_then(|l| l.get("targetSchema")) {
            check_value(schema, target, &body, "response", &mut problems);
        }
    }
    if !problems.is_empty() {
        state.lock().expect("state").violations.extend(problems);
    }
    respond(&stream, status, &headers, &body);
}

fn create(
    state: &Arc<Mutex<State>>,
    request: &Recorded,
    arrived: std::time::SystemTime,
) -> (u16, Vec<(String, String)>, Value) {
    let body = request.json();
    let mut guard = state.lock().expect("state");
    let slot = body["env"]["CLOCK_SCHEDULED_FOR"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    guard.creates.push((arrived, slot));
    if let Some(Reply::Json {
        status,
        headers,
        body,
    }) = guard.create_script.pop_front()
    {
        return (status, headers, body);
    }
    guard.next_dyno += 1;
    let name = format!("run.{}", guard.next_dyno);
    let command = body["command"].as_str().unwrap_or("").to_owned();
    let size = body["size"].as_str().map_or("Basic".to_owned(), capitalize);
    let mut process = Command::new("bash");
    process
        .arg("-c")
        .arg(&command)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    if let Some(env) = body["env"].as_object() {
        for (key, value) in env {
            process.env(key, value.as_str().unwrap_or(""));
        }
    }
    let created_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut dyno = FakeDyno {
        name: name.clone(),
        command: command.clone(),
        size,
        created_at,
        pgid: None,
        lines: vec![format!(
            "{} heroku[{name}]: Starting process with command `{command}`",
            now_stamp()
        )],
        exited: false,
        info_calls: 0,
        streams: 0,
    };
    match process.spawn() {
        Ok(mut child) => {
            dyno.pgid = Some(child.id() as i32);
            dyno.lines.push(format!(
                "{} heroku[{name}]: State changed from starting to up",
                now_stamp()
            ));
            let shared = Arc::clone(state);
            let watched = name.clone();
            thread::spawn(move || {
                let status = child.wait().ok();
                let exited_at = now_stamp();
                thread::sleep(Duration::from_millis(5));
                use std::os::unix::process::ExitStatusExt as _;
                let code = status.map_or(1, |s| {
                    s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(9))
                });
                let mut state = shared.lock().expect("state");
                let withhold = state.withhold_exit_lines;
                if let Some(dyno) = state.dynos.get_mut(&watched) {
                    // Out of order, as Heroku's router often is: the state change first,
                    // the exit line (stamped earlier) after it.
                    dyno.lines.push(format!(
                        "{} heroku[{watched}]: State changed from up to complete",
                        now_stamp()
                    ));
                    if code == 137 {
                        // The platform's own memory kill looks the same from outside.
                        dyno.lines.push(format!(
                            "{exited_at} heroku[{watched}]: Error R15 (Memory quota vastly exceeded)"
                        ));
                    }
                    if !withhold {
                        dyno.lines.push(format!(
                            "{exited_at} heroku[{watched}]: Process exited with status {code}"
                        ));
                    }
                    dyno.exited = true;
                }
            });
        }
        Err(_) => dyno.exited = true,
    }
    let answer = dyno_body(&dyno, "starting");
    guard.dynos.insert(name, dyno);
    if let Some(Reply::Json {
        status,
        headers,
        body,
    }) = guard.created_then.pop_front()
    {
        return (status, headers, body);
    }
    (201, Vec::new(), answer)
}

fn capitalize(size: &str) -> String {
    size.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => {
                    first.to_uppercase().collect::<String>() + &chars.as_str().to_uppercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `GET /stream/{dyno}?…`: the dyno's lines as Server-Sent Events, history first, then
/// tailing until the client goes away.
fn stream_logs(mut stream: TcpStream, state: &Arc<Mutex<State>>, rest: &str) {
    let (dyno, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !query.contains(&format!("token={STREAM_TOKEN}")) {
        let _ = stream
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    let drop_after = {
        let mut state = state.lock().expect("state");
        let drop = state.drop_first_stream_after;
        match state.dynos.get_mut(dyno) {
            Some(d) => {
                d.streams += 1;
                if d.streams == 1 { drop } else { None }
            }
            None => None,
        }
    };
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let mut sent = 0;
    let mut idle = 0u32;
    loop {
        let lines = state
            .lock()
            .expect("state")
            .dynos
            .get(dyno)
            .map(|d| d.lines[sent.min(d.lines.len())..].to_vec())
            .unwrap_or_default();
        for line in lines {
            if drop_after.is_some_and(|n| sent >= n) {
                return;
            }
            if stream
                .write_all(format!("data: {line}\n\n").as_bytes())
                .is_err()
            {
                return;
            }
            sent += 1;
            idle = 0;
        }
        let _ = stream.flush();
        thread::sleep(Duration::from_millis(20));
        idle += 1;
        // A keepalive comment now and then: a client that has gone away shows as a
        // failed write.
        if idle % 25 == 0 && stream.write_all(b": keepalive\n\n").is_err() {
            return;
        }
    }
}
