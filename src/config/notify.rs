//! The alerting keys: `notify:` (named channels), `heartbeat:`, and each job's `alert:`
//! and `monitor:` (`alert:` may also be set in `defaults:`).
//!
//! Values that carry credentials are templates (`${NAME}`, see [`super::template`]); a
//! literal one that looks like it holds a token is a warning, since clock.yml is
//! committed. Channel names an `alert.to` lists must exist under `notify:`. What these
//! settings *do* belongs to [`crate::notify`].

use std::collections::BTreeMap;
use std::time::Duration;

use super::checker::{Checker, Repeated};
use super::fields::{AlertFields, At, list, value_span};
use super::model::{
    Alert, AlertOn, Channel, ChannelTarget, DEFAULT_ALERT_AFTER, Heartbeat, Monitor, Template,
};
use super::names::{check_job_name, closest};
use super::source::Span;
use super::template;
use super::yaml::{Node, Value};

/// The keys of one channel: exactly one of `slack` and `webhook`, and `secret` with a webhook.
const CHANNEL_KEYS: [&str; 3] = ["slack", "webhook", "secret"];
/// The services a `monitor:` or `heartbeat:` names, exactly one.
pub(super) const MONITOR_KEYS: [&str; 4] = ["healthchecks", "cronitor", "snitch", "sentry"];
const ALERT_KEYS: [&str; 5] = ["to", "on", "after", "recovery", "repeat"];
const SENTRY_KEYS: [&str; 2] = ["dsn", "slug"];
/// The longest alert threshold: a streak that long is not an alert any more.
const MAX_AFTER: i128 = 1000;
/// The shortest heartbeat: services rate-limit faster pings (healthchecks drops more than
/// 5 a minute).
const MIN_HEARTBEAT: Duration = Duration::from_secs(30);

