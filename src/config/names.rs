//! Names: job names, environment variable names, and "did you mean" suggestions.
//!
//! Job names are `[a-z0-9][a-z0-9_-]{0,62}` because they show up in log lines, process
//! titles and (later) lock keys, where spaces and capitals cause trouble. Environment
//! names follow POSIX shells (`[A-Za-z_][A-Za-z0-9_]*`), since bash runs every command.

/// The longest job name.
pub(super) const MAX_JOB_NAME: usize = 63;

/// Why a job name is not allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NameError {
    Empty,
    TooLong {
        len: usize,
    },
    /// A character that is not allowed at byte offset `at`.
    BadChar {
        found: char,
        at: usize,
    },
}

/// Checks a job name.
///
/// # Errors
/// The first rule the name breaks.
pub(super) fn check_job_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    for (at, found) in name.char_indices() {
        let allowed = found.is_ascii_lowercase()
            || found.is_ascii_digit()
            || (at > 0 && (found == '-' || found == '_'));
        if !allowed {
            return Err(NameError::BadChar { found, at });
        }
    }
    if name.len() > MAX_JOB_NAME {
        return Err(NameError::TooLong { len: name.len() });
    }
    Ok(())
}

/// A valid job name close to `name` (lower case, other characters as `-`), if there is one.
pub(super) fn suggest_job_name(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if c == '_' || c == '-' || c.is_whitespace() || c == '.' || c == ':' {
            if !out.is_empty() && !out.ends_with('-') {
                out.push(if c == '_' { '_' } else { '-' });
            }
        } else {
            return None;
        }
    }
    let out = out.trim_end_matches(['-', '_']).to_owned();
    (check_job_name(&out).is_ok() && out != name).then_some(out)
}

/// Whether `name` can be an environment variable for bash.
pub(super) fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The candidate closest to `found` by edit distance, when it is close enough to be a
/// plausible typo (at most a third of the word, and at most 3 edits).
///
/// Words longer than 64 characters get no suggestion: no real key or name is that long,
/// and the distance is quadratic.
pub fn closest<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if found.len() > 64 {
        return None;
    }
    let found = found.to_ascii_lowercase();
    let limit = (found.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| {
            (
                edit_distance(&found, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters, with transpositions counted as one edit
/// (`comamnd` is one slip away from `command`).
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the optimal-string-alignment table.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names() {
        let long = "a".repeat(64);
        let table: &[(&str, Result<(), NameError>)] = &[
            ("send-digest", Ok(())),
            ("a", Ok(())),
            ("0", Ok(())),
            ("sync_2", Ok(())),
            (&long[..63], Ok(())),
            (&long, Err(NameError::TooLong { len: 64 })),
            ("", Err(NameError::Empty)),
            ("Send", Err(NameError::BadChar { found: 'S', at: 0 })),
            ("-x", Err(NameError::BadChar { found: '-', at: 0 })),
            ("_x", Err(NameError::BadChar { found: '_', at: 0 })),
            ("send digest", Err(NameError::BadChar { found: ' ', at: 4 })),
            ("café", Err(NameError::BadChar { found: 'é', at: 3 })),
        ];
        for (from, expected) in table {
            assert_eq!(&check_job_name(from), expected, "{from:?}");
        }
    }

    #[test]
    fn job_name_suggestions() {
        let table: &[(&str, Option<&str>)] = &[
            ("Send Digest", Some("send-digest")),
            ("nightly.backup", Some("nightly-backup")),
            ("_x", Some("x")),
            ("ok", None),
            ("café", None),
            ("!!", None),
        ];
        for (from, expected) in table {
            assert_eq!(suggest_job_name(from).as_deref(), *expected, "{from:?}");
        }
    }

    #[test]
    fn env_names() {
        let table: &[(&str, bool)] = &[
            ("PATH", true),
            ("_x1", true),
            ("a", true),
            ("1A", false),
            ("A-B", false),
            ("", false),
            ("É", false),
        ];
        for (from, expected) in table {
            assert_eq!(is_env_name(from), *expected, "{from:?}");
        }
    }

    #[test]
    fn closest_finds_plausible_typos_only() {
        let keys = ["command", "cron", "every", "at", "timeout", "timezone"];
        let table: &[(&str, Option<&str>)] = &[
            ("comand", Some("command")),
            ("comamnd", Some("command")),
            ("Command", Some("command")),
            ("crn", Some("cron")),
            ("timout", Some("timeout")),
            ("time_zone", Some("timezone")),
            ("schedule", None),
            ("x", None),
        ];
        assert_eq!(closest(&"command".repeat(10_000), keys), None);
        for (from, expected) in table {
            assert_eq!(closest(from, keys), *expected, "{from:?}");
        }
    }

    #[test]
    fn edit_distances() {
        let table: &[(&str, &str, usize)] = &[
            ("", "", 0),
            ("abc", "", 3),
            ("kitten", "sitting", 3),
            ("ab", "ba", 1),
            ("command", "comand", 1),
        ];
        for (a, b, expected) in table {
            assert_eq!(edit_distance(a, b), *expected, "{a:?} {b:?}");
        }
    }
}
