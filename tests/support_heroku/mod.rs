//! A fake Heroku Platform API on 127.0.0.1 for the `clockctl scale`/`status` tests, and a
//! runner for the built `clockctl`.
//!
//! The server is a small HTTP/1.1 responder on a std `TcpListener` (one thread per
//! connection, `Connection: close` on every answer). Each route holds a script of replies
//! (the last one repeats). Every request is recorded and checked against the links of the
//! published schema in `tests/fixtures/platform_api/schema_subset.json`: method and href
//! pattern, the headers the client must send, and the body's properties and types. Every
//! success body the server sends is checked against the link's `targetSchema` too. Problems
//! are collected as violations, which each test asserts are none. The request scripts every
//! test repeats (the clock formation, the dyno list) and the output checks have one helper
//! each here.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

/// The token every test uses; no output may ever contain it.
pub const TOKEN: &str = "hrku-TEST-9f8e7d6c5b4a-do-not-print";
pub const APP: &str = "clock-demo";

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    Json {
        status: u16,
        headers: Vec<(String, String)>,
        body: Value,
    },
    /// Read the request and never answer.
    Hang,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply::Json {
            status: 200,
            headers: Vec::new(),
            body,
        }
    }
    pub fn error(status: u16, id: &str, message: &str) -> Reply {
        Reply::Json {
            status,
            headers: Vec::new(),
            body: json!({ "id": id, "message": message }),
        }
    }
    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Json {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.to_owned(), value.to_owned()));
                Reply::Json {
                    status,
                    headers,
                    body,
                }
            }
            Reply::Hang => Reply::Hang,
        }
    }
}

/// A request as the server received it. Header names are lower-case.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<(String, String), VecDeque<Reply>>,
    requests: Vec<Recorded>,
    violations: Vec<String>,
}

pub struct FakeHeroku {
    port: u16,
    state: Arc<Mutex<State>>,
}

pub fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/platform_api/schema_subset.json");
    let text = std::fs::read_to_string(&path).expect("read the schema fixture");
    serde_json::from_str(&text).expect("the schema fixture is JSON")
}

impl FakeHeroku {
    pub fn start() -> FakeHeroku {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let schema = Arc::new(schema());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                let schema = Arc::clone(&schema);
                thread::spawn(move || serve(stream, &state, &schema));
            }
        });
        FakeHeroku { port, state }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Scripts `method path`: each request takes the next reply; the last one repeats.
    pub fn on(&self, method: &str, path: &str, replies: Vec<Reply>) {
        self.state
            .lock()
            .expect("state")
            .routes
            .insert((method.to_owned(), path.to_owned()), replies.into());
    }

    /// Scripts `METHOD /apps/{APP}/formation/clock`.
    pub fn on_formation(&self, method: &str, replies: Vec<Reply>) {
        self.on(method, &formation_path(), replies);
    }

    /// Scripts `GET /apps/{APP}/formation/clock` to answer one formation, always.
    pub fn serve_formation(&self, quantity: i64, size: &str) {
        self.on_formation("GET", vec![Reply::ok(formation(quantity, size))]);
    }

    /// Scripts `GET /apps/{APP}/dynos`: one list of dynos per request, the last repeating.
    pub fn on_dynos(&self, lists: Vec<Vec<Value>>) {
        let replies = lists
            .into_iter()
            .map(|dynos| Reply::ok(Value::Array(dynos)))
            .collect();
        self.on("GET", &dynos_path(), replies);
    }

    /// Fails if any request reached the server.
    pub fn assert_nothing_sent(&self) {
        assert!(
            self.requests().is_empty(),
            "sent {:?}",
            self.request_lines()
        );
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("state").requests.clone()
    }

    /// `METHOD PATH` of every request, in order.
    pub fn request_lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.lock().expect("state").violations.clone()
    }

    /// Fails the test when any request or response broke the schema.
    pub fn assert_schema_followed(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "schema violations:\n{}",
            violations.join("\n")
        );
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, schema: &Value) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let link = find_link(schema, &request.method, &request.path);
    let mut problems = match link {
        Some(link) => check_request(schema, link, &request),
        None => vec![format!(
            "{} {}: matches no link of the schema subset",
            request.method, request.path
        )],
    };
    let reply = {
        let mut state = state.lock().expect("state");
        state.requests.push(request.clone());
        let key = (request.method.clone(), request.path.clone());
        match state.routes.get_mut(&key) {
            Some(script) if script.len() > 1 => script.pop_front(),
            Some(script) => script.front().cloned(),
            None => None,
        }
    };
    let reply = reply.unwrap_or_else(|| Reply::error(404, "not_found", "Couldn't find that app."));
    if let (
        Reply::Json {
            status: 200..=299,
            body,
            ..
        },
        Some(link),
    ) = (&reply, link)
    {
        if let Some(target) = link.get("targetSchema") {
            check_value(schema, target, body, "response", &mut problems);
        }
    }
    if !problems.is_empty() {
        let mut state = state.lock().expect("state");
        state.violations.extend(problems);
    }
    match reply {
        Reply::Hang => thread::sleep(Duration::from_secs(20)),
        Reply::Json {
            status,
            headers,
            body,
        } => {
            let body = body.to_string();
            let mut head = format!(
                "HTTP/1.1 {status} Fake\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            let request_id = request.header("request-id").unwrap_or("none").to_owned();
            head.push_str(&format!("Request-Id: {request_id},fake-server-id\r\n"));
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let mut stream = stream;
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
            let _ = stream.flush();
        }
    }
}

