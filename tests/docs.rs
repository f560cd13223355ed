//! Keeps the docs true: every relative link and `#anchor` in README.md and docs/*.md
//! resolves, every whole clock.yml they show (a `yaml` block with a top-level `jobs:`)
//! passes `clockctl validate`, and docs/logs.md documents exactly the log events the code can emit, read
//! from `runtime::report::EVENTS` (the one list of them, itself checked against the
//! source by the unit tests beside it).
//!
//! Anchors are made from headings as GitHub makes them: lower case, inline code and link
//! markup reduced to their text, every character that is not a letter, a digit, `-`, `_`
//! or a space dropped, spaces turned into `-`, and `-1`, `-2`, ... added to repeats.
//! docs/logs.md names an event by giving it a row in a table whose first column is headed
//! `Event`, with the name in backticks as the row's first cell.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use heroku_clock::runtime::report::EVENTS;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md, as paths relative to the repository's root.
fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md")];
    let docs = std::fs::read_dir(root().join("docs")).expect("a docs/ directory");
    for entry in docs {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|ext| ext == "md") {
            files.push(Path::new("docs").join(path.file_name().expect("a file name")));
        }
    }
    files.sort();
    files
}

fn read(relative: &Path) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", relative.display()))
}

/// The lines outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<&str> = None;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(marker)) => fence = Some(marker),
            (Some(open), Some(marker)) if open == marker => fence = None,
            (None, None) => lines.push((index + 1, line)),
            _ => {}
        }
    }
    lines
}

/// `text` without the contents of inline code spans (`` `a](b` `` is not a link).
fn without_code_spans(text: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in text.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// A heading's text as GitHub turns it into an anchor, before repeats are numbered.
fn slug(heading: &str) -> String {
    // `[text](url)` reads as its text; backticks, like other punctuation, are dropped.
    let mut text = String::new();
    let mut rest = heading;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|at| open + at) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|at| close + at) else {
            break;
        };
        text.push_str(&rest[..open]);
        text.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown text, as GitHub generates them from its headings.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        let Some(heading) = line[hashes..].strip_prefix(' ') else {
            continue;
        };
        if !(1..=6).contains(&hashes) {
            continue;
        }
        let heading = heading.trim_end().trim_end_matches('#');
        let base = slug(heading);
        let count = seen.entry(base.clone()).or_insert(0);
        let anchor = match *count {
            0 => base.clone(),
            n => format!("{base}-{n}"),
        };
        *count += 1;
        anchors.insert(anchor);
    }
    anchors
}

/// Every link target in a Markdown text (`[text](target)` and `![alt](target)`), with
/// its line, outside code blocks and code spans.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut links = Vec::new();
    for (number, line) in prose_lines(text) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let target = &rest[at + 2..];
            let Some(end) = target.find(')') else { break };
            let target = target[..end].split_whitespace().next().unwrap_or("");
            links.push((number, target.to_string()));
            rest = &rest[at + 2 + end..];
        }
    }
    links
}

