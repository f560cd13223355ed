//! The alerting keys: `notify:` (named channels), `heartbeat:`, and each job's `alert:`
//! and `monitor:` (`alert:` may also be set in `defaults:`).
//!
//! Values that carry credentials are templates (`${NAME}`, see [`super::template`]). A
//! literal one is checked as the clock reads it ([`crate::credential`]), is a warning
//! when it looks like it holds a token (clock.yml is committed), and is hidden from every
//! line a diagnostic echoes ([`super::mask`]). Channel names an `alert.to` lists must
//! exist under `notify:`. Each value is checked whatever else is wrong around it, so one
//! run shows every problem. What these settings *do* belongs to [`crate::notify`].

use std::collections::BTreeMap;
use std::time::Duration;

use super::checker::{Checker, Repeated};
use super::fields::{AlertFields, At, list, value_span};
use super::mask::CREDENTIAL_KEYS;
use super::model::{
    Alert, AlertOn, Channel, ChannelTarget, DEFAULT_ALERT_AFTER, Heartbeat, Monitor, Template,
    TemplatePart,
};
use super::names::{check_job_name, closest};
use super::source::Span;
use super::template::{self, TemplateProblem};
use super::yaml::{Node, Value};
use crate::credential::Kind;

/// The keys of one channel: exactly one of `slack` and `webhook`, and `secret` with a webhook.
const CHANNEL_KEYS: [&str; 3] = ["slack", "webhook", "secret"];
/// The services a `monitor:` or `heartbeat:` names, exactly one.
pub(super) const MONITOR_KEYS: [&str; 4] = ["healthchecks", "cronitor", "snitch", "sentry"];
const ALERT_KEYS: [&str; 5] = ["to", "on", "after", "recovery", "repeat"];
const SENTRY_KEYS: [&str; 2] = ["dsn", "slug"];
/// The longest alert threshold: a streak that long is not an alert any more.
const MAX_AFTER: i128 = 1000;
/// The keys of the alerting blocks whose values are no credential, and are shown.
const NOT_CREDENTIALS: [&str; 2] = ["every", "slug"];
/// The shortest heartbeat: services rate-limit faster pings (healthchecks drops more than
/// 5 a minute).
const MIN_HEARTBEAT: Duration = Duration::from_secs(30);

impl<'a> Checker<'a> {
    /// `notify:`: a map of channel names to channels. [`Checker::channels`] gets every
    /// name written there, its channel valid or not, so that each `alert.to` is checked
    /// against them whatever else is wrong in the block.
    pub(super) fn notify_block(&mut self, value: &Node) -> Option<Vec<Channel>> {
        let Value::Map(entries) = &value.value else {
            self.hide_credentials(value, "");
            self.wrong_type("notify", "a map of channel names to channels", value);
            self.channels = None;
            return None;
        };
        let mut channels = Vec::new();
        let mut names = Vec::new();
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        let mut valid = true;
        for (key, channel) in entries {
            self.hide_credentials(channel, "");
            let Some(name) = self.key_text(key) else {
                valid = false;
                continue;
            };
            if self.is_repeat(&mut seen, name, &key.span, Repeated::Channel) {
                valid = false;
                continue;
            }
            names.push(name.to_owned());
            if check_job_name(name).is_err() {
                self.error(
                    &key.span,
                    format!("invalid channel name \"{}\"", name.escape_debug()),
                    Some("channel names use a-z, 0-9, - and _, as job names do".into()),
                );
                valid = false;
                continue;
            }
            match self.channel(name, key, channel) {
                Some(target) => channels.push(Channel {
                    name: name.to_owned(),
                    target,
                }),
                None => valid = false,
            }
        }
        self.channels = Some(names);
        valid.then_some(channels)
    }

    fn channel(&mut self, name: &str, key: &Node, value: &Node) -> Option<ChannelTarget> {
        let what = format!("channel \"{name}\"");
        let entries = self.map_of(&what, "a map with `slack:` or `webhook:`", value)?;
        let (keys, keys_ok) = self.known_keys(&entries, &CHANNEL_KEYS, &format!(" in {what}"));
        // Each key that is there is checked, whatever the others hold: `None` when absent,
        // `Some(None)` when invalid (reported).
        let field = |checker: &mut Self, key: &str, kind: Kind| {
            keys.get(key).map(|node| checker.template(key, node, kind))
        };
        let slack = field(self, "slack", Kind::Url);
        let webhook = field(self, "webhook", Kind::Url);
        let secret = field(self, "secret", Kind::SigningKey);
        let target = match (slack, webhook) {
            (Some(url), None) => {
                if let Some(node) = keys.get("secret") {
                    self.error(
                        &node.span,
                        format!("{what}: `secret` signs webhooks; Slack takes none"),
                        Some("remove `secret:`, or use `webhook:`".into()),
                    );
                    return None;
                }
                url.map(|url| ChannelTarget::Slack { url })
            }
            (None, Some(url)) => match (url, secret) {
                (Some(url), None) => Some(ChannelTarget::Webhook { url, secret: None }),
                (Some(url), Some(Some(secret))) => Some(ChannelTarget::Webhook {
                    url,
                    secret: Some(secret),
                }),
                _ => None,
            },
            (Some(_), Some(_)) => {
                self.error(
                    &key.span,
                    format!("{what} has both `slack:` and `webhook:`"),
                    Some("a channel sends to one place; make two channels".into()),
                );
                None
            }
            // A misspelt key was reported already, with its correction.
            (None, None) if !keys_ok => None,
            (None, None) => {
                self.error(
                    &key.span,
                    format!("{what} has no `slack:` or `webhook:`"),
                    Some("add `slack: ${SLACK_WEBHOOK_URL}` or `webhook: ${ALERT_URL}`".into()),
                );
                None
            }
        };
        target.filter(|_| keys_ok)
    }

