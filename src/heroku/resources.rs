//! The Platform API resources this crate reads and writes, as the published schema shapes
//! them (`formation`, `dyno`, and the body of a formation update).
//!
//! Only the fields `clockctl` uses are named, and the API's other fields are ignored, so a
//! field Heroku adds does not break a command. Of the named fields, the few a command cannot
//! do without are required (a formation's `type` and `quantity`; a dyno's `name`, `type` and
//! `state`): an answer without one is a bad response, never a guess. Every other named
//! field is optional, so a field Heroku drops or sends as `null` is just unknown.
//! The schema marks a formation's `size` as deprecated in favour of `dyno_size`, so
//! requests send `dyno_size: {"name": …}` and reads prefer `dyno_size.name`.

use serde::{Deserialize, Serialize};

/// A dyno size reference: `{"name": "standard-1X"}` or `{"id": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DynoSizeRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One process type of an app's formation (`#/definitions/formation`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Formation {
    #[serde(rename = "type")]
    pub process_type: String,
    pub quantity: i64,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub dyno_size: Option<DynoSizeRef>,
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl Formation {
    /// The size's name: `dyno_size.name`, else the deprecated `size`.
    pub fn size_name(&self) -> Option<&str> {
        self.dyno_size
            .as_ref()
            .and_then(|size| size.name.as_deref())
            .or(self.size.as_deref())
    }

    /// True when the formation already is what `update` asks for. Sizes compare without
    /// case: Heroku answers `Standard-1X` to a request for `standard-1x`.
    pub fn satisfies(&self, update: &FormationUpdate) -> bool {
        let size_ok = match update.dyno_size.as_ref().and_then(|s| s.name.as_deref()) {
            None => true,
            Some(wanted) => self
                .size_name()
                .is_some_and(|have| have.eq_ignore_ascii_case(wanted)),
        };
        self.quantity == update.quantity && size_ok
    }
}

/// One dyno (`#/definitions/dyno`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Dyno {
    pub name: String,
    #[serde(rename = "type")]
    pub process_type: String,
    /// `crashed`, `down`, `idle`, `starting` or `up`.
    pub state: String,
    #[serde(default)]
    pub size: Option<String>,
    /// The command it runs, as the request that created it gave it.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// The body of a formation update (the schema's `Update` link): `quantity`, and
/// `dyno_size` when a size is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormationUpdate {
    pub quantity: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dyno_size: Option<DynoSizeRef>,
}

impl FormationUpdate {
    pub fn new(quantity: i64, size: Option<&str>) -> FormationUpdate {
        FormationUpdate {
            quantity,
            dyno_size: size.map(|name| DynoSizeRef {
                id: None,
                name: Some(name.to_owned()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formation(quantity: i64, size: Option<&str>, dyno_size: Option<&str>) -> Formation {
        Formation {
            process_type: "clock".into(),
            quantity,
            size: size.map(Into::into),
            dyno_size: dyno_size.map(|name| DynoSizeRef {
                id: None,
                name: Some(name.into()),
            }),
            command: None,
            updated_at: None,
        }
    }

    #[test]
    fn satisfies_compares_quantity_and_size() {
        let table = [
            (
                formation(1, None, Some("Basic")),
                FormationUpdate::new(1, None),
                true,
            ),
            (
                formation(0, None, Some("Basic")),
                FormationUpdate::new(1, None),
                false,
            ),
            (
                formation(1, None, Some("Standard-1X")),
                FormationUpdate::new(1, Some("standard-1x")),
                true,
            ),
            (
                formation(1, None, Some("Basic")),
                FormationUpdate::new(1, Some("standard-1x")),
                false,
            ),
            (
                formation(1, Some("Standard-2X"), None),
                FormationUpdate::new(1, Some("standard-2x")),
                true,
            ),
            (
                formation(1, None, None),
                FormationUpdate::new(1, Some("basic")),
                false,
            ),
        ];
        for (from, update, expected) in table {
            assert_eq!(from.satisfies(&update), expected, "{from:?} vs {update:?}");
        }
    }

    #[test]
    fn update_bodies_follow_the_schema() {
        for (from, expected) in [
            (FormationUpdate::new(1, None), r#"{"quantity":1}"#),
            (
                FormationUpdate::new(0, Some("basic")),
                r#"{"quantity":0,"dyno_size":{"name":"basic"}}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&from).expect("serializes"), expected);
        }
    }

    #[test]
    fn only_the_fields_a_command_needs_are_required() {
        let bare_formation = r#"{"type": "clock", "quantity": 1, "size": null, "extra": [1]}"#;
        let formation: Formation = serde_json::from_str(bare_formation).expect("reads");
        assert_eq!((formation.quantity, formation.size_name()), (1, None));
        let bare_dyno =
            r#"{"name": "clock.1", "type": "clock", "state": "up", "created_at": null}"#;
        let dyno: Dyno = serde_json::from_str(bare_dyno).expect("reads");
        assert_eq!(
            (dyno.size, dyno.created_at, dyno.updated_at),
            (None, None, None)
        );
        for missing in [r#"{"type": "clock"}"#, r#"{"quantity": 1}"#] {
            assert!(
                serde_json::from_str::<Formation>(missing).is_err(),
                "{missing}"
            );
        }
        for missing in [
            r#"{"type": "clock", "state": "up"}"#,
            r#"{"name": "clock.1", "state": "up"}"#,
            r#"{"name": "clock.1", "type": "clock"}"#,
        ] {
            assert!(serde_json::from_str::<Dyno>(missing).is_err(), "{missing}");
        }
    }
}
