//! `clockctl scale`: set the app's clock process to one dyno (or none), and optionally wait
//! until it is up.
//!
//! The steps: refuse a quantity above 1 before anything else (two clock dynos run every job
//! twice), unless the clock.yml has a `store:` block (then the clocks share one schedule)
//! and the app has the config var it names (`GET /apps/{app}/config-vars`; only the names
//! are read, no value is ever shown); resolve the app and token (nothing sent without both); `GET` the clock formation;
//! if it already is what was asked, say so and stop; else one `PATCH` with the quantity (and
//! `dyno_size` for `--size`). `--wait` then polls the dyno list until the clock dyno is `up`
//! (or gone, for 0), fails at once on `crashed`, and gives up after `--timeout`.
//! `--dry-run` shows the requests and sends none. Exit codes: 0 done (or nothing to do),
//! 1 the API refused or failed, the dyno crashed or did not come up in time, 2 a usage
//! error (bad flags, a quantity above 1, no app, no token).

use std::process::ExitCode;
use std::time::Duration;

use crate::heroku::session::Session;
use crate::heroku::{CLOCK_PROCESS, Dyno, FormationUpdate};

use super::Failure;
use super::async_runtime::block_on;
use super::platform::{AppArgs, api_failure, init_debug_log, open_session};
use crate::visible::visible;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many clock dynos (`clockctl scale 2` is the same as `--quantity 2`): 1 runs the
    /// clock, 0 stops it. More than 1 only with a `store:` block in clock.yml (see
    /// docs/running-two-clocks.md). Default: 1.
    #[arg(value_name = "N", conflicts_with = "quantity")]
    count: Option<u32>,
    /// How many clock dynos, as a flag (the same as the N argument).
    #[arg(long, short = 'q', value_name = "N")]
    quantity: Option<u32>,
    /// The clock.yml whose `store:` block allows more than one clock dyno.
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        env = "CLOCK_CONFIG",
        default_value = "clock.yml"
    )]
    config: std::path::PathBuf,
    /// The dyno size: on Cedar e.g. basic, standard-1X, standard-2X; on Fir e.g.
    /// dyno-1c-0.5gb, dyno-2c-1gb (default: leave it as it is).
    #[arg(long, short = 's', value_name = "SIZE")]
    size: Option<String>,
    /// Wait until the clock dyno is up (or stopped, for --quantity 0).
    #[arg(long)]
    wait: bool,
    /// How long --wait waits, in seconds (0 to 86400; 0 looks once).
    #[arg(
        long,
        default_value_t = 120,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(0..=MAX_WAIT_SECONDS)
    )]
    timeout: u64,
    /// Show the requests that would be sent, and send nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    app: AppArgs,
    /// How often --wait asks for the dyno list, in milliseconds (for tests).
    #[arg(
        long,
        hide = true,
        env = "CLOCKCTL_POLL_INTERVAL_MS",
        default_value_t = 2000,
        value_parser = clap::value_parser!(u64).range(1..=MAX_POLL_MILLIS)
    )]
    poll_interval_ms: u64,
}

/// The longest `--wait --timeout`: a day. A clock dyno that is not up by then will not be.
const MAX_WAIT_SECONDS: u64 = 86_400;

/// The slowest poll `CLOCKCTL_POLL_INTERVAL_MS` may ask for: a minute.
const MAX_POLL_MILLIS: u64 = 60_000;

/// Why more than one clock dyno is refused.
pub const ONE_CLOCK_ONLY: &str =
    "a clock runs every job on its own, so a second clock dyno would run every job twice";

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let quantity = args.count.or(args.quantity).unwrap_or(1);
    let store_var = if quantity > 1 {
        Some(store_variable(&args.config, quantity)?)
    } else {
        None
    };
    init_debug_log();
    let session = open_session(&args.app)?;
    let update = FormationUpdate::new(i64::from(quantity), args.size.as_deref());
    let app = session.app.name.clone();

    if let (Some(var), false) = (&store_var, args.dry_run) {
        let names = block_on(session.client.config_var_names(&app))?.map_err(api_failure)?;
        if !names.iter().any(|name| name == var) {
            return Err(Failure::new(format!(
                "refusing to scale clock to {}: {app} has no config var {var}, which the \
                 store: block in {} names",
                quantity,
                args.config.display()
            ))
            .with_hint(format!(
                "add a database: `heroku addons:create heroku-postgresql:essential-0 -a {app}` \
                 (it sets DATABASE_URL), or point `postgres:` at the variable that holds its URL"
            )));
        }
    }

    if args.dry_run {
        let client = &session.client;
        if store_var.is_some() {
            println!(
                "Dry run: nothing is sent. clockctl would first check the app's config var names:\n"
            );
            print!("{}", client.config_vars_request(&app));
            println!();
        }
        println!("Dry run: nothing is sent. clockctl would first read the clock formation:\n");
        print!("{}", client.formation_info_request(&app, CLOCK_PROCESS));
        println!("\nand, only if it differs from what was asked, change it:\n");
        print!(
            "{}",
            client.formation_update_request(&app, CLOCK_PROCESS, &update)
        );
        return Ok(ExitCode::SUCCESS);
    }

    block_on(async {
        let client = &session.client;
        let current = client
            .formation_info(&app, CLOCK_PROCESS)
            .await
            .map_err(api_failure)?;
        let before = describe_formation(current.quantity, current.size_name());
        if current.satisfies(&update) {
            println!("clock on {app} is already at {before}; nothing to change.");
        } else {
            let updated = client
                .formation_update(&app, CLOCK_PROCESS, &update)
                .await
                .map_err(api_failure)?;
            let after = describe_formation(updated.quantity, updated.size_name());
            println!("Scaled clock on {app} from {before} to {after}.");
        }
        if args.wait {
            let poll = Duration::from_millis(args.poll_interval_ms);
            let limit = Duration::from_secs(args.timeout);
            wait_for_clock(&session, &update, poll, limit).await?;
        }
        Ok(ExitCode::SUCCESS)
    })?
}

