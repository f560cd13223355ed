//! Cron text → [`Fields`]: splitting into fields, reading lists, ranges, steps, names and
//! the `L`/`W`/`#` extensions, and pointing at the exact token when something is wrong.
//! Also finds the traps that still parse (warnings). What the fields *mean* over time is
//! `next`'s and `timeline`'s business.

use super::fields::{DayFields, Fields};
use super::{CronError, CronWarning};

/// One of the six fields, with its range and names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTH_FULL: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAY_FULL: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Second => "second",
            Kind::Minute => "minute",
            Kind::Hour => "hour",
            Kind::DayOfMonth => "day-of-month",
            Kind::Month => "month",
            Kind::DayOfWeek => "day-of-week",
        }
    }

    /// The range of values a user may write (day-of-week accepts 7 for Sunday).
    fn range(self) -> (u32, u32) {
        match self {
            Kind::Second | Kind::Minute => (0, 59),
            Kind::Hour => (0, 23),
            Kind::DayOfMonth => (1, 31),
            Kind::Month => (1, 12),
            Kind::DayOfWeek => (0, 7),
        }
    }
}

/// The macros and the five fields each stands for.
const MACROS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// Parses `text` into fields and warnings.
pub(crate) fn parse(text: &str) -> Result<(Fields, Vec<CronWarning>), CronError> {
    parse_fields(text).map_err(|mut e| {
        // Every span stays inside the text (a missing value after a trailing `,` or `-`
        // points at that separator), so a caret can always be drawn under it.
        e.end = e.end.min(text.len());
        e.start = e.start.min(e.end);
        if e.start == e.end && e.start > 0 {
            e.start = text[..e.start]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
        }
        e
    })
}

fn parse_fields(text: &str) -> Result<(Fields, Vec<CronWarning>), CronError> {
    let tokens = split_fields(text);
    if let Some(&(start, first)) = tokens.first()
        && first.starts_with('@')
    {
        return parse_macro(text, &tokens, start, first);
    }
    let kinds: &[Kind] = match tokens.len() {
        5 => &[
            Kind::Minute,
            Kind::Hour,
            Kind::DayOfMonth,
            Kind::Month,
            Kind::DayOfWeek,
        ],
        6 => &[
            Kind::Second,
            Kind::Minute,
            Kind::Hour,
            Kind::DayOfMonth,
            Kind::Month,
            Kind::DayOfWeek,
        ],
        0 => {
            return Err(CronError {
                start: 0,
                end: text.len(),
                message: "the cron expression is empty".into(),
                hint: Some("write five fields, e.g. \"0 17 * * mon-fri\"".into()),
            });
        }
        n => {
            let hint = if n == 7 {
                "a seventh (year) field is not supported; remove it"
            } else {
                "e.g. \"*/5 * * * *\" runs every 5 minutes"
            };
            return Err(CronError {
                start: tokens.first().map_or(0, |t| t.0),
                end: tokens.last().map_or(text.len(), |t| t.0 + t.1.len()),
                message: format!(
                    "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with \
                     seconds, found {n}"
                ),
                hint: Some(hint.into()),
            });
        }
    };

    if let [.., (start, last)] = tokens[..]
        && kinds.len() == 6
        && looks_like_year(last)
    {
        // `0 0 1 1 * 2027`: the Quartz/AWS seven-field habit with the seconds left out.
        // Read as seconds-first, the year would be reported as a day of the week.
        return Err(error(
            start,
            last,
            format!("\"{last}\" looks like a year, and a year field is not supported"),
            Some(
                "six fields mean a leading seconds field (second minute hour day-of-month \
                 month day-of-week); remove the year, and use `start:` and `end:` to keep \
                 the runs inside a year, or `at:` for a single run"
                    .into(),
            ),
        ));
    }

    let mut bits = [0u64; 6];
    let mut days = DayFields::default();
    let mut warnings = Vec::new();
    let mut star = [false; 6];
    for (i, (&kind, &(offset, token))) in kinds.iter().zip(&tokens).enumerate() {
        star[i] = token.starts_with('*') || token.starts_with('?');
        bits[i] = parse_field(kind, token, offset, &mut days, &mut warnings)?;
    }

    let (seconds, rest) = if kinds.len() == 6 {
        (bits[0], &bits[1..])
    } else {
        (1, &bits[..])
    };
    let first_time = kinds.len() - 5; // index of the minute field
    days.dom = rest[2] as u32;
    days.dow = rest[4] as u32;
    days.dom_star = star[first_time + 2];
    days.dow_star = star[first_time + 4];
    let fixed_time = kinds.len() == 5 && !star[0] && !star[1];

    if !days.dom_star && !days.dow_star {
        let (dom_start, dom_text) = tokens[first_time + 2];
        let (dow_start, dow_text) = tokens[first_time + 4];
        warnings.push(CronWarning {
            start: dom_start,
            end: dow_start + dow_text.len(),
            message: format!(
                "both day-of-month ({dom_text}) and day-of-week ({dow_text}) are restricted, so \
                 a day matches when EITHER matches (cron's rule), not when both do"
            ),
            hint: Some(
                "to mean \"the first Monday of the month\" write `* * mon#1` for the day fields; \
                 to keep the either/or rule, nothing needs to change"
                    .into(),
            ),
        });
    }

    let fields = Fields::new(
        seconds,
        rest[0],
        rest[1] as u32,
        rest[3] as u32,
        days,
        kinds.len() == 6,
        fixed_time,
    );
    let (dom_start, dom_text) = tokens[first_time + 2];
    if let Some(w) = skipped_months_warning(&fields, dom_start, dom_text) {
        warnings.push(w);
    }
    Ok((fields, warnings))
}