impl<'a> Checker<'a> {
    /// `notify:`: a map of channel names to channels.
    pub(super) fn notify_block(&mut self, value: &Node) -> Option<Vec<Channel>> {
        let Value::Map(entries) = &value.value else {
            self.wrong_type("notify", "a map of channel names to channels", value);
            return None;
        };
        let mut channels = Vec::new();
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        let mut valid = true;
        for (key, channel) in entries {
            let Some(name) = self.key_text(key) else {
                valid = false;
                continue;
            };
            if self.is_repeat(&mut seen, name, &key.span, Repeated::Channel) {
                valid = false;
                continue;
            }
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
        valid.then_some(channels)
    }

    fn channel(&mut self, name: &str, key: &Node, value: &Node) -> Option<ChannelTarget> {
        let what = format!("channel \"{name}\"");
        let entries = self.map_of(&what, "a map with `slack:` or `webhook:`", value)?;
        let keys = self.known_keys(&entries, &CHANNEL_KEYS, &format!(" in {what}"))?;
        let url = |checker: &mut Self, key: &str| {
            keys.get(key)
                .map(|node| checker.template(key, node))
                .map_or(Some(None), |t| t.map(Some))
        };
        let slack = url(self, "slack")?;
        let webhook = url(self, "webhook")?;
        let secret = url(self, "secret")?;
        match (slack, webhook) {
            (Some(url), None) => {
                if let Some(node) = keys.get("secret") {
                    self.error(
                        &node.span,
                        format!("{what}: `secret` signs webhooks; Slack takes none"),
                        Some("remove `secret:`, or use `webhook:`".into()),
                    );
                    return None;
                }
                Some(ChannelTarget::Slack { url })
            }
            (None, Some(url)) => Some(ChannelTarget::Webhook { url, secret }),
            (Some(_), Some(_)) => {
                self.error(
                    &key.span,
                    format!("{what} has both `slack:` and `webhook:`"),
                    Some("a channel sends to one place; make two channels".into()),
                );
                None
            }
            (None, None) => {
                self.error(
                    &key.span,
                    format!("{what} has no `slack:` or `webhook:`"),
                    Some("add `slack: ${SLACK_WEBHOOK_URL}` or `webhook: ${ALERT_URL}`".into()),
                );
                None
            }
        }
    }

    /// `heartbeat:`: `every` and one service.
    pub(super) fn heartbeat_block(&mut self, key: &Node, value: &Node) -> Option<Heartbeat> {
        let entries = self.map_of("heartbeat", "a map with `every:` and a service", value)?;
        let mut allowed = vec!["every"];
        allowed.extend(MONITOR_KEYS);
        let keys = self.known_keys(&entries, &allowed, " in heartbeat")?;
        let every = match keys.get("every") {
            Some(node) => {
                let every = self.duration_value("every", node, false)?;
                if every.value < MIN_HEARTBEAT {
                    self.error(
                        &every.span,
                        format!(
                            "heartbeat every must be at least {}",
                            super::duration::format(MIN_HEARTBEAT)
                        ),
                        Some("monitoring services drop pings that come faster".into()),
                    );
                    return None;
                }
                every.value
            }
            None => {
                self.error(
                    &key.span,
                    "heartbeat has no `every:`",
                    Some("add `every: 5m`, and set the service's period to match".into()),
                );
                return None;
            }
        };
        let monitor = self.monitor_of("heartbeat", key, &keys, "clock")?;
        Some(Heartbeat { every, monitor })
    }

    /// A job's `monitor:`: one service.
    pub(super) fn monitor(&mut self, job: &str, key: &Node, value: &Node) -> Option<Monitor> {
        let entries = self.map_of("monitor", "a map with one service", value)?;
        let keys = self.known_keys(&entries, &MONITOR_KEYS, " in monitor")?;
        self.monitor_of("monitor", key, &keys, job)
    }

    fn monitor_of(
        &mut self,
        what: &str,
        key: &Node,
        keys: &BTreeMap<&str, &Node>,
        default_slug: &str,
    ) -> Option<Monitor> {
        let named: Vec<&str> = MONITOR_KEYS
            .into_iter()
            .filter(|k| keys.contains_key(k))
            .collect();
        let service = match named.as_slice() {
            [one] => *one,
            [] => {
                self.error(
                    &key.span,
                    format!("{what} names no service"),
                    Some(format!("add one of {}", list(&MONITOR_KEYS))),
                );
                return None;
            }
            [first, second, ..] => {
                self.error(
                    &key.span,
                    format!("{what} names more than one service: \"{first}\" and \"{second}\""),
                    Some("one service per job; pick one".into()),
                );
                return None;
            }
        };
        let node = keys.get(service).copied()?;
        match service {
            "healthchecks" => self.template(service, node).map(Monitor::Healthchecks),
            "cronitor" => self.template(service, node).map(Monitor::Cronitor),
            "snitch" => self.template(service, node).map(Monitor::Snitch),
            _ => self.sentry(node, default_slug),
        }
    }

    fn sentry(&mut self, value: &Node, default_slug: &str) -> Option<Monitor> {
        let entries = self.map_of("sentry", "a map with `dsn:` and `slug:`", value)?;
        let keys = self.known_keys(&entries, &SENTRY_KEYS, " in sentry")?;
        let Some(dsn) = keys.get("dsn") else {
            self.error(
                &value_span(value),
                "sentry has no `dsn:`",
                Some("add `dsn: ${SENTRY_DSN}`".into()),
            );
            return None;
        };
        let dsn = self.template("dsn", dsn)?;
        let slug = match keys.get("slug") {
            Some(node) => {
                let slug = self.text("slug", node)?;
                let valid = !slug.is_empty()
                    && slug.len() <= 50
                    && slug.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    });
                if !valid {
                    self.error(
                        &node.span,
                        format!(
                            "sentry slug \"{}\" is not a monitor slug",
                            slug.escape_debug()
                        ),
                        Some("slugs use a-z, 0-9, - and _, at most 50 characters".into()),
                    );
                    return None;
                }
                slug
            }
            None => default_slug.chars().take(50).collect(),
        };
        Some(Monitor::Sentry { dsn, slug })
    }

    /// An `alert:` map (in a job or in `defaults:`).
    pub(super) fn alert_fields(&mut self, key: &Node, value: &Node) -> Option<AlertFields> {
        let entries = self.map_of("alert", "a map with `to:` and `on:`", value)?;
        let keys = self.known_keys(&entries, &ALERT_KEYS, " in alert")?;
        let mut fields = AlertFields {
            span: key.span.clone(),
            ..AlertFields::default()
        };
        let mut valid = true;
        if let Some(node) = keys.get("to") {
            fields.to = self.names_list("to", node);
            valid &= fields.to.is_some();
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
        valid.then_some(fields)
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
        valid.then(|| Alert {
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

    fn names_list(&mut self, key: &str, value: &Node) -> Option<Vec<At<String>>> {
        let items: Vec<&Node> = match &value.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![value],
            _ => {
                self.wrong_type(key, "a list of channel names", value);
                return None;
            }
        };
        let mut names = Vec::new();
        for item in items {
            names.push(At {
                value: self.text(key, item)?,
                span: item.span.clone(),
            });
        }
        Some(names)
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
        for item in items {
            let text = self.text("on", item)?;
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
                    return None;
                }
            }
        }
        Some(on)
    }

    /// A value that may hold `${NAME}` references. A literal that looks like a credential
    /// is a warning: clock.yml is committed, config vars are not.
    fn template(&mut self, key: &str, value: &Node) -> Option<Template> {
        let text = self.text(key, value)?;
        let offset = self.verbatim_offset(value, &text);
        match template::parse(&text) {
            Ok(parts) => {
                let literal = parts
                    .iter()
                    .all(|p| matches!(p, super::model::TemplatePart::Literal(_)));
                if text.trim().is_empty() {
                    self.error(&value_span(value), format!("{key} is empty"), None);
                    return None;
                }
                if literal && (key == "secret" || template::looks_secret(&text)) {
                    let name = match key {
                        "secret" => "ALERT_SECRET".to_owned(),
                        "dsn" => "SENTRY_DSN".to_owned(),
                        _ => format!("{}_URL", key.to_ascii_uppercase()),
                    };
                    self.warning(
                        &value.span,
                        format!("{key}: this value looks like a credential, written into clock.yml"),
                        Some(format!(
                            "keep it in a config var: `heroku config:set {name}=...`, then write `{key}: ${{{name}}}`"
                        )),
                    );
                }
                let position = self.position(&value.span);
                Some(Template {
                    parts,
                    line: position.line,
                    column: position.column,
                    len: position.len,
                })
            }
            Err(error) => {
                let span = match offset {
                    Some(start) => start + error.start..start + error.end,
                    None => value.span.clone(),
                };
                self.error(
                    &span,
                    format!("{key}: {}", error.message),
                    Some("write a variable as ${NAME}: letters, digits and _".into()),
                );
                None
            }
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

    /// The entries by key, each key once and known; `None` after any error.
    fn known_keys<'n>(
        &mut self,
        entries: &[(&'n Node<'n>, &'n Node<'n>)],
        allowed: &[&str],
        what: &str,
    ) -> Option<BTreeMap<&'n str, &'n Node<'n>>>
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
        valid.then_some(keys)
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
                vec![error(6, 20, "on: unknown outcome \"crashed\"")],
            ),
            (
                format!("{JOB}    alert:\n      on: [failed]\n"),
                vec![error(5, 5, "alert in job \"backup\" has no `to:`")],
            ),
            (
                format!("{JOB}    alert:\n      to: ops\n      after: 0\n"),
                vec![error(7, 14, "after must be 1 to 1000, not 0")],
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
}