/// The variable a clock.yml's `store:` block names, which allows `quantity` > 1 clock
/// dynos; a usage failure (nothing sent) when the file has no store.
fn store_variable(path: &std::path::Path, quantity: u32) -> Result<String, Failure> {
    let refuse = |why: String| {
        Failure::usage(format!("refusing to scale clock to {quantity}: {why}")).with_hint(
            "use --quantity 1 (run the clock) or --quantity 0 (stop it); to run several \
             clocks, add a `store:` block with `postgres: $DATABASE_URL` to clock.yml \
             (docs/running-two-clocks.md)",
        )
    };
    let file = path.display();
    let parsed = match crate::config::load(path, chrono::Utc::now()) {
        Ok((_, parsed)) => parsed,
        Err(_) => {
            return Err(refuse(format!(
                "{ONE_CLOCK_ONLY} (no {file} to read a store: block from)"
            )));
        }
    };
    match parsed.config.and_then(|config| config.store) {
        Some(store) => Ok(store.postgres_var),
        None => Err(refuse(format!(
            "{ONE_CLOCK_ONLY} ({file} has no valid store: block)"
        ))),
    }
}

/// `1 × Standard-1X`, or `0` when stopped.
fn describe_formation(quantity: i64, size: Option<&str>) -> String {
    match (quantity, size) {
        (0, _) => "0 (stopped)".to_owned(),
        (n, Some(size)) => format!("{n} × {}", visible(size)),
        (n, None) => n.to_string(),
    }
}

/// True when a poll `poll` from now still starts within `limit` of the first one, `elapsed`
/// after it. Saturating, so no flag or clock can make it overflow.
pub(super) fn another_poll_fits(elapsed: Duration, poll: Duration, limit: Duration) -> bool {
    elapsed.saturating_add(poll) <= limit
}

/// Polls the dyno list until the clock is as asked, it crashed, or `limit` passed.
async fn wait_for_clock(
    session: &Session,
    update: &FormationUpdate,
    poll: Duration,
    limit: Duration,
) -> Result<(), Failure> {
    let app = &session.app.name;
    let wanted_size = update.dyno_size.as_ref().and_then(|s| s.name.as_deref());
    let started = tokio::time::Instant::now();
    let last_seen = loop {
        let dynos = session.client.dyno_list(app).await.map_err(api_failure)?;
        let clocks: Vec<&Dyno> = dynos
            .iter()
            .filter(|d| d.process_type == CLOCK_PROCESS)
            .collect();
        if let Some(crashed) = clocks.iter().find(|d| d.state == "crashed") {
            return Err(
                Failure::new(format!("{} on {app} crashed", visible(&crashed.name)))
                    .with_hint(format!("read its output with `{}`", logs_command(app))),
            );
        }
        if update.quantity == 0 {
            if clocks.is_empty() {
                println!("The clock on {app} is stopped.");
                return Ok(());
            }
        } else {
            let ready: Vec<&&Dyno> = clocks
                .iter()
                .filter(|d| d.state == "up")
                .filter(|d| match (wanted_size, d.size.as_deref()) {
                    (Some(wanted), Some(have)) => wanted.eq_ignore_ascii_case(have),
                    _ => true,
                })
                .collect();
            if !ready.is_empty() && clocks.iter().all(|d| d.state == "up") {
                println!("{} on {app} is up.", visible(&ready[0].name));
                return Ok(());
            }
        }
        let seen = match clocks.as_slice() {
            [] => "no clock dyno yet".to_owned(),
            some => some
                .iter()
                .map(|d| format!("{} is {}", visible(&d.name), visible(&d.state)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        eprintln!("waiting: {seen}");
        if !another_poll_fits(started.elapsed(), poll, limit) {
            break seen;
        }
        tokio::time::sleep(poll).await;
    };
    Err(Failure::new(format!(
        "the clock on {app} was not {} after {}s ({last_seen})",
        if update.quantity == 0 {
            "stopped"
        } else {
            "up"
        },
        limit.as_secs()
    ))
    .with_hint(format!(
        "see what it is doing with `heroku ps --app {app}` and `{}`, or wait longer with --timeout",
        logs_command(app)
    )))
}

/// The command that shows the clock's logs, on both of Heroku's generations. `--dyno
/// clock` is a Cedar-only shorthand: on Fir `--dyno` takes a full dyno name (such as
/// `clock-6d4f8b7c9-x2k7q`), while `--process-type` filters by type on both
/// (heroku/cli src/commands/logs.ts).
fn logs_command(app: &str) -> String {
    format!("heroku logs --tail --process-type clock --app {app}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formations_read_as_words() {
        for (from, expected) in [
            ((0, Some("Basic")), "0 (stopped)"),
            ((1, Some("Standard-1X")), "1 × Standard-1X"),
            ((1, None), "1"),
        ] {
            assert_eq!(describe_formation(from.0, from.1), expected);
        }
    }
}