    /// `heartbeat:`: `every` and one service.
    pub(super) fn heartbeat_block(&mut self, key: &Node, value: &Node) -> Option<Heartbeat> {
        self.hide_credentials(value, "");
        let entries = self.map_of("heartbeat", "a map with `every:` and a service", value)?;
        let mut allowed = vec!["every"];
        allowed.extend(MONITOR_KEYS);
        let (keys, keys_ok) = self.known_keys(&entries, &allowed, " in heartbeat");
        let every = match keys.get("every") {
            Some(node) => self.duration_value("every", node, false).and_then(|every| {
                if every.value >= MIN_HEARTBEAT {
                    return Some(every.value);
                }
                self.error(
                    &every.span,
                    format!(
                        "heartbeat every must be at least {}",
                        super::duration::format(MIN_HEARTBEAT)
                    ),
                    Some("monitoring services drop pings that come faster".into()),
                );
                None
            }),
            None => {
                self.error(
                    &key.span,
                    "heartbeat has no `every:`",
                    Some("add `every: 5m`, and set the service's period to match".into()),
                );
                None
            }
        };
        let monitor = self.monitor_of(Watched::Clock, key, &keys, keys_ok);
        let heartbeat = Heartbeat {
            every: every?,
            monitor: monitor?,
        };
        keys_ok.then_some(heartbeat)
    }

    /// A job's `monitor:`: one service.
    pub(super) fn monitor(&mut self, job: &str, key: &Node, value: &Node) -> Option<Monitor> {
        self.hide_credentials(value, "");
        let entries = self.map_of("monitor", "a map with one service", value)?;
        let (keys, keys_ok) = self.known_keys(&entries, &MONITOR_KEYS, " in monitor");
        let monitor = self.monitor_of(Watched::Job(job), key, &keys, keys_ok)?;
        keys_ok.then_some(monitor)
    }

    /// The one service of a `monitor:` or `heartbeat:`. Each service named is checked,
    /// also when there are too many.
    fn monitor_of(
        &mut self,
        watched: Watched<'_>,
        key: &Node,
        keys: &BTreeMap<&str, &Node>,
        keys_ok: bool,
    ) -> Option<Monitor> {
        let (what, default_slug) = match watched {
            Watched::Clock => ("heartbeat", "clock"),
            Watched::Job(job) => ("monitor", job),
        };
        let named: Vec<&str> = MONITOR_KEYS
            .into_iter()
            .filter(|k| keys.contains_key(k))
            .collect();
        let mut monitors: Vec<Option<Monitor>> = Vec::new();
        for service in &named {
            let node = keys[service];
            monitors.push(match *service {
                "healthchecks" => self
                    .template(service, node, Kind::Url)
                    .map(Monitor::Healthchecks),
                "cronitor" => self
                    .template(service, node, Kind::Url)
                    .map(Monitor::Cronitor),
                "snitch" => self.template(service, node, Kind::Url).map(Monitor::Snitch),
                _ => self.sentry(node, default_slug),
            });
        }
        match named.as_slice() {
            [_] => monitors.pop().flatten(),
            // A misspelt service was reported already, with its correction.
            [] if !keys_ok => None,
            [] => {
                self.error(
                    &key.span,
                    format!("{what} names no service"),
                    Some(format!("add one of {}", list(&MONITOR_KEYS))),
                );
                None
            }
            [first, second, ..] => {
                let hint = match watched {
                    Watched::Clock => "the heartbeat pings one service; keep one of them",
                    Watched::Job(_) => "one service per job; pick one",
                };
                self.error(
                    &key.span,
                    format!("{what} names more than one service: \"{first}\" and \"{second}\""),
                    Some(hint.into()),
                );
                None
            }
        }
    }

