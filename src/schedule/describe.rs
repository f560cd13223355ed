//! A schedule in plain words, for `clockctl next`, logs and validation output:
//! "at 17:00, Monday through Friday, America/New_York", "every 5 minutes, UTC". Common
//! shapes get a sentence; anything else falls back to naming each field's values. Never
//! fails.

use std::time::Duration;

use chrono::Timelike;

use super::cron::{CronExpr, DayFields, Fields};
use super::{AtTime, JobSchedule, Schedule};

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(crate) fn describe(s: &JobSchedule) -> String {
    let zone = s.tz.name();
    let mut text = match &s.schedule {
        Schedule::Cron(expr) => format!("{}, {zone}", describe_cron(expr)),
        Schedule::Every(interval) => {
            let origin = match s.start {
                Some(start) => format!(
                    "aligned to its start, {}",
                    start.format("%Y-%m-%d %H:%M:%S UTC")
                ),
                None => "aligned to the Unix epoch".to_string(),
            };
            format!("every {} ({origin}), {zone}", duration_words(*interval))
        }
        Schedule::At(AtTime::Local(wall)) => format!("once, at {} {zone}", wall_words(*wall)),
        Schedule::At(AtTime::Instant(t)) => {
            let local = t.with_timezone(&s.tz).naive_local();
            format!("once, at {} {zone}", wall_words(local))
        }
    };
    if !s.jitter.is_zero() {
        text.push_str(&format!(
            ", each run delayed {} (jitter)",
            duration_words(s.jitter)
        ));
    }
    match (s.start, s.end) {
        (Some(start), Some(end)) if !matches!(s.schedule, Schedule::At(_)) => {
            text.push_str(&format!(
                ", from {} until {}",
                start.format("%Y-%m-%d %H:%M UTC"),
                end.format("%Y-%m-%d %H:%M UTC")
            ))
        }
        (Some(start), None) if !matches!(s.schedule, Schedule::Every(_) | Schedule::At(_)) => {
            text.push_str(&format!(", from {}", start.format("%Y-%m-%d %H:%M UTC")));
        }
        (None, Some(end)) if !matches!(s.schedule, Schedule::At(_)) => {
            text.push_str(&format!(", until {}", end.format("%Y-%m-%d %H:%M UTC")));
        }
        _ => {}
    }
    text
}

