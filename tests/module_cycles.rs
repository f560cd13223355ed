//! No import circle between sibling modules, anywhere under src/.
//!
//! Reads every `.rs` file under src/, finds the paths it names through `crate::`,
//! `super::` and `self::` (in `use` lines and inline, `{a, b}` groups included, comments
//! and string literals skipped, inline `mod x { … }` blocks such as tests followed), and
//! builds for each folder the graph "sibling A uses sibling B", where a sibling is a file
//! or subfolder of that folder and uses of anything inside a subfolder count for it. A
//! folder's `mod.rs` (or lib.rs) is not a sibling of its children, so re-exporting them
//! is not a circle. Any cycle fails the test, naming the files on it.
//!
//! Run it alone with `cargo nextest run --test module_cycles` (or `cargo test --test
//! module_cycles`); `MODULE_CYCLES_SRC=/path/to/src` points it at another checkout.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path from the crate root: `["config", "check"]`.
type ModPath = Vec<String>;

#[test]
fn sibling_modules_import_in_one_direction() {
    // `MODULE_CYCLES_SRC=/other/checkout/src` checks another tree with the same rules.
    let src = std::env::var_os("MODULE_CYCLES_SRC").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        PathBuf::from,
    );
    let files = rust_files(&src);
    assert!(
        files.len() > 10,
        "found only {} files in {src:?}",
        files.len()
    );
    let mut modules: BTreeMap<ModPath, PathBuf> = BTreeMap::new();
    let mut uses: Vec<(ModPath, ModPath, PathBuf)> = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        modules.insert(module.clone(), file.clone());
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        for (from, to) in references(&module, &strip(&text)) {
            uses.push((from, to, file.clone()));
        }
    }
    let mut cycles = Vec::new();
    // Group the uses by the folder (parent module) where both ends are siblings.
    let mut graphs: BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, to, _) in &uses {
        let Some(to) = known_prefix(&modules, to) else {
            continue;
        };
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        // One end inside the other (a module and its own children) is not a sibling use.
        if common >= from.len() || common >= to.len() {
            continue;
        }
        graphs
            .entry(from[..common].to_vec())
            .or_default()
            .entry(from[common].clone())
            .or_default()
            .insert(to[common].clone());
    }
    for (folder, graph) in &graphs {
        if let Some(cycle) = find_cycle(graph) {
            let shown: Vec<String> = cycle
                .iter()
                .map(|name| {
                    let mut path = folder.clone();
                    path.push(name.clone());
                    path.join("::")
                })
                .collect();
            cycles.push(shown.join(" -> "));
        }
    }
    assert!(
        cycles.is_empty(),
        "import circles between sibling modules (give what both use a module of its own):\n  {}",
        cycles.join("\n  ")
    );
}

#[test]
fn the_reader_sees_grouped_inline_and_nested_uses() {
    let module: ModPath = vec!["config".into(), "check".into()];
    let text = strip(
        "use super::{fields::{At, list}, yaml};\n// use super::commented;\nlet x = \"super::quoted\";\nfn f() { super::warnings::FactsKey }\nmod tests { use super::*; use super::super::model::Job; }\nuse crate::schedule::Schedule;\n",
    );
    let found: BTreeSet<String> = references(&module, &text)
        .into_iter()
        .map(|(from, to)| format!("{} -> {}", from.join("::"), to.join("::")))
        .collect();
    let expected: BTreeSet<String> = [
        "config::check -> config::fields::At",
        "config::check -> config::fields::list",
        "config::check -> config::yaml",
        "config::check -> config::warnings::FactsKey",
        "config::check::tests -> config::check",
        "config::check::tests -> config::model::Job",
        "config::check -> schedule::Schedule",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(found, expected);
}

#[test]
fn a_cycle_is_found_and_a_chain_is_not() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry((*a).into()).or_default().insert((*b).into());
        }
        g
    };
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The module a file is, or `None` for the binaries (crates of their own).
fn module_of(src: &Path, file: &Path) -> Option<ModPath> {
    let relative = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "bin") || parts == ["main.rs"] {
        return None;
    }
    let last = parts.pop()?;
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    Some(parts)
}