    fn sentry(&mut self, value: &Node, default_slug: &str) -> Option<Monitor> {
        let entries = self.map_of("sentry", "a map with `dsn:` and `slug:`", value)?;
        let (keys, keys_ok) = self.known_keys(&entries, &SENTRY_KEYS, " in sentry");
        let dsn = match keys.get("dsn") {
            Some(dsn) => self.template("dsn", dsn, Kind::Dsn),
            None if !keys_ok => None,
            None => {
                self.error(
                    &value_span(value),
                    "sentry has no `dsn:`",
                    Some("add `dsn: ${SENTRY_DSN}`".into()),
                );
                None
            }
        };
        let slug = match keys.get("slug") {
            Some(node) => self.text("slug", node).and_then(|slug| {
                let valid = !slug.is_empty()
                    && slug.len() <= 50
                    && slug.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    });
                if valid {
                    return Some(slug);
                }
                self.error(
                    &node.span,
                    format!(
                        "sentry slug \"{}\" is not a monitor slug",
                        slug.escape_debug()
                    ),
                    Some("slugs use a-z, 0-9, - and _, at most 50 characters".into()),
                );
                None
            }),
            None => Some(default_slug.chars().take(50).collect()),
        };
        let monitor = Monitor::Sentry {
            dsn: dsn?,
            slug: slug?,
        };
        keys_ok.then_some(monitor)
    }

    /// An `alert:` map (in a job or in `defaults:`); `None` when it is not a map. Its
    /// valid keys are kept when others are not (see [`AlertFields::valid`]).
    pub(super) fn alert_fields(&mut self, key: &Node, value: &Node) -> Option<AlertFields> {
        let entries = self.map_of("alert", "a map with `to:` and `on:`", value)?;
        let (keys, keys_ok) = self.known_keys(&entries, &ALERT_KEYS, " in alert");
        let mut fields = AlertFields {
            span: key.span.clone(),
            ..AlertFields::default()
        };
        let mut valid = keys_ok;
        if let Some(node) = keys.get("to") {
            let (names, names_ok) = self.names_list("to", node);
            valid &= names_ok;
            if names_ok && names.is_empty() {
                // A job's `to:` replaces the default's, so an empty one would silence it.
                self.error(
                    &value_span(node),
                    "alert: `to:` names no channel",
                    Some(
                        "name a channel under `notify:`, as in `to: [ops]`, or drop `alert:` \
                         to send no alerts"
                            .into(),
                    ),
                );
                valid = false;
            }
            fields.to = Some(names);
        }
        if let Some(node) = keys.get("on") {
            fields.on = self.alert_on(node);
            valid &= fields.on.is_some();
        }
        if let Some(node) = keys.get("after") {
            fields.after = match node.value {
                Value::Int(n) if (1..=MAX_AFTER).contains(&n) => u32::try_from(n).ok(),
                Value::Int(n) => {
                    self.error(
                        &node.span,
                        format!("after must be 1 to {MAX_AFTER}, not {n}"),
                        Some("1 alerts on the first failed run".into()),
                    );
                    None
                }
                _ => {
                    self.wrong_type("after", "a whole number of failed runs", node);
                    None
                }
            };
            valid &= fields.after.is_some();
        }
        if let Some(node) = keys.get("recovery") {
            fields.recovery = match node.value {
                Value::Bool(b) => Some(b),
                _ => {
                    self.wrong_type("recovery", "true or false", node);
                    None
                }
            };
            valid &= fields.recovery.is_some();
        }
        if let Some(node) = keys.get("repeat") {
            let repeat = match &node.value {
                Value::Str(text) if text == "never" => Some(None),
                _ => self
                    .duration_value("repeat", node, false)
                    .map(|d| Some(d.value)),
            };
            fields.repeat = repeat;
            valid &= fields.repeat.is_some();
        }
        fields.valid = valid;
        Some(fields)
    }

    /// The job's alert policy from its merged fields; `channels` are the names under
    /// `notify:` (`None` when that block was invalid, so names are not checked twice).
    pub(super) fn alert(
        &mut self,
        job: &str,
        fields: &AlertFields,
        channels: Option<&[String]>,
    ) -> Option<Alert> {
        let Some(to) = &fields.to else {
            self.error(
                &fields.span,
                format!("alert in job \"{job}\" has no `to:`"),
                Some("add `to: [ops]`, naming channels under `notify:`".into()),
            );
            return None;
        };
        let mut valid = true;
        if let Some(channels) = channels {
            for name in to {
                if !channels.contains(&name.value) {
                    let hint = match closest(&name.value, channels.iter().map(String::as_str)) {
                        Some(near) => format!("did you mean \"{near}\"?"),
                        None if channels.is_empty() => {
                            "add the channel under `notify:` at the top of the file".to_owned()
                        }
                        None => format!(
                            "the channels under `notify:` are {}",
                            list(&channels.iter().map(String::as_str).collect::<Vec<_>>())
                        ),
                    };
                    self.error(
                        &name.span,
                        format!(
                            "alert: no channel \"{}\" under `notify:`",
                            name.value.escape_debug()
                        ),
                        Some(hint),
                    );
                    valid = false;
                }
            }
        }
        (valid && fields.valid).then(|| Alert {
            to: to.iter().map(|name| name.value.clone()).collect(),
            on: fields
                .on
                .clone()
                .unwrap_or_else(|| AlertOn::DEFAULT.to_vec()),
            after: fields.after.unwrap_or(DEFAULT_ALERT_AFTER),
            recovery: fields.recovery.unwrap_or(true),
            repeat: fields.repeat.unwrap_or(None),
        })
    }

    /// The names of a `to:` list that are text, and whether all were.
    fn names_list(&mut self, key: &str, value: &Node) -> (Vec<At<String>>, bool) {
        let items: Vec<&Node> = match &value.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![value],
            _ => {
                self.wrong_type(key, "a list of channel names", value);
                return (Vec::new(), false);
            }
        };
        let mut names = Vec::new();
        let mut valid = true;
        for item in items {
            match self.text(key, item) {
                Some(value) => names.push(At {
                    value,
                    span: item.span.clone(),
                }),
                None => valid = false,
            }
        }
        (names, valid)
    }

    fn alert_on(&mut self, value: &Node) -> Option<Vec<AlertOn>> {
        let items: Vec<&Node> = match &value.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![value],
            _ => {
                self.wrong_type("on", "a list of outcomes", value);
                return None;
            }
        };
        let names: Vec<&str> = AlertOn::ALL.iter().map(|on| on.as_str()).collect();
        let mut on = Vec::new();
        let mut valid = true;
        for item in items {
            let Some(text) = self.text("on", item) else {
                valid = false;
                continue;
            };
            match AlertOn::ALL.into_iter().find(|o| o.as_str() == text) {
                Some(found) if !on.contains(&found) => on.push(found),
                Some(_) => {}
                None => {
                    let hint = match closest(&text, names.iter().copied()) {
                        Some(near) => format!("did you mean \"{near}\"?"),
                        None => format!("on lists {}", list(&names)),
                    };
                    self.error(
                        &item.span,
                        format!("on: unknown outcome \"{}\"", text.escape_debug()),
                        Some(hint),
                    );
                    valid = false;
                }
            }
        }
        valid.then_some(on)
    }

    /// A credential value: text that may hold `${NAME}` references (or be `$NAME`). A
    /// literal (no reference) is checked as the clock will read it, and one that looks
    /// like a credential is a warning too: clock.yml is committed, config vars are not.
    fn template(&mut self, key: &str, value: &Node, kind: Kind) -> Option<Template> {
        let text = self.text(key, value)?;
        if text.trim().is_empty() {
            self.error(&value_span(value), format!("{key} is empty"), None);
            return None;
        }
        let parts = match template::parse(&text) {
            Ok(parts) => parts,
            Err(error) => {
                let span = match self.verbatim_offset(value, &text) {
                    Some(start) => start + error.start..start + error.end,
                    None => value.span.clone(),
                };
                let (message, hint) = match &error.problem {
                    TemplateProblem::Unclosed => ("`${` is not closed with `}`".to_owned(), None),
                    // Quoted only while it could be a name: it may be a pasted URL.
                    TemplateProblem::NotAName(name)
                        if name.len() <= 64 && !name.contains(['/', ':', '@', '?', '=']) =>
                    {
                        (
                            format!("\"{}\" is not a variable name", name.escape_debug()),
                            None,
                        )
                    }
                    TemplateProblem::NotAName(_) => {
                        ("`${...}` holds no variable name".to_owned(), None)
                    }
                    TemplateProblem::Unbraced(name) => (
                        format!("`${name}` inside a longer value is not read as a variable"),
                        Some(format!("write ${{{name}}}")),
                    ),
                };
                let hint = hint
                    .unwrap_or_else(|| "write a variable as ${NAME}: letters, digits and _".into());
                self.error(&span, format!("{key}: {message}"), Some(hint));
                return None;
            }
        };
        let literal = parts.iter().all(|p| matches!(p, TemplatePart::Literal(_)));
        let mut valid = true;
        if literal {
            let name = suggested_variable(key);
            if let Err(problem) = kind.check(&text) {
                let hint = match kind {
                    Kind::Url => "write the whole URL the service gave you, starting with https://",
                    Kind::Dsn => {
                        "copy the DSN from the Sentry project's Client Keys: https://KEY@HOST/PROJECT"
                    }
                    Kind::SigningKey => {
                        "a Standard Webhooks secret is whsec_ and base64 (24 to 64 bytes)"
                    }
                };
                self.error(&value.span, format!("{key}: {problem}"), Some(hint.into()));
                valid = false;
            }
            if key == "secret" || template::looks_secret(&text) {
                self.warning(
                    &value.span,
                    format!("{key}: this value looks like a credential, written into clock.yml"),
                    Some(format!(
                        "keep it in a config var: `heroku config:set {name}=...`, then write `{key}: ${{{name}}}`"
                    )),
                );
            }
        }
        let position = self.position(&value.span);
        valid.then_some(Template {
            parts,
            kind,
            line: position.line,
            column: position.column,
            len: position.len,
        })
    }

    /// Hides every credential in `node` (the value of `key`) from the lines diagnostics
    /// echo: each text inside it but `every:` and `slug:`, whatever its key, since a
    /// misspelt or misplaced key still holds the credential. A `secret` is hidden whole.
    fn hide_credentials(&mut self, node: &Node, key: &str) {
        match &node.value {
            Value::Seq(items) => {
                for item in items {
                    self.hide_credentials(item, key);
                }
            }
            Value::Map(entries) => {
                for (entry_key, value) in entries {
                    let name = entry_key.scalar_text().unwrap_or_default();
                    // A misspelt `slug:` (`slg:`) is shown like `slug:`; any other key,
                    // known or not, may hold a credential.
                    let shown = NOT_CREDENTIALS.contains(&name.as_ref())
                        || (!CREDENTIAL_KEYS.contains(&name.as_ref())
                            && closest(&name, CREDENTIAL_KEYS.into_iter().chain(NOT_CREDENTIALS))
                                .is_some_and(|near| NOT_CREDENTIALS.contains(&near)));
                    if !shown {
                        self.hide_credential(value, &name);
                    }
                }
            }
            _ => self.hide_credential(node, key),
        }
    }

    /// Hides the credential `node` holds (the value of `key`; see [`super::mask`]).
    pub(super) fn hide_credential(&mut self, node: &Node, key: &str) {
        if matches!(node.value, Value::Seq(_) | Value::Map(_)) {
            return self.hide_credentials(node, key);
        }
        let Some(text) = node.scalar_text() else {
            return;
        };
        let whole = key == "secret";
        match self.verbatim_offset(node, &text) {
            Some(offset) => self.masks.hide_value(offset, &text, whole),
            // An alias: the text is where its anchor defines it, earlier in the file.
            None if self
                .source
                .get(node.span.clone())
                .is_some_and(|raw| raw.starts_with('*')) =>
            {
                self.hide_anchored(node.span.start, &text, whole);
            }
            // Escapes or folded lines: the written text differs, so hide all of it.
            None => self.masks.hide(node.span.clone()),
        }
    }

    /// Hides `text` where it is written before byte `before` (an alias's anchor). Each
    /// distinct text is looked for once, and only so many: a hostile file can hold
    /// thousands of aliases, each search reads the file, and a real one has a few.
    fn hide_anchored(&mut self, before: usize, text: &str, whole: bool) {
        const MAX_SEARCHES: usize = 64;
        if text.len() < 8 || self.anchors_searched.len() >= MAX_SEARCHES {
            return;
        }
        if !self.anchors_searched.insert(text.to_owned()) {
            return;
        }
        let earlier = &self.source[..before.min(self.source.len())];
        let found: Vec<usize> = earlier.match_indices(text).map(|(at, _)| at).collect();
        for at in found {
            self.masks.hide_value(at, text, whole);
        }
    }

    fn map_of<'n>(
        &mut self,
        what: &str,
        expected: &str,
        value: &'n Node<'n>,
    ) -> Option<Vec<(&'n Node<'n>, &'n Node<'n>)>> {
        match &value.value {
            Value::Map(entries) => Some(entries.iter().map(|(k, v)| (k, v)).collect()),
            _ => {
                self.wrong_type(what, expected, value);
                None
            }
        }
    }

    /// The entries by key, each key once and known, and whether the map had no unknown or
    /// repeated key (each reported). The known ones are returned either way, so that
    /// each is still checked.
    fn known_keys<'n>(
        &mut self,
        entries: &[(&'n Node<'n>, &'n Node<'n>)],
        allowed: &[&str],
        what: &str,
    ) -> (BTreeMap<&'n str, &'n Node<'n>>, bool)
    where
        'a: 'n,
    {
        let mut keys: BTreeMap<&str, &Node> = BTreeMap::new();
        let mut spans: BTreeMap<&str, Span> = BTreeMap::new();
        let mut valid = true;
        for (key, value) in entries {
            let Some(name) = self.key_text(key) else {
                valid = false;
                continue;
            };
            if self.is_repeat(&mut spans, name, &key.span, Repeated::Key) {
                valid = false;
                continue;
            }
            if !allowed.contains(&name) {
                let hint = match closest(name, allowed.iter().copied()) {
                    Some(near) => format!("did you mean \"{near}\"?"),
                    None => format!("the keys here are {}", list(allowed)),
                };
                self.error(
                    &key.span,
                    format!("unknown key \"{}\"{what}", name.escape_debug()),
                    Some(hint),
                );
                valid = false;
                continue;
            }
            keys.insert(name, value);
        }
        (keys, valid)
    }
}

