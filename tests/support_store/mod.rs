//! What the store's end-to-end tests share: a fresh database per test on the real
//! server, `clock` processes that log to files, the runs the jobs wrote, history rows,
//! and a TCP proxy that can blackhole a connection.
//!
//! The server is `TEST_DATABASE_URL` (an admin URL) or postgres@127.0.0.1:5432. One that
//! does not answer fails the test with what to do: it is never skipped.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Runs `query` (simple protocol) against `url`; every row as text columns.
pub fn sql(url: &str, query: &str) -> Vec<Vec<Option<String>>> {
    runtime().block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "start PostgreSQL: no server answers at {url} ({error}); run \
                     `pg_ctlcluster 15 main start` or set TEST_DATABASE_URL"
                )
            });
        tokio::spawn(async move { drop(connection.await) });
        let messages = client
            .simple_query(query)
            .await
            .unwrap_or_else(|error| panic!("{query}: {error}"));
        messages
            .into_iter()
            .filter_map(|message| match message {
                tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|index| row.get(index).map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    })
}

/// A database for one test, dropped (with its connections) at the end.
pub struct TestDb {
    pub name: String,
    admin: String,
}

impl TestDb {
    pub fn create() -> TestDb {
        TestDb::create_on(&admin_url())
    }

    pub fn create_on(admin: &str) -> TestDb {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "hc_test_{}_{}_{nanos:x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        sql(admin, &format!("CREATE DATABASE {name}"));
        TestDb {
            name,
            admin: admin.to_string(),
        }
    }

    /// The URL of this database.
    pub fn url(&self) -> String {
        let base = self.admin.split('?').next().unwrap_or(&self.admin);
        let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
        format!("{server}/{}", self.name)
    }

    /// The same database through `addr` (a proxy), plain TCP.
    pub fn url_via(&self, addr: SocketAddr) -> String {
        format!("postgres://postgres@{addr}/{}?sslmode=disable", self.name)
    }

    pub fn sql(&self, query: &str) -> Vec<Vec<Option<String>>> {
        sql(&self.url(), query)
    }

