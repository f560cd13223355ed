//! Reading YAML text into a loosely typed tree whose every node knows its byte range.
//!
//! serde-saphyr does the YAML (syntax, anchors and aliases, merge keys, budgets against
//! hostile input); this module turns its output into [`Node`]s and deliberately checks
//! nothing about clock.yml itself. Keeping the tree loose is what lets the checker report
//! every problem in one pass: a typed deserializer would stop at the first wrong key.
//! Duplicate keys are passed through on purpose so the checker can name both places.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{Location, MessageFormatter, UserMessageFormatter};

use super::source::{LineIndex, Span};
use crate::visible::visible;

/// Deeper nesting than this is never a valid clock.yml (a job's `env` sits at depth 4).
const MAX_DEPTH: usize = 24;
/// Enough nodes for tens of thousands of jobs; bounds the work an alias bomb can cause.
const MAX_NODES: usize = 1_000_000;
/// Replayed alias events across the file: enough for `<<: *common` (ten values) in 2,000 jobs,
/// few enough that an alias bomb fails in well under a second.
const MAX_ALIAS_REPLAY: usize = 20_000;

/// A YAML value with the byte range it was written at.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node<'a> {
    pub value: Value<'a>,
    /// Where the node is written. For an alias this is the alias (`*name`); for a map,
    /// an empty range at its first key.
    pub span: Span,
    /// A number's, boolean's or null's text as written where the scalar is *defined*: for
    /// an alias (`*port`) or an entry merged in with `<<`, that is the anchored scalar,
    /// never the alias. `None` for text, lists and maps, whose value is their content.
    pub written: Option<&'a str>,
}

impl<'a> Node<'a> {
    /// A scalar's text: text as parsed, numbers and booleans as written (`0080` stays
    /// `0080`, `1.50` stays `1.50`). `None` for nothing, lists and maps. Built from the
    /// node alone, so an alias gives the text of what it refers to.
    pub fn scalar_text(&self) -> Option<Cow<'a, str>> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                Some(match (self.written, &self.value) {
                    (Some(written), _) => Cow::Borrowed(written),
                    // serde-saphyr always gives the definition; this is only a fallback.
                    (None, Value::Int(n)) => Cow::Owned(n.to_string()),
                    (None, Value::Float(f)) => Cow::Owned(f.to_string()),
                    (None, Value::Bool(b)) => Cow::Owned(b.to_string()),
                    (None, _) => Cow::Borrowed(""),
                })
            }
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    /// Borrowed from the source when the file holds the text verbatim (most scalars):
    /// no copy of each of a large file's hundred thousand keys and values.
    Str(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    /// Entries in file order, duplicates included.
    Map(Vec<(Node<'a>, Node<'a>)>),
}

impl Value<'_> {
    /// How the value is described in "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a number",
            Value::Str(_) => "text",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }
}

/// The file is not YAML we can read: a syntax error or a budget breach, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct YamlError {
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
}

/// Reads `source` into a tree.
///
/// # Errors
/// A [`YamlError`] for invalid YAML, more than one document, or input that breaks the
/// budgets (alias bombs, deep nesting, huge node counts).
pub(super) fn read_tree(source: &str) -> Result<Node<'_>, YamlError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            flow_nesting_limit: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_documents: 1,
        },
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        // `y`, `no` and `on` stay text: `command: y` must not become a boolean.
        strict_booleans: true,
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_REPLAY,
        },
        with_snippet: false,
    };
    let read = serde_saphyr::with_deserializer_from_str_with_options(source, options, |de| {
        de::DeserializeSeed::deserialize(OptionalNodeSeed { source }, de)
    });
    match read {
        Ok(Some(node)) => Ok(node),
        Ok(None) => Ok(Node {
            value: Value::Null,
            span: 0..0,
            written: None,
        }),
        Err(error) => Err(describe_error(&error, source)),
    }
}

// Reading the tree. serde-saphyr hands out a node's location only through its `Spanned<T>`
// protocol: a newtype named `__yaml_spanned` that it answers with a struct-like map of
// `{marker, value, referenced, defined}`. `Spanned<T>` itself reads all four fields (an
// owned `String` for the marker key and two full locations per node) and would need a
// second pass to turn into `Node`s; speaking the protocol here builds each `Node` in one
// step and reads only the value and the `referenced` location. It is the same protocol
// `Spanned<T>` uses, so a serde-saphyr upgrade that changed it would fail the tests
// below (every node's byte range is pinned there), not silently lose positions.