/// `0 0 31 * *` never runs in April: a selected month with no matching day in any year is
/// almost always a surprise (an expression with no month at all is an error elsewhere).
fn skipped_months_warning(fields: &Fields, start: usize, dom_text: &str) -> Option<CronWarning> {
    let selected: Vec<u32> = (1..=12).filter(|m| fields.months & (1 << m) != 0).collect();
    let skipped: Vec<u32> = selected
        .iter()
        .copied()
        .filter(|&m| !fields.fires_in_month(m))
        .collect();
    if skipped.is_empty() || skipped.len() == selected.len() {
        return None;
    }
    let names: Vec<&str> = skipped
        .iter()
        .map(|&m| MONTH_FULL[(m - 1) as usize])
        .collect();
    let list = match names.as_slice() {
        [one] => capitalize(one),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter()
                .map(|n| capitalize(n))
                .collect::<Vec<_>>()
                .join(", "),
            capitalize(last)
        ),
        [] => return None,
    };
    Some(CronWarning {
        start,
        end: start + dom_text.len(),
        message: format!(
            "no day in {list} matches day-of-month `{dom_text}`, so the job skips {}",
            if skipped.len() == 1 {
                "that month"
            } else {
                "those months"
            }
        ),
        hint: Some("for the last day of every month, use `L`".into()),
    })
}

/// A day-of-week field that can only be a year: numbers (in a list or range) of four
/// digits, which no field allows.
fn looks_like_year(field: &str) -> bool {
    let mut numbers = field.split([',', '-', '/']);
    numbers.all(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()))
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

