//! Fuzz `config::parse` with arbitrary text: it must return diagnostics, never panic or
//! hang, whatever the input (hostile YAML, bad UTF-8 made lossy, huge numbers).
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let parsed = heroku_clock::config::parse(&text, now);
    for diagnostic in &parsed.diagnostics {
        let _ = diagnostic.render("clock.yml", &text, &parsed.masks);
    }
});
