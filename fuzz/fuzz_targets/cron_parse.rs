//! Fuzz `CronExpr::parse` and, for expressions that parse, the next runs: error ranges
//! must lie inside the text, and nothing may panic or loop.
#![no_main]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use heroku_clock::schedule::{CronExpr, JobSchedule, Schedule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match CronExpr::parse(text) {
        Err(error) => {
            assert!(error.start <= error.end && error.end <= text.len(), "{error:?} in {text:?}");
        }
        Ok(expr) => {
            let schedule = JobSchedule {
                schedule: Schedule::Cron(expr),
                tz: chrono_tz_new_york(),
                jitter: Duration::ZERO,
                start: None,
                end: None,
            };
            if schedule.validate().is_ok() {
                let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
                let _ = schedule.upcoming(now, 3);
            }
        }
    }
});

fn chrono_tz_new_york() -> chrono_tz::Tz {
    chrono_tz::America::New_York
}