pub fn read_request(stream: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
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
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The link whose method and href pattern match. `{(...)}` in an href stands for one path
/// segment.
pub fn find_link<'a>(schema: &'a Value, method: &str, path: &str) -> Option<&'a Value> {
    let path_segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    schema["links"].as_array()?.iter().find(|link| {
        let href = link["href"].as_str().unwrap_or("");
        let href_segments: Vec<&str> = href.trim_start_matches('/').split('/').collect();
        link["method"] == method
            && href_segments.len() == path_segments.len()
            && href_segments
                .iter()
                .zip(&path_segments)
                .all(|(h, p)| (h.starts_with("{(") && !p.is_empty()) || h == p)
    })
}

/// `#/definitions/formation/definitions/quantity` → that part of the subset.
fn resolve<'a>(schema: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    schema.pointer(pointer)
}

/// The app identity pattern of the schema, `^[a-z][a-z0-9-]{1,28}[a-z0-9]$`, by hand.
fn is_app_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=30).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[bytes.len() - 1] != b'-'
}

pub fn check_request(schema: &Value, link: &Value, request: &Recorded) -> Vec<String> {
    let what = format!("{} {}", request.method, request.path);
    let mut problems = Vec::new();
    let app = request.path.split('/').nth(2).unwrap_or("");
    if !is_app_name(app) {
        problems.push(format!(
            "{what}: `{app}` does not match the app name pattern"
        ));
    }
    let mut expect = |name: &str, ok: &dyn Fn(&str) -> bool, wanted: &str| match request
        .header(name)
    {
        Some(value) if ok(value) => {}
        Some(value) => problems.push(format!("{what}: header {name}: {value:?}, wanted {wanted}")),
        None => problems.push(format!("{what}: no {name} header")),
    };
    expect(
        "accept",
        &|v| v == "application/vnd.heroku+json; version=3",
        "application/vnd.heroku+json; version=3",
    );
    expect(
        "authorization",
        &|v| v.strip_prefix("Bearer ").is_some_and(|t| !t.is_empty()),
        "Bearer TOKEN",
    );
    expect(
        "user-agent",
        &|v| v.starts_with("clockctl/") && v.ends_with(" (heroku-clock)"),
        "clockctl/VERSION (heroku-clock)",
    );
    expect("request-id", &is_uuid_v4, "a UUID v4");
    match (link.get("schema"), request.body.is_empty()) {
        (None, true) => {}
        (None, false) => problems.push(format!("{what}: a body on a link without a schema")),
        (Some(_), true) => problems.push(format!("{what}: no body")),
        (Some(body_schema), false) => {
            if request.header("content-type") != Some("application/json") {
                problems.push(format!(
                    "{what}: body without Content-Type: application/json"
                ));
            }
            match serde_json::from_str::<Value>(&request.body) {
                Ok(body) => check_value(schema, body_schema, &body, &what, &mut problems),
                Err(e) => problems.push(format!("{what}: body is not JSON: {e}")),
            }
        }
    }
    problems
}

fn is_uuid_v4(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && value.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && groups[2].starts_with('4')
        && matches!(groups[3].chars().next(), Some('8' | '9' | 'a' | 'b'))
}

/// Checks `value` against a (sub)schema: `$ref`, `type`, `properties` (no others allowed)
/// and `items`. That is all the links here use.
pub fn check_value(
    schema: &Value,
    sub: &Value,
    value: &Value,
    at: &str,
    problems: &mut Vec<String>,
) {
    if let Some(reference) = sub.get("$ref").and_then(Value::as_str) {
        match resolve(schema, reference) {
            Some(target) => check_value(schema, target, value, at, problems),
            None => problems.push(format!("{at}: unresolved $ref {reference}")),
        }
        return;
    }
    if let Some(types) = sub.get("type").and_then(Value::as_array) {
        let fits = types.iter().any(|t| match t.as_str() {
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("string") => value.is_string(),
            Some("object") => value.is_object(),
            Some("array") => value.is_array(),
            Some("boolean") => value.is_boolean(),
            Some("null") => value.is_null(),
            _ => false,
        });
        if !fits {
            problems.push(format!("{at}: {value} is not of type {types:?}"));
            return;
        }
    }
    if let (Some(properties), Some(object)) = (
        sub.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (key, field) in object {
            match properties.get(key) {
                Some(field_schema) => check_value(
                    schema,
                    field_schema,
                    field,
                    &format!("{at}.{key}"),
                    problems,
                ),
                None => problems.push(format!("{at}: property `{key}` is not in the schema")),
            }
        }
    }
    if let (Some(items), Some(array)) = (sub.get("items"), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            check_value(schema, items, item, &format!("{at}[{index}]"), problems);
        }
    }
}