/// The fields of `text` with their byte offsets.
fn split_fields(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

fn parse_macro(
    text: &str,
    tokens: &[(usize, &str)],
    start: usize,
    word: &str,
) -> Result<(Fields, Vec<CronWarning>), CronError> {
    let lower = word.to_ascii_lowercase();
    let Some(&(_, expansion)) = MACROS.iter().find(|(name, _)| *name == lower) else {
        let known = MACROS.iter().map(|m| m.0).collect::<Vec<_>>().join(", ");
        let hint = if lower == "@reboot" {
            "a clock dyno has no boot of its own to hook; use `at:` for a single run".to_string()
        } else {
            match closest(&lower, MACROS.iter().map(|m| m.0)) {
                Some(name) => format!("did you mean \"{name}\"?"),
                None => format!("the macros are {known}"),
            }
        };
        return Err(CronError {
            start,
            end: start + word.len(),
            message: format!("unknown macro \"{word}\" (allowed: {known})"),
            hint: Some(hint),
        });
    };
    if let Some(&(extra, _)) = tokens.get(1) {
        return Err(CronError {
            start: extra,
            end: text.trim_end().len(),
            message: format!("{word} stands for a whole expression; nothing may follow it"),
            hint: Some(format!("write either \"{word}\" or \"{expansion}\"")),
        });
    }
    // The expansion is ours and always parses; its warnings would point into text the
    // user never wrote, and there are none anyway.
    parse_fields(expansion).map(|(fields, _)| (fields, Vec::new()))
}

/// One field: a comma list of items. Returns the plain value bits and records the day
/// extensions in `days`.
fn parse_field(
    kind: Kind,
    token: &str,
    offset: usize,
    days: &mut DayFields,
    warnings: &mut Vec<CronWarning>,
) -> Result<u64, CronError> {
    let mut bits = 0u64;
    let mut item_start = 0;
    for item in token.split(',') {
        let at = offset + item_start;
        item_start += item.len() + 1;
        bits |= parse_item(kind, item, at, days, warnings)?;
    }
    Ok(bits)
}

fn error(start: usize, text: &str, message: String, hint: Option<String>) -> CronError {
    CronError {
        start,
        end: start + text.len().max(1),
        message,
        hint,
    }
}

fn parse_item(
    kind: Kind,
    item: &str,
    at: usize,
    days: &mut DayFields,
    warnings: &mut Vec<CronWarning>,
) -> Result<u64, CronError> {
    let name = kind.name();
    if item.is_empty() {
        // Point at the separator before the missing part (`,`, `-`, `#`).
        let start = at.saturating_sub(1);
        return Err(CronError {
            start,
            end: start + 1,
            message: format!("empty entry in the {name} list"),
            hint: Some("remove the extra comma".into()),
        });
    }
    let upper = item.to_ascii_uppercase();
    if let Some(special) = parse_day_special(kind, item, &upper, at, days)? {
        return Ok(special);
    }

    let (range_text, step) = match item.find('/') {
        Some(slash) => {
            let step_text = &item[slash + 1..];
            let step_at = at + slash + 1;
            let step: u32 = match step_text.parse() {
                Ok(n) if n > 0 => n,
                Ok(_) => {
                    return Err(error(
                        step_at,
                        step_text,
                        format!("step 0 in {name} field: a step must be at least 1"),
                        None,
                    ));
                }
                Err(_) => {
                    return Err(error(
                        step_at,
                        step_text,
                        format!("step \"{step_text}\" is not a whole number"),
                        Some("a step looks like */5 or 10-50/5".into()),
                    ));
                }
            };
            (&item[..slash], Some(step))
        }
        None => (item, None),
    };

    let (min, max) = kind.range();
    // Day-of-week's 7 is Sunday again; `*` covers 0-6 only.
    let full_max = if kind == Kind::DayOfWeek { 6 } else { max };
    let (low, high, open_ended) = if range_text == "*" || range_text == "?" {
        (min, full_max, true)
    } else if let Some(dash) = range_text.find('-') {
        let low = parse_value(kind, &range_text[..dash], at, at + dash)?;
        let high = parse_value(kind, &range_text[dash + 1..], at + dash + 1, at + dash)?;
        if low > high {
            let (lo_t, hi_t) = (&range_text[..dash], &range_text[dash + 1..]);
            return Err(error(
                at,
                range_text,
                format!("{name} range {range_text} runs backwards"),
                Some(format!(
                    "ranges go from low to high; to wrap around, write two: \
                     \"{lo_t}-{full_max},{min}-{hi_t}\""
                )),
            ));
        }
        (low, high, false)
    } else {
        let value = parse_value(kind, range_text, at, at)?;
        match step {
            // `a/n` means `a-max/n`.
            Some(_) => (value, full_max, true),
            None => (value, value, false),
        }
    };

    let step = step.unwrap_or(1);
    let mut bits = 0u64;
    let mut v = low;
    while v <= high {
        let bit = if kind == Kind::DayOfWeek && v == 7 {
            0
        } else {
            v
        };
        bits |= 1 << bit;
        // A huge step (`*/4294967295`) just ends the range.
        let Some(next) = v.checked_add(step) else {
            break;
        };
        v = next;
    }
    if open_ended && step > 1 {
        if let Some(w) = uneven_step_warning(kind, item, at, bits) {
            warnings.push(w);
        }
    }
    Ok(bits)
}

/// `L`, `L-n`, `LW`, `nW` in day-of-month; `xL`, `x#k` in day-of-week. Returns `None` when
/// `item` is not one of these, `Some(0)` (no plain bits) after recording it in `days`.
fn parse_day_special(
    kind: Kind,
    item: &str,
    upper: &str,
    at: usize,
    days: &mut DayFields,
) -> Result<Option<u64>, CronError> {
    match kind {
        Kind::DayOfMonth => {
            if upper == "L" {
                days.dom_last |= 1;
            } else if upper == "LW" {
                days.dom_last_weekday = true;
            } else if let Some(n) = upper.strip_prefix("L-") {
                match n.parse::<u32>() {
                    Ok(n) if n <= 30 => days.dom_last |= 1 << n,
                    _ => {
                        return Err(error(
                            at,
                            item,
                            format!("\"{item}\": L-n needs n from 0 to 30 (days before the last)"),
                            None,
                        ));
                    }
                }
            } else if let Some(n) = upper.strip_suffix('W') {
                let day = parse_value(kind, &item[..n.len()], at, at)?;
                days.dom_nearest_weekday |= 1 << day;
            } else {
                return Ok(None);
            }
            Ok(Some(0))
        }
        Kind::DayOfWeek => {
            if upper == "L" {
                return Err(error(
                    at,
                    item,
                    "a lone L in day-of-week is ambiguous".into(),
                    Some("write 6 (or sat) for Saturday, or 5L for the last Friday".into()),
                ));
            }
            if let Some(hash) = item.find('#') {
                let weekday = parse_value(kind, &item[..hash], at, at + hash)? % 7;
                let k_text = &item[hash + 1..];
                match k_text.parse::<u32>() {
                    Ok(k @ 1..=5) => days.dow_nth[weekday as usize] |= 1 << k,
                    _ => {
                        return Err(error(
                            at + hash + 1,
                            k_text,
                            format!(
                                "\"#{k_text}\": the week number after # must be 1 to 5 \
                                 (a month has at most five of any weekday)"
                            ),
                            None,
                        ));
                    }
                }
                return Ok(Some(0));
            }
            if item.len() > 1 && upper.ends_with('L') && !item.contains(['-', '/', '*']) {
                let weekday = parse_value(kind, &item[..item.len() - 1], at, at)? % 7;
                days.dow_last |= 1 << weekday;
                return Ok(Some(0));
            }
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// A number or (for months and weekdays) a three-letter name, checked against the range.
/// `sep` is where to point when the value is missing: the separator beside it.
fn parse_value(kind: Kind, text: &str, at: usize, sep: usize) -> Result<u32, CronError> {
    let name = kind.name();
    let (min, max) = kind.range();
    if text.is_empty() {
        // Point at the separator (`-`, `#`, `/`) that should have a value beside it.
        return Err(CronError {
            start: sep,
            end: sep + 1,
            message: format!("missing {name} value"),
            hint: None,
        });
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u32>() {
            Ok(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(error(
                at,
                text,
                format!("{name} {text} is out of range {min}-{max}"),
                (kind == Kind::DayOfWeek).then(|| "0 and 7 are both Sunday".to_string()),
            )),
        };
    }
    let lower = text.to_ascii_lowercase();
    let (names, full, what): (&[&str], &[&str], &str) = match kind {
        Kind::Month => (&MONTH_NAMES, &MONTH_FULL, "month"),
        Kind::DayOfWeek => (&WEEKDAY_NAMES, &WEEKDAY_FULL, "weekday"),
        _ => {
            let hint = if text.eq_ignore_ascii_case("L") || text.eq_ignore_ascii_case("W") {
                "L and W belong in the day-of-month field (L, L-3, 15W, LW); L and # in \
                 day-of-week (5L, 5#3)"
                    .to_string()
            } else {
                format!("write a number from {min} to {max}")
            };
            return Err(error(
                at,
                text,
                format!("{name} \"{text}\" is not a number"),
                Some(hint),
            ));
        }
    };
    if let Some(i) = names.iter().position(|n| *n == lower) {
        // Months are numbered from 1, weekdays from 0 (Sunday).
        let base = if kind == Kind::Month { 1 } else { 0 };
        return Ok(i as u32 + base);
    }
    let hint = if let Some(i) = full.iter().position(|n| *n == lower) {
        Some(format!("use the three-letter name \"{}\"", names[i]))
    } else {
        closest(&lower, names.iter().copied()).map(|n| format!("did you mean \"{n}\"?"))
    };
    Err(error(
        at,
        text,
        format!("unknown {what} name \"{text}\""),
        hint.or_else(|| Some(format!("{what} names are {}", names.join(" ")))),
    ))
}

/// `*/45` in minutes runs at :00 and :45: the step restarts at every wrap of the larger
/// unit, so the gap across the wrap is shorter than the step.
fn uneven_step_warning(kind: Kind, item: &str, at: usize, bits: u64) -> Option<CronWarning> {
    let (unit, span, wrap, every_unit) = match kind {
        Kind::Second => ("second", 60, "minute", "s"),
        Kind::Minute => ("minute", 60, "hour", "m"),
        Kind::Hour => ("hour", 24, "day", "h"),
        _ => return None,
    };
    let step: u32 = item.rsplit('/').next()?.parse().ok()?;
    let values: Vec<u32> = (0..span).filter(|v| bits & (1 << v) != 0).collect();
    let first = *values.first()?;
    let last = *values.last()?;
    if span - last + first == step {
        return None;
    }
    let shown: Vec<String> = values
        .iter()
        .map(|v| match kind {
            Kind::Hour => format!("{v:02}:00"),
            _ => format!(":{v:02}"),
        })
        .collect();
    let list = match shown.len() {
        1 => shown[0].clone(),
        n if n <= 6 => format!("{} and {}", shown[..n - 1].join(", "), shown[n - 1]),
        n => format!("{}, {}, … {}", shown[0], shown[1], shown[n - 1]),
    };
    let gap = span - last + first;
    let of_every = match kind {
        Kind::Hour => "of every day".to_string(),
        _ => format!("of every {wrap}"),
    };
    Some(CronWarning {
        start: at,
        end: at + item.len(),
        message: format!(
            "`{item}` runs at {list} {of_every}, not every {step} {unit}s: the step starts \
             again each {wrap}, so the last gap is {gap} {unit}{}",
            if gap == 1 { "" } else { "s" }
        ),
        hint: Some(format!(
            "for a run every {step} {unit}s around the clock, use `every: {step}{every_unit}`"
        )),
    })
}

/// The candidate within edit distance 2 of `word`, if exactly one is closest.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(word, c);
        if d <= 2 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal-string-alignment distance: Levenshtein plus swapping two neighbours, the
/// commonest typo in a three-letter name ("jnu" is one step from "jun").
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}
