//! Time zones: IANA names to [`Tz`], and a close real name when the one written is not.
//!
//! Names are matched exactly, as the IANA database spells them, so a file means the
//! same thing everywhere; the suggestion is what makes that strictness friendly
//! (`america/new_york`, `New York` and `America/New_Yrok` all point at `America/New_York`).

use chrono_tz::{TZ_VARIANTS, Tz};

use super::names::{closest, edit_distance};

/// Parses an IANA zone name.
///
/// # Errors
/// `Err(suggestion)`: the closest real zone name, if any is close.
pub fn parse(name: &str) -> Result<Tz, Option<&'static str>> {
    name.parse::<Tz>().map_err(|_| suggest(name))
}

fn suggest(name: &str) -> Option<&'static str> {
    let wanted = name.trim().replace(' ', "_");
    // No zone name is longer than 32 characters; the comparisons below are quadratic.
    if wanted.is_empty() || wanted.len() > 64 {
        return None;
    }
    let names = TZ_VARIANTS.iter().map(|tz| tz.name());
    // The right name in the wrong case, then a city without its region
    // (`New_York`), then a typo.
    if let Some(exact) = names.clone().find(|n| n.eq_ignore_ascii_case(&wanted)) {
        return Some(exact);
    }
    let city = names
        .clone()
        .filter(|n| {
            n.rsplit('/')
                .next()
                .is_some_and(|c| c.eq_ignore_ascii_case(&wanted))
        })
        // Prefer the canonical region names over legacy aliases (`US/...`).
        .min_by_key(|n| (n.starts_with("US/") || !n.contains('/'), n.len()));
    if city.is_some() {
        return city;
    }
    closest(&wanted, names).or_else(|| {
        // A city typo: compare against the last segment only.
        TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|n| n.contains('/') && !n.starts_with("US/"))
            .map(|n| {
                let city = n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
                (edit_distance(&wanted.to_ascii_lowercase(), &city), n)
            })
            .filter(|(d, _)| *d <= (wanted.len() / 3).clamp(1, 3))
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_names_parse() {
        let table: &[(&str, Tz)] = &[
            ("UTC", Tz::UTC),
            ("America/New_York", Tz::America__New_York),
            ("Europe/Paris", Tz::Europe__Paris),
        ];
        for (from, expected) in table {
            assert_eq!(parse(from), Ok(*expected), "{from}");
        }
    }

    #[test]
    fn wrong_names_get_a_close_real_one() {
        let table: &[(&str, Option<&str>)] = &[
            ("america/new_york", Some("America/New_York")),
            ("New York", Some("America/New_York")),
            ("America/New_Yrok", Some("America/New_York")),
            ("Europe/Pairs", Some("Europe/Paris")),
            ("Berlin", Some("Europe/Berlin")),
            ("", None),
            ("Mars/Olympus_Mons", None),
        ];
        for (from, expected) in table {
            assert_eq!(parse(from), Err(*expected), "{from}");
        }
    }

    #[test]
    fn huge_names_get_no_suggestion() {
        assert_eq!(parse(&"x".repeat(100_000)), Err(None));
    }
}