/// The longest prefix of `path` that is a module with a file of its own.
fn known_prefix(modules: &BTreeMap<ModPath, PathBuf>, path: &[String]) -> Option<ModPath> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| modules.contains_key(prefix))
}

/// `text` with comments, string and char literals blanked out (lengths kept).
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && !is_ident(chars.get(i.wrapping_sub(1)))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    _ => j += 1,
                }
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{1b}') or a lifetime ('a): only the former is skipped.
            let close = if next == Some('\\') {
                (i + 2..chars.len().min(i + 12)).find(|&j| chars[j] == '\'')
            } else {
                (chars.get(i + 2) == Some(&'\'')).then_some(i + 2)
            };
            match close {
                Some(j) => {
                    out.push_str("' '");
                    i = j + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Every `(module, path it names)` in a file's stripped text, `module` being the file's
/// own module or an inline module inside it.
fn references(file_module: &ModPath, text: &str) -> Vec<(ModPath, ModPath)> {
    let tokens = tokenize(text);
    let mut out = Vec::new();
    // Inline modules: (name, brace depth at which its block opened).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i].as_str();
        match token {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((tokens[i + 1].clone(), depth));
                depth += 1;
                i += 3;
                continue;
            }
            "crate" | "super" | "self"
                if tokens.get(i + 1).is_some_and(|t| t == "::")
                    && (i == 0 || tokens[i - 1] != "::") =>
            {
                let mut module = file_module.clone();
                module.extend(inline.iter().map(|(name, _)| name.clone()));
                let (paths, end) = parse_tree(&tokens, i);
                for path in paths {
                    if let Some(target) = resolve(&module, &path) {
                        out.push((module.clone(), target));
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Identifiers, `::`, and single punctuation characters.
fn tokenize(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".to_owned());
            i += 2;
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            i += 1;
        }
    }
    tokens
}

/// The paths of a use tree starting at `tokens[at]` (`a::b::{c, d::e}`), and the index
/// after it. Each path keeps its `crate`/`super`/`self` head.
fn parse_tree(tokens: &[String], at: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = at;
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                let mut paths = Vec::new();
                i += 1;
                loop {
                    match tokens.get(i).map(String::as_str) {
                        None => return (paths, i),
                        Some("}") => {
                            i += 1;
                            break;
                        }
                        Some(",") => i += 1,
                        _ => {
                            let (inner, end) = parse_tree(tokens, i);
                            for path in inner {
                                let mut full = prefix.clone();
                                full.extend(path);
                                paths.push(full);
                            }
                            if end == i {
                                i += 1;
                            } else {
                                i = end;
                            }
                        }
                    }
                }
                return (paths, i);
            }
            Some(t) if t.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                prefix.push(t.to_owned());
                i += 1;
                if tokens.get(i).is_some_and(|t| t == "::") {
                    i += 1;
                } else {
                    return (vec![prefix], i);
                }
            }
            Some("*") => return (vec![prefix], i + 1),
            _ => {
                return (
                    if prefix.is_empty() {
                        vec![]
                    } else {
                        vec![prefix]
                    },
                    i,
                );
            }
        }
    }
}

/// A path's target from the crate root, seen from `module`.
fn resolve(module: &ModPath, path: &[String]) -> Option<ModPath> {
    let mut base: ModPath;
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base = Vec::new();
            rest = &rest[1..];
        }
        Some("self") => {
            base = module.clone();
            rest = &rest[1..];
        }
        Some("super") => {
            base = module.clone();
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().filter(|s| *s != "self").cloned());
    Some(base)
}

/// One cycle in a directed graph, as its nodes with the first repeated at the end.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}