    /// `(job, slot as epoch seconds, attempt, status, reason, dyno)` of every run row.
    pub fn runs(&self) -> Vec<HistoryRow> {
        self.sql(
            "SELECT job, extract(epoch FROM slot)::bigint, attempt, status, coalesce(reason, ''), \
                    coalesce(dyno, '') \
               FROM heroku_clock.runs ORDER BY slot, job, attempt",
        )
        .into_iter()
        .map(|row| HistoryRow {
            job: row[0].clone().unwrap_or_default(),
            slot: row[1].as_deref().and_then(|s| s.parse().ok()).unwrap_or(0),
            attempt: row[2].as_deref().and_then(|s| s.parse().ok()).unwrap_or(0),
            status: row[3].clone().unwrap_or_default(),
            reason: row[4].clone().unwrap_or_default(),
            dyno: row[5].clone().unwrap_or_default(),
        })
        .collect()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin = self.admin.clone();
        // Not inside a panic's unwinding runtime: a thread of its own.
        let _ = std::thread::spawn(move || {
            let _ = std::panic::catch_unwind(|| {
                sql(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
            });
        })
        .join();
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub job: String,
    pub slot: i64,
    pub attempt: i32,
    pub status: String,
    pub reason: String,
    pub dyno: String,
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A folder the clocks share (the clock.yml, the file the jobs append to, logs).
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn with_fixture(name: &str) -> Workdir {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::copy(
            fixture(name).join("clock.yml"),
            dir.path().join("clock.yml"),
        )
        .expect("copy the fixture");
        Workdir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `(job, slot as epoch seconds)` of every run the jobs wrote, with duplicates.
    pub fn runs(&self) -> Vec<(String, i64)> {
        let text = std::fs::read_to_string(self.path().join("runs.txt")).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let (job, slot) = line.split_once(' ')?;
                let slot = chrono::DateTime::parse_from_rfc3339(slot).ok()?.timestamp();
                Some((job.to_string(), slot))
            })
            .collect()
    }

    /// Every `(job, slot)` written more than once.
    pub fn duplicates(&self) -> Vec<((String, i64), usize)> {
        let mut counts: BTreeMap<(String, i64), usize> = BTreeMap::new();
        for run in self.runs() {
            *counts.entry(run).or_default() += 1;
        }
        counts.into_iter().filter(|(_, count)| *count > 1).collect()
    }
}

/// A `clock` process whose stdout and stderr go to `<name>.log` in the workdir.
pub struct ClockProc {
    pub name: String,
    child: Child,
    log: PathBuf,
    pub started: Instant,
}

impl ClockProc {
    pub fn start(work: &Workdir, name: &str, url: &str, envs: &[(&str, &str)]) -> ClockProc {
        let log = work.path().join(format!("{name}.log"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_clock"));
        command
            .arg("--timestamps")
            .current_dir(work.path())
            .env_remove("CLOCK_CONFIG")
            .env_remove("CLOCK_LOG_FORMAT")
            .env_remove("CLOCK_LOG_LEVEL")
            .env("DATABASE_URL", url)
            .env("DYNO", name)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("clone"))
            .stderr(file);
        for (key, value) in envs {
            command.env(key, value);
        }
        ClockProc {
            name: name.to_string(),
            child: command.spawn().expect("start clock"),
            log,
            started: Instant::now(),
        }
    }

    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("a pid")
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.pid(), signal);
        }
    }

    pub fn term(&self) {
        self.signal(libc::SIGTERM);
    }

    pub fn kill9(&mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }

    /// Waits (bounded) for the process to exit; its exit code.
    pub fn wait(&mut self, bound: Duration) -> Option<i32> {
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill9();
        None
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// The log lines with `event=NAME` (and every other pair given).
    pub fn lines(&self, pairs: &[(&str, &str)]) -> Vec<String> {
        self.log()
            .lines()
            .filter(|line| {
                pairs.iter().all(|(key, value)| {
                    line.split(' ').any(|word| word == format!("{key}={value}"))
                })
            })
            .map(str::to_string)
            .collect()
    }

    /// Waits until a line has every pair; returns it, or panics with the log.
    pub fn wait_for(&self, pairs: &[(&str, &str)], bound: Duration) -> String {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(line) = self.lines(pairs).into_iter().next() {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no line with {pairs:?} within {bound:?}; log:\n{}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ClockProc {
    fn drop(&mut self) {
        if self.is_running() {
            self.kill9();
        }
    }
}

/// The `time=` of a `--timestamps` log line.
pub fn time_of(line: &str) -> chrono::DateTime<chrono::Utc> {
    let stamp = line
        .split(' ')
        .find_map(|word| word.strip_prefix("time="))
        .unwrap_or_else(|| panic!("no time= in {line}"));
    chrono::DateTime::parse_from_rfc3339(stamp)
        .unwrap_or_else(|error| panic!("time={stamp}: {error}"))
        .with_timezone(&chrono::Utc)
}

/// A TCP proxy to a PostgreSQL server that can be cut by blackholing: the bytes are
/// read and dropped, both sockets stay open, so the client sees a silent network,
/// never a reset. New connections made while it is cut are blackholed too.
pub struct Proxy {
    pub addr: SocketAddr,
    cut: Arc<AtomicBool>,
    _thread: std::thread::JoinHandle<()>,
}

impl Proxy {
    pub fn to(target: SocketAddr) -> Proxy {
        let cut = Arc::new(AtomicBool::new(false));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let flag = cut.clone();
        let thread = std::thread::spawn(move || {
            runtime().block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                while let Ok((client, _)) = listener.accept().await {
                    let flag = flag.clone();
                    tokio::spawn(async move {
                        let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                            return;
                        };
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        tokio::spawn(pipe(client_read, server_write, flag.clone()));
                        pipe(server_read, client_write, flag).await;
                    });
                }
            });
        });
        Proxy {
            addr,
            cut,
            _thread: thread,
        }
    }

    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }

    pub fn heal(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Copies `from` to `to`, dropping what it reads while `cut` is set. A connection that
/// saw a cut stays dead after the heal (its bytes are gone), as after a real partition.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    cut: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut buffer = vec![0_u8; 16 * 1024];
    let mut dead = false;
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        if cut.load(Ordering::SeqCst) {
            dead = true;
        }
        if dead {
            continue;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    if !dead {
        let _ = to.shutdown().await;
    } else {
        // Keep the socket open and silent, as a partition does.
        std::future::pending::<()>().await;
    }
}

/// Waits until `condition` holds, polling; panics with `what` after `bound`.
pub fn wait_until(what: &str, bound: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + bound;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