/// What is wrong with each relative link of `file` (a path from the repository's root),
/// given the text of every Markdown file it may point into.
fn broken_links(file: &Path, text: &str, pages: &BTreeMap<PathBuf, String>) -> Vec<String> {
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut problems = Vec::new();
    for (line, target) in links(text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let place = format!("{}:{line}: link `{target}`", file.display());
        let (path, anchor) = match target.split_once('#') {
            Some((path, anchor)) => (path, Some(anchor)),
            None => (target.as_str(), None),
        };
        let linked = if path.is_empty() {
            file.to_path_buf()
        } else {
            normalize(&dir.join(path))
        };
        if path.is_empty() && anchor.is_none() {
            problems.push(format!("{place}: empty target"));
            continue;
        }
        if !path.is_empty() && !root().join(&linked).exists() {
            problems.push(format!("{place}: {} does not exist", linked.display()));
            continue;
        }
        let Some(anchor) = anchor else { continue };
        let Some(page) = pages.get(&linked) else {
            problems.push(format!(
                "{place}: an anchor into {}, which is not a Markdown page checked here",
                linked.display()
            ));
            continue;
        };
        let known = anchors(page);
        if !known.contains(anchor) {
            problems.push(format!(
                "{place}: {} has no heading with anchor #{anchor} (its anchors: {})",
                linked.display(),
                known.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    problems
}

/// `a/../b/./c` as `b/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The events docs/logs.md documents: the first cell of each row of a table whose first
/// column is headed `Event`, with their lines.
fn documented_events(text: &str) -> Vec<(usize, String)> {
    let mut events = Vec::new();
    let mut in_event_table = false;
    for (number, line) in prose_lines(text) {
        let line = line.trim();
        if !line.starts_with('|') {
            in_event_table = false;
            continue;
        }
        let first = line
            .trim_matches('|')
            .split('|')
            .next()
            .unwrap_or("")
            .trim();
        if first == "Event" {
            in_event_table = true;
        } else if in_event_table && !first.chars().all(|c| c == '-' || c == ':') {
            let name = first
                .strip_prefix('`')
                .and_then(|name| name.strip_suffix('`'))
                .unwrap_or(first);
            events.push((number, name.to_string()));
        }
    }
    events
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let pages: BTreeMap<PathBuf, String> = markdown_files()
        .into_iter()
        .map(|file| {
            let text = read(&file);
            (file, text)
        })
        .collect();
    let problems: Vec<String> = pages
        .iter()
        .flat_map(|(file, text)| broken_links(file, text, &pages))
        .collect();
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

/// Every fenced `yaml` block of `text` with a top-level `jobs:` key, with its first line.
fn whole_clock_files(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        match open.as_mut() {
            None if line.trim_end() == "```yaml" => open = Some((index + 2, String::new())),
            None => {}
            Some(_) if line.trim_end() == "```" => {
                let (first, block) = open.take().expect("an open block");
                if block.lines().any(|line| line.starts_with("jobs:")) {
                    blocks.push((first, block));
                }
            }
            Some((_, block)) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    blocks
}

#[test]
fn every_whole_clock_yml_in_the_docs_is_valid() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut checked = 0;
    let mut problems = Vec::new();
    for file in markdown_files() {
        for (line, block) in whole_clock_files(&read(&file)) {
            let path = dir.path().join("clock.yml");
            std::fs::write(&path, &block).expect("write the example");
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_clockctl"))
                .arg("validate")
                .arg(&path)
                .output()
                .expect("run clockctl validate");
            checked += 1;
            if !output.status.success() {
                problems.push(format!(
                    "{}:{line}: {}",
                    file.display(),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    assert!(checked >= 5, "only {checked} examples found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_event_the_code_can_emit_has_a_row_in_logs_md() {
    let documented: BTreeSet<String> = documented_events(&read(Path::new("docs/logs.md")))
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    let missing: Vec<&str> = EVENTS
        .iter()
        .copied()
        .filter(|event| !documented.contains(*event))
        .collect();
    assert!(
        missing.is_empty(),
        "the code can log these events (runtime::report::EVENTS), but docs/logs.md has no row \
         for them: {missing:?}; add a row `| `name` | level | keys | when |` to a table there \
         whose first column is headed `Event`"
    );
}

#[test]
fn logs_md_documents_no_event_the_code_cannot_emit() {
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for (line, name) in documented_events(&read(Path::new("docs/logs.md"))) {
        if !EVENTS.contains(&name.as_str()) {
            problems.push(format!(
                "docs/logs.md:{line}: event `{name}` is not one the code can log (it is not in \
                 runtime::report::EVENTS); remove its row, or fix its name"
            ));
        } else if !seen.insert(name.clone()) {
            problems.push(format!(
                "docs/logs.md:{line}: event `{name}` has a second row; give each event one"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    let text = "# heroku-clock\n\
                ## Date-times (`at`, `start`, `end`)\n\
                ### `clockctl validate [FILE]`\n\
                ## 3. Push\n\
                #### Steps restart at every hour, day, …\n\
                ## Why serde-saphyr, not serde_yaml\n\
                ## See [the page](other.md)\n\
                ## Settings\n\
                ```\n\
                # not a heading\n\
                ```\n\
                ## Settings\n\
                ## Settings ##\n\
                #nohashspace\n";
    let expected: BTreeSet<String> = [
        "heroku-clock",
        "date-times-at-start-end",
        "clockctl-validate-file",
        "3-push",
        "steps-restart-at-every-hour-day-",
        "why-serde-saphyr-not-serde_yaml",
        "see-the-page",
        "settings",
        "settings-1",
        "settings-2",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(anchors(text), expected);
}

#[test]
fn a_missing_file_or_anchor_is_reported_with_its_place() {
    // docs/logs.md exists on disk; its text here is a stand-in with one heading.
    let page = "# Top\n\n## Good heading\n\n\
                [ok](#good-heading) [ok](logs.md#there) [web](https://example.com/#x)\n\
                [bad](#no-such) `[code](not-a-link.md)`\n\
                [gone](missing.md) [off](logs.md#nowhere) [up](../README.md)\n";
    let pages: BTreeMap<PathBuf, String> = [
        (PathBuf::from("docs/page.md"), page.to_string()),
        (PathBuf::from("docs/logs.md"), "# There\n".to_string()),
    ]
    .into_iter()
    .collect();
    let problems = broken_links(Path::new("docs/page.md"), page, &pages);
    let starts = [
        "docs/page.md:6: link `#no-such`: docs/page.md has no heading with anchor #no-such",
        "docs/page.md:7: link `missing.md`: docs/missing.md does not exist",
        "docs/page.md:7: link `logs.md#nowhere`: docs/logs.md has no heading with anchor #nowhere",
    ];
    assert_eq!(problems.len(), starts.len(), "{problems:#?}");
    for (problem, start) in problems.iter().zip(starts) {
        assert!(
            problem.starts_with(start),
            "{problem:?} should start with {start:?}"
        );
    }
}

#[test]
fn event_rows_are_read_only_from_event_tables() {
    let text = "| Key | Meaning |\n|---|---|\n| `job` | the job |\n\n\
                | Event | Level |\n|-------|-------|\n| `started` | info |\n| `failed` | error |\n\
                some text\n| `reason` | Meaning |\n|---|---|\n| `overlap` | skip |\n\
                ```\n| Event |\n|---|\n| `in_code` |\n```\n";
    let names: Vec<(usize, String)> = documented_events(text);
    assert_eq!(
        names,
        [(7, "started".to_string()), (8, "failed".to_string())]
    );
}