/// The newtype name serde-saphyr's deserializer answers with a node's location.
const SPANNED_NEWTYPE: &str = "__yaml_spanned";
/// The fields of that answer, in the order serde-saphyr gives them.
const SPANNED_FIELDS: &[&str] = &[
    "__serde_saphyr_private_spanned",
    "value",
    "referenced",
    "defined",
];

/// The whole document: `None` when it is empty.
struct OptionalNodeSeed<'de> {
    source: &'de str,
}

impl<'de> de::DeserializeSeed<'de> for OptionalNodeSeed<'de> {
    type Value = Option<Node<'de>>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<Node<'de>>, D::Error> {
        deserializer.deserialize_option(OptionalNodeVisitor {
            source: self.source,
        })
    }
}

struct OptionalNodeVisitor<'de> {
    source: &'de str,
}

impl<'de> Visitor<'de> for OptionalNodeVisitor<'de> {
    type Value = Option<Node<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML document")
    }
    fn visit_none<E>(self) -> Result<Option<Node<'de>>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<Node<'de>>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<Node<'de>>, D::Error> {
        NodeSeed {
            source: self.source,
        }
        .deserialize(deserializer)
        .map(Some)
    }
}

/// One node with its byte range.
#[derive(Clone, Copy)]
struct NodeSeed<'de> {
    source: &'de str,
}

impl<'de> de::DeserializeSeed<'de> for NodeSeed<'de> {
    type Value = Node<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        deserializer.deserialize_newtype_struct(SPANNED_NEWTYPE, self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'de> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Node<'de>, D::Error> {
        deserializer.deserialize_struct(SPANNED_NEWTYPE, SPANNED_FIELDS, SpannedVisitor(self))
    }
}

/// Reads serde-saphyr's `{marker, value, referenced, defined}` answer into a [`Node`].
struct SpannedVisitor<'de>(NodeSeed<'de>);

impl<'de> Visitor<'de> for SpannedVisitor<'de> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let source = self.0.source;
        let mut value = None;
        let mut location = None;
        let mut written = None;
        while let Some(field) = map.next_key::<SpannedField>()? {
            match field {
                SpannedField::Value => value = Some(map.next_value_seed(ValueSeed(self.0))?),
                SpannedField::Referenced => location = Some(map.next_value::<Location>()?),
                SpannedField::Defined => {
                    let defined = map.next_value::<Location>()?;
                    written = source.get(span_of(&defined, source));
                }
                SpannedField::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            // `defined` (where an alias's anchor is) is only needed for numbers, booleans
            // and nulls, whose text the value does not hold: otherwise stop reading.
            let needs_written = matches!(
                value,
                Some(Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null)
            );
            if value.is_some() && location.is_some() && (!needs_written || written.is_some()) {
                break;
            }
        }
        let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
        let span = location.map_or(0..0, |location| span_of(&location, source));
        let written = written.filter(|_| {
            matches!(
                value,
                Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null
            )
        });
        Ok(Node {
            value,
            span,
            written,
        })
    }
}

enum SpannedField {
    Value,
    Referenced,
    Defined,
    Other,
}

impl<'de> Deserialize<'de> for SpannedField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SpannedField, D::Error> {
        deserializer.deserialize_identifier(SpannedFieldVisitor)
    }
}

struct SpannedFieldVisitor;

impl Visitor<'_> for SpannedFieldVisitor {
    type Value = SpannedField;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E>(self, v: &str) -> Result<SpannedField, E> {
        Ok(match v {
            "value" => SpannedField::Value,
            "referenced" => SpannedField::Referenced,
            "defined" => SpannedField::Defined,
            _ => SpannedField::Other,
        })
    }
}

/// A node's value; its children are [`NodeSeed`]s.
struct ValueSeed<'de>(NodeSeed<'de>);

impl<'de> de::DeserializeSeed<'de> for ValueSeed<'de> {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'de> {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value<'de>, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value<'de>, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value<'de>, E> {
        Ok(Value::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value<'de>, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Owned(
            String::from_utf8_lossy(v).into_owned(),
        )))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(self.0)? {
            items.push(item);
        }
        items.shrink_to_fit();
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(key) = map.next_key_seed(self.0)? {
            let value = map.next_value_seed(self.0)?;
            entries.push((key, value));
        }
        entries.shrink_to_fit();
        Ok(Value::Map(entries))
    }
}