/// What a `monitor:` or `heartbeat:` watches, for its words and its default Sentry slug.
#[derive(Debug, Clone, Copy)]
enum Watched<'a> {
    Clock,
    Job(&'a str),
}

/// The config var a hint proposes for a credential written under `key`.
fn suggested_variable(key: &str) -> String {
    match key {
        "secret" => "ALERT_SECRET".to_owned(),
        "dsn" => "SENTRY_DSN".to_owned(),
        _ => format!("{}_URL", key.to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::super::{Severity, parse};
    use super::*;

    const JOB: &str = "jobs:\n  backup:\n    cron: \"0 3 * * *\"\n    command: bin/backup\n";

    /// `(severity, line, column, message)` of one diagnostic.
    type Finding = (Severity, u32, u32, String);

    fn findings(source: &str) -> Vec<Finding> {
        parse(source, Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap())
            .diagnostics
            .into_iter()
            .map(|d| (d.severity, d.line, d.column, d.message))
            .collect()
    }

    fn error(line: u32, column: u32, message: &str) -> Finding {
        (Severity::Error, line, column, message.to_owned())
    }

    #[test]
    fn the_issue_example_builds_the_model() {
        let source = "notify:\n  ops:\n    slack: ${SLACK_WEBHOOK_URL}\n  pager:\n    webhook: ${ALERT_URL}\n    secret: ${ALERT_SECRET}\nheartbeat:\n  every: 5m\n  healthchecks: ${HC_CLOCK_URL}\ndefaults:\n  alert:\n    to: [ops]\n    on: [failed, timed_out, lost, missed]\n    after: 2\n    recovery: true\n    repeat: 6h\njobs:\n  nightly-backup:\n    cron: \"0 3 * * *\"\n    command: bin/backup\n    retries: 2\n    alert:\n      to: [pager]\n    monitor:\n      healthchecks: ${HC_BACKUP_URL}\n  report:\n    every: 1h\n    command: bin/report\n    monitor:\n      sentry: { dsn: \"${SENTRY_DSN}\" }\n";
        let parsed = parse(source, Utc::now());
        assert_eq!(parsed.diagnostics, vec![]);
        let config = parsed.config.expect("valid");
        assert_eq!(config.notify.len(), 2);
        assert!(matches!(
            config.notify[1].target,
            ChannelTarget::Webhook {
                secret: Some(_),
                ..
            }
        ));
        let heartbeat = config.heartbeat.as_ref().expect("heartbeat");
        assert_eq!(heartbeat.every, Duration::from_secs(300));
        assert_eq!(heartbeat.monitor.url().vars(), vec!["HC_CLOCK_URL"]);
        let backup = config.job("nightly-backup").expect("job");
        let alert = backup.alert.as_ref().expect("alert");
        // The job's own `to` wins; the rest comes from defaults.
        assert_eq!(alert.to, vec!["pager".to_owned()]);
        assert_eq!((alert.after, alert.recovery), (2, true));
        assert_eq!(alert.repeat, Some(Duration::from_secs(6 * 3600)));
        assert_eq!(alert.on, AlertOn::DEFAULT.to_vec());
        assert_eq!(
            backup.monitor.as_ref().map(Monitor::kind),
            Some("healthchecks")
        );
        let report = config.job("report").expect("job");
        assert_eq!(
            report.alert.as_ref().map(|a| a.to.clone()),
            Some(vec!["ops".to_owned()])
        );
        assert!(matches!(&report.monitor, Some(Monitor::Sentry { slug, .. }) if slug == "report"));
        let owners: Vec<String> = config.templates().into_iter().map(|(o, _)| o).collect();
        assert_eq!(
            owners,
            [
                "notify.ops",
                "notify.pager",
                "notify.pager",
                "heartbeat",
                "jobs.nightly-backup.monitor",
                "jobs.report.monitor"
            ]
        );
    }

    #[test]
    fn each_error_is_located() {
        let cases: Vec<(String, Vec<Finding>)> = vec![
            (
                format!("notify:\n  ops:\n    slack: ${{SLACK_URL\n{JOB}"),
                vec![error(3, 12, "slack: `${` is not closed with `}`")],
            ),
            (
                format!("notify:\n  ops:\n    slack: x/${{1A}}\n{JOB}"),
                vec![error(3, 14, "slack: \"1A\" is not a variable name")],
            ),
            (
                format!("notify:\n  ops:\n    slak: ${{A}}\n{JOB}"),
                vec![error(3, 5, "unknown key \"slak\" in channel \"ops\"")],
            ),
            (
                format!("notify:\n  ops:\n    slack: ${{A}}\n    webhook: ${{B}}\n{JOB}"),
                vec![error(
                    2,
                    3,
                    "channel \"ops\" has both `slack:` and `webhook:`",
                )],
            ),
            (
                format!("notify:\n  ops: {{}}\n{JOB}"),
                vec![error(2, 3, "channel \"ops\" has no `slack:` or `webhook:`")],
            ),
            (
                format!("notify:\n  ops:\n    slack: ${{A}}\n{JOB}    alert:\n      to: [opz]\n"),
                vec![error(9, 12, "alert: no channel \"opz\" under `notify:`")],
            ),
            (
                format!("{JOB}    alert:\n      on: [failed, crashed]\n"),
                vec![
                    error(5, 5, "alert in job \"backup\" has no `to:`"),
                    error(6, 20, "on: unknown outcome \"crashed\""),
                ],
            ),
            (
                format!("{JOB}    alert:\n      on: [failed]\n"),
                vec![error(5, 5, "alert in job \"backup\" has no `to:`")],
            ),
            (
                format!("{JOB}    alert:\n      to: ops\n      after: 0\n"),
                vec![
                    error(6, 11, "alert: no channel \"ops\" under `notify:`"),
                    error(7, 14, "after must be 1 to 1000, not 0"),
                ],
            ),
            (
                format!("defaults:\n  monitor:\n    snitch: ${{S}}\n{JOB}"),
                vec![error(2, 3, "\"monitor\" cannot be set in defaults")],
            ),
            (
                format!("{JOB}    monitor:\n      snitch: ${{S}}\n      cronitor: ${{C}}\n"),
                vec![error(
                    5,
                    5,
                    "monitor names more than one service: \"cronitor\" and \"snitch\"",
                )],
            ),
            (
                format!("heartbeat:\n  healthchecks: ${{HC}}\n{JOB}"),
                vec![error(1, 1, "heartbeat has no `every:`")],
            ),
            (
                format!("heartbeat:\n  every: 10s\n  snitch: ${{S}}\n{JOB}"),
                vec![error(2, 10, "heartbeat every must be at least 30s")],
            ),
        ];
        for (source, expected) in &cases {
            assert_eq!(&findings(source), expected, "\n{source}");
        }
    }

    #[test]
    fn a_literal_credential_is_a_warning_with_a_hint() {
        let source = format!(
            "notify:\n  ops:\n    slack: https://hooks.slack.com/services/T0/B0/abcdef123456\n{JOB}"
        );
        let parsed = parse(&source, Utc::now());
        assert!(parsed.config.is_some(), "a warning keeps the file valid");
        let [warning] = parsed.diagnostics.as_slice() else {
            panic!("one warning expected: {:?}", parsed.diagnostics);
        };
        assert_eq!(warning.severity, Severity::Warning);
        assert_eq!((warning.line, warning.column), (3, 12));
        assert!(
            warning.message.contains("looks like a credential"),
            "{warning:?}"
        );
        assert!(
            warning
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("${SLACK_URL}")),
            "{warning:?}"
        );
    }

    /// Every diagnostic of `source`, rendered as `clockctl validate` prints it.
    fn rendered(source: &str) -> String {
        let parsed = parse(source, Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap());
        parsed
            .diagnostics
            .iter()
            .map(|d| d.render("clock.yml", source, &parsed.masks))
            .collect()
    }

    #[test]
    fn no_rendered_line_shows_a_literal_credential() {
        // {the file, what must never show, what the echoed line shows instead}
        let cases: &[(String, &[&str], &str)] = &[
            (
                format!(
                    "notify:\n  ops:\n    slack: https://hooks.slack.com/services/T000/B000/XXXXSECRETSLACK\n{JOB}"
                ),
                &["XXXXSECRETSLACK", "services"],
                " 3 |     slack: https://hooks.slack.com/***\n",
            ),
            (
                format!(
                    "notify:\n  ops: {{ slack: \"https://hooks.slack.com/services/T0/B0/XXXXSECRETSLACK\", secrt: x }}\n{JOB}"
                ),
                &["XXXXSECRETSLACK"],
                " 2 |   ops: { slack: \"https://hooks.slack.com/***\", secrt: *** }\n",
            ),
            (
                format!(
                    "notify:\n  pager:\n    webhook: https://example.com/hook?token=SECRET123abc\n{JOB}"
                ),
                &["SECRET123abc", "token"],
                "webhook: https://example.com/***\n",
            ),
            (
                format!(
                    "notify:\n  pager:\n    webhook: https://user:SECRETPASS1@example.com/in\n{JOB}"
                ),
                &["SECRETPASS1", "user"],
                "webhook: https://***@example.com/***\n",
            ),
            (
                format!(
                    "notify:\n  pager:\n    webhook: ${{ALERT_URL}}\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n{JOB}"
                ),
                &["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_"],
                " 4 |     secret: ***\n",
            ),
            (
                format!("notify:\n  ops:\n    slack: not-a-url-SECRET1\n{JOB}"),
                &["SECRET1"],
                " 3 |     slack: ***\n",
            ),
            (
                format!(
                    "heartbeat:\n  every: 5m\n  healthchecks: https://hc-ping.com/0f4c2a7e-9b1d-4e5a-8c3f-1a2b3c4d5e6f\n{JOB}"
                ),
                &["0f4c2a7e", "4e5a"],
                "healthchecks: https://hc-ping.com/***\n",
            ),
            (
                format!("heartbeat:\n  every: 10s\n  snitch: https://nosnch.in/c2354d53d2\n{JOB}"),
                &["c2354d53d2"],
                "snitch: https://nosnch.in/***\n",
            ),
            (
                format!(
                    "{JOB}    monitor: {{ cronitor: \"https://cronitor.link/p/SECRETKEY99/backup\", extra: 1 }}\n"
                ),
                &["SECRETKEY99"],
                "cronitor: \"https://cronitor.link/***\", extra: *** }\n",
            ),
            (
                format!(
                    "{JOB}    monitor:\n      sentry: {{ dsn: \"https://SECRETDSN42@o1.ingest.sentry.io/42\", slg: x }}\n"
                ),
                &["SECRETDSN42"],
                "dsn: \"https://***@o1.ingest.sentry.io/***\", slg: x }\n",
            ),
            (
                format!(
                    "{JOB}    monitor:\n      sentry: https://SECRETDSN42@o1.ingest.sentry.io/42\n"
                ),
                &["SECRETDSN42"],
                "sentry: https://***@o1.ingest.sentry.io/***\n",
            ),
            (
                format!(
                    "{JOB}    monitor:\n      helthchecks: https://hc-ping.com/0f4c2a7e-9b1d-4e5a\n"
                ),
                &["0f4c2a7e"],
                "helthchecks: https://hc-ping.com/***\n",
            ),
            // Through an alias: the line that defines the value is hidden too.
            (
                format!(
                    "x-hook: &hook https://hooks.slack.com/services/T0/B0/XXXXSECRETSLACK\nnotify:\n  ops:\n    slack: *hook\n{JOB}"
                ),
                &["XXXXSECRETSLACK"],
                " 1 | x-hook: &hook https://hooks.slack.com/***\n",
            ),
        ];
        for (source, hidden, shown) in cases {
            let out = rendered(source);
            assert!(
                out.contains(shown),
                "{source}\nshould show {shown:?}:\n{out}"
            );
            for secret in *hidden {
                assert!(!out.contains(secret), "{source}\nshows {secret:?}:\n{out}");
            }
        }
    }

    #[test]
    fn carets_stay_under_their_token_on_a_line_with_a_hidden_value() {
        let source = format!(
            "notify:\n  ops: {{ slack: https://hooks.slack.com/services/T0/B0/XXXXSECRETSLACK, secrt: x }}\n{JOB}"
        );
        let out = rendered(&source);
        let blocks: Vec<Vec<&str>> = out
            .split("clock.yml:")
            .filter(|b| !b.is_empty())
            .map(|b| b.lines().collect())
            .collect();
        // The credential warning, and the typo after the value on the same line.
        let tokens = ["https://hooks.slack.com/***", "secrt"];
        assert_eq!(blocks.len(), tokens.len(), "{out}");
        for (block, token) in blocks.iter().zip(tokens) {
            let (line, carets) = (block[1], block[2]);
            let at = line.find(token).unwrap_or_else(|| panic!("{token}: {out}"));
            assert_eq!(carets.find('^'), Some(at), "{token}:\n{out}");
            assert_eq!(carets.matches('^').count(), token.len(), "{token}:\n{out}");
        }
    }

    #[test]
    fn a_whole_dollar_name_reads_the_variable() {
        let source = format!(
            "notify:\n  ops:\n    slack: $SLACK_URL\nheartbeat:\n  every: 5m\n  healthchecks: \"$HC_URL\"\n{JOB}    monitor:\n      sentry: {{ dsn: $SENTRY_DSN }}\n"
        );
        let parsed = parse(&source, Utc::now());
        assert_eq!(parsed.diagnostics, vec![]);
        let config = parsed.config.expect("valid");
        let vars: Vec<Vec<&str>> = config.templates().iter().map(|(_, t)| t.vars()).collect();
        assert_eq!(vars, [["SLACK_URL"], ["HC_URL"], ["SENTRY_DSN"]]);
    }

    #[test]
    fn a_dollar_name_inside_a_value_says_to_write_braces() {
        let source =
            format!("{JOB}    monitor:\n      healthchecks: https://hc-ping.com/$HC_KEY\n");
        let parsed = parse(&source, Utc::now());
        let [error] = parsed.diagnostics.as_slice() else {
            panic!("one error expected: {:?}", parsed.diagnostics);
        };
        assert_eq!(
            (error.severity, error.line, error.column, error.len),
            (Severity::Error, 6, 41, 7),
            "{error:?}"
        );
        assert_eq!(error.hint.as_deref(), Some("write ${HC_KEY}"));
    }

    #[test]
    fn literal_values_are_checked_as_the_clock_reads_them() {
        let cases: Vec<(String, Vec<Finding>)> = vec![
            (
                format!("notify:\n  ops:\n    slack: \"not-a-url\"\n{JOB}"),
                vec![
                    error(3, 12, "slack: the value is not a URL"),
                    (
                        Severity::Warning,
                        3,
                        12,
                        "slack: this value looks like a credential, written into clock.yml"
                            .to_owned(),
                    ),
                ],
            ),
            (
                format!("{JOB}    monitor:\n      healthchecks: \"ftp://x.example.com/a\"\n"),
                vec![error(
                    6,
                    21,
                    "healthchecks: the URL's scheme is \"ftp\", not http or https",
                )],
            ),
            (
                format!(
                    "{JOB}    monitor:\n      sentry: {{ dsn: \"https://o1.ingest.sentry.io/42\" }}\n"
                ),
                vec![error(
                    6,
                    22,
                    "dsn: the DSN has no public key (the part before @)",
                )],
            ),
            (
                format!(
                    "notify:\n  pager:\n    webhook: ${{A}}\n    secret: whsec_c2hvcnQ=\n{JOB}"
                ),
                vec![
                    error(
                        4,
                        13,
                        "secret: the secret decodes to 5 bytes; Standard Webhooks keys are 24 to 64",
                    ),
                    (
                        Severity::Warning,
                        4,
                        13,
                        "secret: this value looks like a credential, written into clock.yml"
                            .to_owned(),
                    ),
                ],
            ),
        ];
        for (source, expected) in &cases {
            assert_eq!(&findings(source), expected, "\n{source}");
        }
    }

    #[test]
    fn one_error_hides_no_other() {
        let source = format!(
            "notify:\n  ops:\n    slack: ${{SLACK\n  pager:\n    webhook: ${{A}}\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n  chat: {{ slak: x, slack: \"https://x.example.com/a\" }}\nheartbeat:\n  every: 10s\n  snitch: ${{S}}\n  cronitor: ${{C}}\n{JOB}    alert:\n      to: [ops, nosuch]\n      on: [crashed, failed, exploded]\n"
        );
        let found: Vec<(Severity, u32, String)> = findings(&source)
            .into_iter()
            .map(|(severity, line, _, message)| (severity, line, message))
            .collect();
        let expected = [
            (Severity::Error, 3, "slack: `${` is not closed with `}`"),
            (
                Severity::Warning,
                6,
                "secret: this value looks like a credential, written into clock.yml",
            ),
            (
                Severity::Error,
                7,
                "unknown key \"slak\" in channel \"chat\"",
            ),
            (
                Severity::Error,
                8,
                "heartbeat names more than one service: \"cronitor\" and \"snitch\"",
            ),
            (Severity::Error, 9, "heartbeat every must be at least 30s"),
            (
                Severity::Error,
                17,
                "alert: no channel \"nosuch\" under `notify:`",
            ),
            (Severity::Error, 18, "on: unknown outcome \"crashed\""),
            (Severity::Error, 18, "on: unknown outcome \"exploded\""),
        ];
        let expected: Vec<(Severity, u32, String)> = expected
            .into_iter()
            .map(|(s, l, m)| (s, l, m.to_owned()))
            .collect();
        assert_eq!(found, expected, "\n{source}");
    }

    #[test]
    fn a_default_alerts_unknown_channel_is_reported_once() {
        let source = format!(
            "notify:\n  ops:\n    slack: ${{A}}\ndefaults:\n  alert:\n    to: [opz]\n{JOB}  other:\n    every: 1h\n    command: x\n"
        );
        assert_eq!(
            findings(&source),
            [error(6, 10, "alert: no channel \"opz\" under `notify:`")]
        );
    }

    #[test]
    fn an_empty_to_is_an_error_at_the_value() {
        let notify = "notify:\n  ops:\n    slack: ${A}\n";
        for source in [
            format!("{notify}{JOB}    alert:\n      to: []\n"),
            format!("{notify}defaults:\n  alert:\n    to: []\n{JOB}"),
        ] {
            let parsed = parse(&source, Utc::now());
            let [error] = parsed.diagnostics.as_slice() else {
                panic!("one error expected:\n{source}\n{:?}", parsed.diagnostics);
            };
            assert_eq!(error.severity, Severity::Error);
            assert_eq!(error.message, "alert: `to:` names no channel", "{source}");
            let at = source
                .lines()
                .nth(error.line as usize - 1)
                .unwrap_or_default();
            assert_eq!(&at[error.column as usize - 1..], "[]", "{source}");
            assert_eq!(
                error.hint.as_deref(),
                Some(
                    "name a channel under `notify:`, as in `to: [ops]`, or drop `alert:` to send no alerts"
                )
            );
        }
    }

    #[test]
    fn the_heartbeats_one_service_hint_is_about_the_heartbeat() {
        let source =
            format!("heartbeat:\n  every: 5m\n  snitch: ${{S}}\n  cronitor: ${{C}}\n{JOB}");
        let parsed = parse(&source, Utc::now());
        let hints: Vec<&str> = parsed
            .diagnostics
            .iter()
            .filter_map(|d| d.hint.as_deref())
            .collect();
        assert_eq!(hints, ["the heartbeat pings one service; keep one of them"]);
    }
}
