//! A real PostgreSQL restart under a running clock. The shared test server must not be
//! restarted under the other tests, so this test runs a private one (`initdb` and
//! `pg_ctl` from the installed PostgreSQL, as user postgres when run as root) on a free
//! port. While the server is down nothing starts, the slow run already going is not
//! interrupted and its outcome is written when the server is back, and every slot
//! refused meanwhile is made up or recorded as skipped.

mod support_store;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support_store::{ClockProc, TestDb, Workdir, wait_until};

const BOUND: Duration = Duration::from_secs(30);

fn server_binary(name: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin").join(name))
        .filter(|path| path.exists())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!("start PostgreSQL: no {name} under /usr/lib/postgresql/*/bin; install Debian's postgresql package")
    })
}

/// Runs a server binary, as user postgres when we are root (postgres refuses root).
fn as_postgres(binary: &Path, args: &[&str]) -> std::process::Output {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut command = if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(binary);
        command
    } else {
        Command::new(binary)
    };
    command
        .args(args)
        .output()
        .expect("run a PostgreSQL binary")
}

struct PrivateServer {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateServer {
    fn start() -> PrivateServer {
        let dir = tempfile::Builder::new()
            .prefix("hc-pg-")
            .tempdir_in("/tmp")
            .expect("a temp dir");
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let chown = Command::new("chown")
                .args(["postgres:", &dir.path().display().to_string()])
                .status()
                .expect("chown");
            assert!(chown.success());
        }
        let data = dir.path().join("data");
        let init = as_postgres(
            &server_binary("initdb"),
            &[
                "-D",
                &data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
        );
        assert!(init.status.success(), "initdb: {init:?}");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free port");
        let server = PrivateServer { dir, port };
        server.ctl("start");
        server
    }

    fn ctl(&self, action: &str) {
        let data = self.dir.path().join("data").display().to_string();
        let log = self.dir.path().join("server.log").display().to_string();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let output = as_postgres(
            &server_binary("pg_ctl"),
            &[
                "-D", &data, "-l", &log, "-w", "-m", "fast", "-o", &options, action,
            ],
        );
        assert!(output.status.success(), "pg_ctl {action}: {output:?}");
    }

    fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        let _ = as_postgres(
            &server_binary("pg_ctl"),
            &["-D", &data, "-m", "immediate", "stop"],
        );
    }
}

#[test]
fn a_postgres_restart_loses_no_outcome_and_makes_up_the_latest_slot() {
    let server = PrivateServer::start();
    let db = TestDb::create_on(&server.admin_url());
    let work = Workdir::with_fixture("store_restart");
    let clock = ClockProc::start(&work, "clock.1", &db.url(), &[("CLOCK_LEASE_TERM", "6s")]);
    clock.wait_for(&[("event", "leader"), ("state", "acquired")], BOUND);
    // Wait until a slow run is going, then restart the server under it.
    clock.wait_for(&[("event", "started"), ("job", "slow")], BOUND);
    std::thread::sleep(Duration::from_millis(500));
    server.ctl("stop");
    std::thread::sleep(Duration::from_secs(2));
    server.ctl("start");
    clock.wait_for(&[("event", "store_error")], BOUND);
    // What the outage refused is made up (`caught_up`) when the store is back before the
    // next slot, or recorded as skipped when the next slot ran first: the check of every
    // tick slot below accepts either, and nothing else.
    let slow_slot = clock.lines(&[("event", "started"), ("job", "slow")])[0]
        .split(' ')
        .find_map(|word| word.strip_prefix("scheduled_for="))
        .map(str::to_string)
        .expect("a slot");
    // The slow run ended while the server was away or just back: its outcome is written.
    wait_until("the slow run's outcome in the history", BOUND, || {
        db.runs().iter().any(|row| {
            row.job == "slow"
                && row.status == "succeeded"
                && chrono::DateTime::from_timestamp(row.slot, 0).is_some_and(|slot| {
                    slot.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true) == slow_slot
                })
        })
    });
    let runs_before = work.runs().len();
    wait_until("ticks after the restart", BOUND, || {
        work.runs().len() >= runs_before + 3
    });
    clock.term();
    let mut clock = clock;
    assert_eq!(clock.wait(BOUND), Some(0), "{}", clock.log());
    assert_eq!(work.duplicates(), vec![]);
    // The run that was going during the restart ended by itself (the one the final
    // SIGTERM may interrupt is a later one).
    let slow_pair = format!("scheduled_for={slow_slot}");
    assert!(
        clock
            .lines(&[("event", "interrupted")])
            .iter()
            .all(|line| !line.contains(&slow_pair)),
        "{}",
        clock.log()
    );
    // Every tick slot from the first to the last either ran or is recorded as skipped.
    let ticks: Vec<i64> = work
        .runs()
        .iter()
        .filter(|(job, _)| job == "tick")
        .map(|(_, slot)| *slot)
        .collect();
    let history = db.runs();
    let (first, last) = (ticks[0], ticks[ticks.len() - 1]);
    let unaccounted: Vec<i64> = (first..=last)
        .filter(|slot| !ticks.contains(slot))
        .filter(|slot| {
            !history
                .iter()
                .any(|row| row.job == "tick" && row.slot == *slot && row.status == "skipped")
        })
        .collect();
    assert_eq!(unaccounted, Vec::<i64>::new(), "{}", clock.log());
    drop(db);
}