/// The byte range of a location: serde-saphyr gives byte offsets for string input, and
/// line/column always, which we fall back on (indexing the lines only then).
fn span_of(location: &Location, source: &str) -> Span {
    let span = location.span();
    let start = span.byte_offset().map(|o| o as usize).unwrap_or_else(|| {
        let line = u32::try_from(location.line()).unwrap_or(u32::MAX);
        let column = u32::try_from(location.column()).unwrap_or(u32::MAX);
        LineIndex::new(source).offset(line, column)
    });
    let len = span.byte_len().map_or(1, |l| l as usize);
    start..start.saturating_add(len)
}

fn describe_error(error: &serde_saphyr::Error, source: &str) -> YamlError {
    let error = error.without_snippet();
    let mut span = error
        .location()
        .map_or(0..0, |location| span_of(&location, source));
    let (message, hint) = match root_error(error) {
        serde_saphyr::Error::MultipleDocuments { .. } => multiple_documents_message(),
        serde_saphyr::Error::Budget { breach, .. } => budget_message(breach),
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => alias_bomb_message(),
        other => {
            let message = plain_message(other);
            if let Some(hint) = quoting_hint(source, span.start) {
                (message, Some(hint))
            } else if message.contains("tab") {
                // The parser stops after the tab; point at the tab itself.
                if let Some(tab) = indenting_tab(source, span.start) {
                    span = tab..tab + 1;
                }
                (
                    message,
                    Some("indent with spaces; YAML does not allow tabs for indentation".into()),
                )
            } else if message.contains("recursion limit") {
                // The parser's own nesting cap (set to MAX_DEPTH for flow collections).
                depth_message()
            } else {
                (message, None)
            }
        }
    };
    YamlError {
        span,
        message: format!("invalid YAML: {message}"),
        hint,
    }
}

fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> (String, Option<String>) {
    use serde_saphyr::budget::BudgetBreach;
    match breach {
        BudgetBreach::Documents { .. } => multiple_documents_message(),
        BudgetBreach::Depth { .. } => depth_message(),
        BudgetBreach::Aliases { .. }
        | BudgetBreach::Anchors { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. } => alias_bomb_message(),
        _ => (
            "the file is too large or too complex to be a clock.yml".to_owned(),
            Some(format!(
                "a clock.yml may hold at most {MAX_NODES} YAML values, aliases expanded"
            )),
        ),
    }
}

/// A cron expression or other value starting with `*` or `@` must be quoted in YAML
/// (`*` starts an alias, `@` is reserved); the most common clock.yml syntax error.
fn quoting_hint(source: &str, at: usize) -> Option<String> {
    let rest = source.get(at..)?;
    let first = rest.chars().next()?;
    if !matches!(first, '*' | '@' | '`') {
        return None;
    }
    let value = rest.lines().next().unwrap_or_default().trim_end();
    Some(format!(
        "YAML gives a leading `{first}` a special meaning: quote the value, as in \"{}\"",
        visible(value)
    ))
}

/// The error itself, out of the wrappers that add snippets and alias locations.
fn root_error(mut error: &serde_saphyr::Error) -> &serde_saphyr::Error {
    loop {
        match error.without_snippet() {
            serde_saphyr::Error::AliasError { error: inner, .. } => error = inner,
            other => return other,
        }
    }
}

fn depth_message() -> (String, Option<String>) {
    (
        format!("nested more than {MAX_DEPTH} levels deep"),
        Some("a clock.yml needs four levels: jobs, a job, its env, a variable".into()),
    )
}

/// The first tab in the indentation that ends at `at` (spaces and tabs before it on its
/// line), or at `at` itself.
fn indenting_tab(source: &str, at: usize) -> Option<usize> {
    let at = at.min(source.len());
    let before = source.get(..at)?;
    let indent_start = before.rfind(|c| c != ' ' && c != '\t').map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, char::len_utf8)
    });
    let indent = &before[indent_start..];
    match indent.find('\t') {
        Some(i) => Some(indent_start + i),
        None => source[at..].starts_with('\t').then_some(at),
    }
}

fn multiple_documents_message() -> (String, Option<String>) {
    (
        "a clock.yml holds one YAML document, and this starts a second".to_owned(),
        Some("remove the `---` line and merge the documents".to_owned()),
    )
}

fn alias_bomb_message() -> (String, Option<String>) {
    (
        "aliases expand to too much YAML (an alias bomb?)".to_owned(),
        Some("use fewer `*alias` references; `defaults:` sets keys for every job".to_owned()),
    )
}