fn wall_words(wall: chrono::NaiveDateTime) -> String {
    if wall.second() == 0 {
        wall.format("%Y-%m-%d %H:%M").to_string()
    } else {
        wall.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// "37 minutes", "1 hour 30 minutes", "1.5 seconds".
pub(crate) fn duration_words(d: Duration) -> String {
    let total = d.as_secs();
    if d.subsec_nanos() != 0 {
        let ms = d.as_millis();
        return if ms < 1000 {
            format!("{ms} ms")
        } else {
            format!("{} seconds", d.as_secs_f64())
        };
    }
    if total == 0 {
        return "0 seconds".into();
    }
    let units = [
        (86_400, "day"),
        (3600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let mut rest = total;
    let mut parts = Vec::new();
    for (size, name) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            parts.push(plural(n, name));
        }
    }
    parts.join(" ")
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn describe_cron(expr: &CronExpr) -> String {
    let f = expr.fields();
    let mut parts = vec![time_words(f)];
    if let Some(days) = day_words(&f.days) {
        parts.push(days);
    }
    let months = bits(u64::from(f.months), 1, 12);
    let month_name = |m: u32| MONTHS[(m - 1) as usize];
    if months.len() >= 3 && months.len() < 12 && contiguous(&months) {
        let (a, b) = (months[0], months[months.len() - 1]);
        parts.push(format!("in {} through {}", month_name(a), month_name(b)));
    } else if months.len() < 12 {
        parts.push(format!(
            "in {}",
            list_words(&months, |m| month_name(m).to_string())
        ));
    }
    parts.join(", ")
}

fn bits(mask: u64, lo: u32, hi: u32) -> Vec<u32> {
    (lo..=hi).filter(|v| mask & (1 << v) != 0).collect()
}

/// `Some(n)` when `values` is exactly 0, n, 2n, … covering `span` evenly (`*/n`).
fn even_step(values: &[u32], span: u32) -> Option<u32> {
    let step = match values {
        [0, second, ..] => *second,
        _ => return None,
    };
    (span % step == 0
        && values.len() as u32 == span / step
        && values
            .iter()
            .enumerate()
            .all(|(i, &v)| v == i as u32 * step))
    .then_some(step)
}

fn time_words(f: &Fields) -> String {
    let s = bits(f.seconds, 0, 59);
    let m = bits(f.minutes, 0, 59);
    let h = bits(u64::from(f.hours), 0, 23);
    let all_h = h.len() == 24;
    let all_m = m.len() == 60;
    let zero_s = s == [0];

    if !zero_s {
        if all_h && all_m {
            if s.len() == 60 {
                return "every second".into();
            }
            if let Some(n) = even_step(&s, 60) {
                return format!("every {n} seconds");
            }
        }
        if s.len() == 1 && h.len() * m.len() <= 6 {
            let sec = s[0];
            let times: Vec<String> = h
                .iter()
                .flat_map(|hh| m.iter().map(move |mm| format!("{hh:02}:{mm:02}:{sec:02}")))
                .collect();
            return format!("at {}", join_and(&times));
        }
        return format!(
            "at second {} of minute {} of hour {}",
            ranges(&s),
            ranges(&m),
            ranges(&h)
        );
    }
    if all_m && all_h {
        return "every minute".into();
    }
    if all_h {
        if let Some(n) = even_step(&m, 60) {
            return format!("every {n} minutes");
        }
        let marks: Vec<String> = m.iter().map(|v| format!(":{v:02}")).collect();
        return if m.len() <= 6 {
            format!("every hour at {}", join_and(&marks))
        } else {
            format!("every hour at minutes {}", ranges(&m))
        };
    }
    if h.len() * m.len() <= 6 {
        let times: Vec<String> = h
            .iter()
            .flat_map(|hh| m.iter().map(move |mm| format!("{hh:02}:{mm:02}")))
            .collect();
        return format!("at {}", join_and(&times));
    }
    if let [minute] = m[..] {
        // One minute in several hours: "at :30 every 2 hours from 00:30 to 22:30".
        let (first, last) = (h[0], h[h.len() - 1]);
        let range = format!("from {first:02}:{minute:02} to {last:02}:{minute:02}");
        if let Some(n) = even_step_from(&h, first, last).filter(|_| h.len() > 2) {
            return format!("every {n} hours {range}");
        }
        if contiguous(&h) {
            return format!("every hour {range}");
        }
    }
    let hours = hour_span_words(&h);
    if all_m {
        return format!("every minute {hours}");
    }
    if let Some(n) = even_step(&m, 60) {
        return format!("every {n} minutes {hours}");
    }
    if m.len() <= 6 {
        let marks: Vec<String> = m.iter().map(|v| format!(":{v:02}")).collect();
        return format!("at {} past each hour {hours}", join_and(&marks));
    }
    format!("at minutes {} {hours}", ranges(&m))
}

/// "from 09:00 to 17:59" for one run of hours, else "during hours 9, 13 and 17".
fn hour_span_words(h: &[u32]) -> String {
    match (h.first(), h.last()) {
        (Some(&a), Some(&b)) if contiguous(h) => {
            format!("from {a:02}:00 to {b:02}:59")
        }
        _ => format!("during hours {}", ranges(h)),
    }
}

fn contiguous(values: &[u32]) -> bool {
    match (values.first(), values.last()) {
        (Some(&a), Some(&b)) => (b - a + 1) as usize == values.len(),
        _ => false,
    }
}

fn day_words(f: &DayFields) -> Option<String> {
    let dom_values = bits(u64::from(f.dom), 1, 31);
    let dom_plain_all = dom_values.len() == 31;
    let dom_special = f.dom_last != 0 || f.dom_nearest_weekday != 0 || f.dom_last_weekday;
    let dow_values = bits(u64::from(f.dow), 0, 6);
    let dow_special = f.dow_last != 0 || f.dow_nth.iter().any(|&n| n != 0);
    let dom_all = dom_plain_all && !dom_special;
    let dow_all = dow_values.len() == 7 && !dow_special;

    let dom = (!dom_all).then(|| dom_words(f, &dom_values));
    let dow = (!dow_all).then(|| dow_words(f, &dow_values));
    match (dom, dow) {
        (None, None) => None,
        (Some(d), None) | (None, Some(d)) => Some(d),
        (Some(d), Some(w)) => {
            if f.dom_star || f.dow_star {
                Some(format!("{d}, when that is {}", w.trim_start_matches("on ")))
            } else {
                Some(format!(
                    "{d}, and also every {}",
                    w.trim_start_matches("on ")
                ))
            }
        }
    }
}

fn dom_words(f: &DayFields, values: &[u32]) -> String {
    let mut parts = Vec::new();
    if !values.is_empty() {
        if even_step_from(values, 1, 31) == Some(2) {
            parts.push("on odd days of the month".to_string());
        } else if let (Some(_), [a, b, c, ..]) = (even_step_from(values, 1, 31), values) {
            parts.push(format!("on days {a}, {b}, {c}, … of the month"));
        } else {
            let word = if values.len() == 1 { "day" } else { "days" };
            parts.push(format!("on {word} {} of the month", ranges(values)));
        }
    }
    for n in bits(u64::from(f.dom_last), 0, 30) {
        parts.push(match n {
            0 => "on the last day of the month".to_string(),
            n => format!(
                "{} before the last day of the month",
                plural(u64::from(n), "day")
            ),
        });
    }
    for n in bits(u64::from(f.dom_nearest_weekday), 1, 31) {
        parts.push(format!("on the weekday nearest day {n} of the month"));
    }
    if f.dom_last_weekday {
        parts.push("on the last weekday of the month".into());
    }
    join_or(&parts)
}

/// `Some(n)` when `values` is `lo, lo+n, lo+2n, …` up to `hi` (`*/n` in a 1-based field).
fn even_step_from(values: &[u32], lo: u32, hi: u32) -> Option<u32> {
    let step = match values {
        [first, second, ..] if *first == lo => second - first,
        _ => return None,
    };
    let expected: Vec<u32> = (lo..=hi).step_by(step as usize).collect();
    (step > 1 && expected == values).then_some(step)
}

fn dow_words(f: &DayFields, values: &[u32]) -> String {
    let mut parts = Vec::new();
    if !values.is_empty() {
        let weekdays = values == [1, 2, 3, 4, 5];
        parts.push(if weekdays {
            "Monday through Friday".to_string()
        } else if values == [0, 6] {
            "on Saturday and Sunday".to_string()
        } else if values.len() >= 3 && values.windows(2).all(|w| w[1] == w[0] + 1) {
            format!(
                "{} through {}",
                WEEKDAYS[values[0] as usize],
                WEEKDAYS[values[values.len() - 1] as usize]
            )
        } else {
            format!(
                "on {}",
                list_words(values, |d| WEEKDAYS[d as usize].to_string())
            )
        });
    }
    for (day, &nth) in f.dow_nth.iter().enumerate() {
        for k in bits(u64::from(nth), 1, 5) {
            parts.push(format!(
                "on the {} {} of the month",
                ordinal(k),
                WEEKDAYS[day]
            ));
        }
    }
    for day in bits(u64::from(f.dow_last), 0, 6) {
        parts.push(format!(
            "on the last {} of the month",
            WEEKDAYS[day as usize]
        ));
    }
    join_or(&parts)
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        4 => "fourth".into(),
        5 => "fifth".into(),
        _ => format!("{n}{suffix}"),
    }
}

/// "1-5, 10 and 12".
fn ranges(values: &[u32]) -> String {
    let mut runs: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        runs.push(if j >= i + 2 {
            format!("{}-{}", values[i], values[j])
        } else if j == i + 1 {
            format!("{}, {}", values[i], values[j])
        } else {
            values[i].to_string()
        });
        i = j + 1;
    }
    join_and(&runs)
}

fn list_words(values: &[u32], name: impl Fn(u32) -> String) -> String {
    let names: Vec<String> = values.iter().map(|&v| name(v)).collect();
    join_and(&names)
}

fn join_and(items: &[String]) -> String {
    join_with(items, "and")
}

fn join_or(items: &[String]) -> String {
    join_with(items, "or")
}

fn join_with(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {word} {last}", rest.join(", ")),
    }
}