/// A formation body shaped like `#/definitions/formation`.
pub fn formation(quantity: i64, size: &str) -> Value {
    json!({
        "app": { "id": "01234567-89ab-cdef-0123-456789abcdef", "name": APP },
        "command": "clock",
        "created_at": "2026-11-01T12:00:00Z",
        "dyno_size": { "id": "11111111-89ab-cdef-0123-456789abcdef", "name": size },
        "id": "22222222-89ab-cdef-0123-456789abcdef",
        "quantity": quantity,
        "size": size,
        "type": "clock",
        "updated_at": "2026-11-30T05:00:00Z"
    })
}

/// A dyno body shaped like `#/definitions/dyno`.
pub fn dyno(name: &str, process_type: &str, state: &str, size: &str) -> Value {
    json!({
        "attach_url": null,
        "command": process_type,
        "created_at": "2026-11-30T04:00:00Z",
        "id": "33333333-89ab-cdef-0123-456789abcdef",
        "name": name,
        "release": { "id": "44444444-89ab-cdef-0123-456789abcdef", "version": 42 },
        "app": { "id": "01234567-89ab-cdef-0123-456789abcdef", "name": APP },
        "size": size,
        "state": state,
        "type": process_type,
        "updated_at": "2026-11-30T05:55:00Z"
    })
}

pub fn app_body() -> Value {
    json!({ "id": "01234567-89ab-cdef-0123-456789abcdef", "name": APP })
}

pub fn formation_path() -> String {
    format!("/apps/{APP}/formation/clock")
}

pub fn dynos_path() -> String {
    format!("/apps/{APP}/dynos")
}

/// What a run of `clockctl` did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Fails unless the exit code is `code`, showing everything printed.
    pub fn expect_code(&self, code: i32) -> &Output {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Fails unless stdout holds `text`, showing stdout.
    pub fn stdout_has(&self, text: &str) -> &Output {
        assert!(
            self.stdout.contains(text),
            "no {text:?} in stdout:\n{}",
            self.stdout
        );
        self
    }

    /// Fails unless stderr holds `text`, showing stderr.
    pub fn stderr_has(&self, text: &str) -> &Output {
        assert!(
            self.stderr.contains(text),
            "no {text:?} in stderr:\n{}",
            self.stderr
        );
        self
    }
}

/// A temp HOME and cwd, and the environment `clockctl` runs with.
pub struct Sandbox {
    pub home: tempfile::TempDir,
    pub cwd: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    /// HEROKU_HOST at `server`, HEROKU_API_KEY set, HEROKU_APP set, debug logging on,
    /// retries and polls instant.
    pub fn new(server: &FakeHeroku) -> Sandbox {
        let mut sandbox = Sandbox::bare(server);
        sandbox.set("HEROKU_API_KEY", TOKEN);
        sandbox.set("HEROKU_APP", APP);
        sandbox
    }

    /// No token and no app: only HEROKU_HOST and the test knobs.
    pub fn bare(server: &FakeHeroku) -> Sandbox {
        let home = tempfile::tempdir().expect("temp HOME");
        let cwd = tempfile::tempdir().expect("temp cwd");
        let mut sandbox = Sandbox {
            home,
            cwd,
            env: Vec::new(),
        };
        sandbox.set("HEROKU_HOST", &server.url());
        sandbox.set("CLOCKCTL_RETRY_BASE_MS", "1");
        sandbox.set("CLOCKCTL_POLL_INTERVAL_MS", "1");
        sandbox.set("CLOCK_LOG_LEVEL", "debug");
        sandbox.set("RUST_LOG", "trace");
        sandbox
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.to_owned(), value.to_owned()));
    }

    pub fn unset(&mut self, name: &str) {
        self.env.retain(|(n, _)| n != name);
    }

    /// Runs the built `clockctl` with `args`. Checks that nothing printed holds the token.
    pub fn clockctl(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_clockctl"));
        command
            .args(args)
            .current_dir(self.cwd.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let output = command.output().expect("run clockctl");
        let result = Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        for (stream, text) in [("stdout", &result.stdout), ("stderr", &result.stderr)] {
            assert!(
                !text.contains(TOKEN) && !text.contains("9f8e7d6c5b4a"),
                "the token appeared on {stream}:\n{text}"
            );
        }
        result
    }

    /// Runs `git` in the sandbox's cwd.
    pub fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(self.cwd.path())
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .expect("run git");
        assert!(status.success(), "git {args:?} failed");
    }

    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.cwd.path().join(relative);
        std::fs::write(&path, text).expect("write a file");
        path
    }
}