/// The library's own words, without its "at line X" suffix and with control characters
/// made visible (the text can quote the input).
fn plain_message(error: &serde_saphyr::Error) -> String {
    let message = UserMessageFormatter.format_message(error);
    visible(&message).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(source: &str) -> Node<'_> {
        read_tree(source).unwrap_or_else(|e| panic!("{source:?}: {e:?}"))
    }

    #[test]
    fn every_node_has_its_byte_range() {
        let source = "jobs:\n  sync:\n    every: \"37m\"\n    retries: 3\n";
        let Value::Map(top) = tree(source).value else {
            panic!("not a map")
        };
        let (key, jobs) = &top[0];
        assert_eq!(
            (key.value.clone(), key.span.clone()),
            (Value::Str("jobs".into()), 0..4)
        );
        let Value::Map(jobs) = &jobs.value else {
            panic!("jobs not a map")
        };
        let Value::Map(sync) = &jobs[0].1.value else {
            panic!("sync not a map")
        };
        let table: &[(&str, Value, &str)] = &[
            ("every", Value::Str("37m".into()), "\"37m\""),
            ("retries", Value::Int(3), "3"),
        ];
        for ((key, value), (name, expected, written)) in sync.iter().zip(table) {
            assert_eq!(key.value, Value::Str((*name).into()));
            assert_eq!(&source[key.span.clone()], *name);
            assert_eq!(value.value, *expected);
            assert_eq!(&source[value.span.clone()], *written);
        }
    }

    #[test]
    fn scalars_reached_through_aliases_and_merges_keep_the_anchored_text() {
        let source = "a: &n 0080\nb: *n\nm: &m {x: 1.50, y: true}\nc:\n  <<: *m\n";
        let Value::Map(top) = tree(source).value else {
            panic!("not a map")
        };
        let texts: Vec<(String, Option<String>)> = top
            .iter()
            .flat_map(|(_, value)| match &value.value {
                Value::Map(entries) => entries.iter().map(|(_, v)| v).collect(),
                _ => vec![value],
            })
            .map(|node| {
                (
                    source[node.span.clone()].to_owned(),
                    node.scalar_text().map(|t| t.into_owned()),
                )
            })
            .collect();
        let expected: Vec<(String, Option<String>)> = [
            ("0080", "0080"),
            ("*n", "0080"),
            ("1.50", "1.50"),
            ("true", "true"),
            ("*m", "1.50"),
            ("*m", "true"),
        ]
        .iter()
        .map(|(at, text)| ((*at).to_owned(), Some((*text).to_owned())))
        .collect();
        assert_eq!(texts, expected);
    }

    #[test]
    fn a_tab_in_the_indentation_is_located_at_the_tab() {
        for source in [
            "jobs:\n  a:\n\tcommand: x\n",
            "jobs:\n  a:\n  \t command: x\n",
        ] {
            let error = read_tree(source).expect_err(source);
            let tab = source.find('\t').expect("a tab");
            assert_eq!(error.span, tab..tab + 1, "{source:?}: {error:?}");
        }
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_checker() {
        let Value::Map(top) = tree("a: 1\na: 2\n").value else {
            panic!("not a map")
        };
        assert_eq!(top.len(), 2);
        assert_eq!(top[1].0.span, 5..6);
    }

    #[test]
    fn an_empty_file_is_null() {
        assert_eq!(tree("").value, Value::Null);
        assert_eq!(tree("# only a comment\n").value, Value::Null);
    }

    #[test]
    fn hostile_input_is_an_error_with_a_position() {
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            let refs = vec![format!("*{prev}"); 9].join(",");
            bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let deep_flow = format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000));
        let deep_block: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let table: &[(&str, &str)] = &[
            ("jobs:\n  a:\n\tcommand: x\n", "tab"),
            ("a: \"open\n", "quote"),
            (&bomb, "alias"),
            (&deep_flow, "nested more than 24 levels deep"),
            (&deep_block, "nested more than"),
            ("a: 1\n---\nb: 2\n", "second"),
        ];
        for (source, needle) in table {
            let error = read_tree(source).expect_err(needle);
            assert!(
                error.message.contains(needle) || error.hint.iter().any(|h| h.contains(needle)),
                "{needle}: {error:?}"
            );
            assert!(error.span.start <= source.len(), "{needle}: {error:?}");
        }
    }
}
