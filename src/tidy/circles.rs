//! No two modules of `src/` import each other, directly or around a longer circle. A module includes its
//! submodules: a path from `control::state` to `console::requests` makes `control` import `console`, as
//! it makes `state` nothing of `requests` (they are not siblings). A parent and its own submodules may name
//! each other (that is how a module tree is built), so only paths between siblings count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{code_only, read, relative, rust_files, test_only_files, without_test_modules};

/// The module a file is: `src/store/records/images.rs` is `store::records::images`, `src/control/mod.rs`
/// is `control`, `src/lib.rs` the root (empty).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Every path that starts with `crate::` or `super::` in `code`, with `use` groups spread out:
/// `crate::a::{b, c::{d, e}}` is `a::b`, `a::c::d`, `a::c::e`, each from the crate root (`super::`
/// resolved against `module`).
pub(super) fn paths_in(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(found) = code[from..].find(start) {
            let at = from + found;
            from = at + start.len();
            let inside_a_word = at > 0
                && (bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':');
            if inside_a_word {
                continue;
            }
            let (tree, _) = path_tree(&code[at..]);
            for path in tree {
                if let Some(resolved) = resolve(&path, module) {
                    paths.push(resolved);
                }
            }
        }
    }
    paths
}

/// The paths a path expression at the start of `text` spells out, and how much of `text` it took.
fn path_tree(text: &str) -> (Vec<Vec<String>>, usize) {
    let mut prefix: Vec<String> = Vec::new();
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if let Some(group) = trimmed.strip_prefix('{') {
            at += 1;
            let mut paths = Vec::new();
            let mut inner = &text[at..];
            while !inner.trim_start().starts_with('}') && !inner.is_empty() {
                let (branch, taken) = path_tree(inner);
                paths.extend(
                    branch
                        .into_iter()
                        .map(|tail| [prefix.clone(), tail].concat()),
                );
                at += taken;
                inner = &text[at..];
                let skipped =
                    inner.len() - inner.trim_start_matches([',', ' ', '\n', '\t', '\r']).len();
                at += skipped;
                inner = &text[at..];
                if taken == 0 && skipped == 0 {
                    break;
                }
            }
            let _ = group;
            return (paths, at + usize::from(text[at..].starts_with('}')));
        }
        let length = trimmed
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(trimmed.len());
        if length == 0 {
            return (vec![prefix], at);
        }
        prefix.push(trimmed[..length].to_owned());
        at += length;
        match text[at..].strip_prefix("::") {
            Some(_) => at += 2,
            None => return (vec![prefix], at),
        }
    }
}

/// `path` from the crate root: `crate::a` is `a`; each leading `super` steps up from `module`.
fn resolve(path: &[String], module: &[String]) -> Option<Vec<String>> {
    match path.first().map(String::as_str) {
        Some("crate") => Some(path[1..].to_vec()),
        Some("super") => {
            let ups = path.iter().take_while(|part| *part == "super").count();
            let base = module.len().checked_sub(ups)?;
            Some([&module[..base], &path[ups..]].concat())
        }
        _ => None,
    }
}

/// The longest prefix of `path` that is a module of the tree.
fn module_named(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|length| path[..length].to_vec())
        .find(|prefix| modules.contains(prefix))
}

/// The modules in a circle, each circle once (strongly connected components of more than one module).
pub(super) fn circles(
    edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
) -> Vec<Vec<Vec<String>>> {
    let reaches = |from: &Vec<String>| {
        let mut seen = BTreeSet::new();
        let mut pending = vec![from.clone()];
        while let Some(module) = pending.pop() {
            for next in edges.get(&module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    pending.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<_, _> = edges.keys().map(|m| (m.clone(), reaches(m))).collect();
    let mut placed = BTreeSet::new();
    let mut found = Vec::new();
    for (module, reached) in &reach {
        if placed.contains(module) || !reached.contains(module) {
            continue;
        }
        let circle: Vec<_> = reached
            .iter()
            .filter(|other| reach.get(*other).is_some_and(|back| back.contains(module)))
            .cloned()
            .collect();
        placed.extend(circle.iter().cloned());
        found.push(circle);
    }
    found
}

/// The two siblings a path from `from` to `to` runs between: the children of their deepest common
/// ancestor on either side. None when one contains the other.
fn siblings(from: &[String], to: &[String]) -> Option<(Vec<String>, Vec<String>)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if common == from.len() || common == to.len() {
        return None;
    }
    Some((from[..=common].to_vec(), to[..=common].to_vec()))
}

#[test]
fn no_modules_import_each_other() {
    let src = super::crate_root().join("src");
    let tests_only = test_only_files(&src);
    let files: Vec<_> = rust_files(&src)
        .into_iter()
        .filter(|file| !tests_only.contains(file))
        .collect();
    let modules: BTreeSet<_> = files.iter().map(|file| module_of(&src, file)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        let code = without_test_modules(&code_only(&read(file)));
        for path in paths_in(&code, &module) {
            let Some(target) = module_named(&path, &modules) else {
                continue;
            };
            if let Some((from, to)) = siblings(&module, &target) {
                edges.entry(to.clone()).or_default();
                edges.entry(from).or_default().insert(to);
            }
        }
    }
    let found = circles(&edges);
    let shown: Vec<String> = found
        .iter()
        .map(|circle| {
            circle
                .iter()
                .map(|module| {
                    format!(
                        "{} -> {:?}",
                        module.join("::"),
                        edges[module]
                            .iter()
                            .filter(|m| circle.contains(m))
                            .map(|m| m.join("::"))
                            .collect::<Vec<_>>()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect();
    assert!(
        found.is_empty(),
        "modules of src/ that import each other (break the circle: a module both use, or one place \
         for what reaches across): {shown:#?} (read from {})",
        relative(&src)
    );
}

#[test]
fn paths_are_read_whole_from_use_groups_and_code() {
    let here = [
        "store".to_owned(),
        "records".to_owned(),
        "images".to_owned(),
    ];
    let cases: [(&str, &[&str]); 6] = [
        ("use crate::domain::tags::Tag;", &["domain::tags::Tag"]),
        (
            "use crate::domain::{image::{self, X}, lifecycle::Lifecycle};",
            &[
                "domain::image::self",
                "domain::image::X",
                "domain::lifecycle::Lifecycle",
            ],
        ),
        (
            "use super::tags::replace_tags;",
            &["store::records::tags::replace_tags"],
        ),
        ("use super::super::db::Db;", &["store::db::Db"]),
        (
            "fn f(s: &crate::console::Sessions) {}",
            &["console::Sessions"],
        ),
        ("let a = my_crate::x; use supercrate::y;", &[]),
    ];
    for (code, expected) in cases {
        let found: Vec<String> = paths_in(code, &here).iter().map(|p| p.join("::")).collect();
        assert_eq!(found, expected, "{code}");
    }
}

#[test]
fn a_circle_is_found_however_long() {
    let module = |name: &str| vec![name.to_owned()];
    let graph = |pairs: &[(&str, &str)]| {
        let mut edges: BTreeMap<_, BTreeSet<_>> = BTreeMap::new();
        for (from, to) in pairs {
            edges.entry(module(from)).or_default().insert(module(to));
            edges.entry(module(to)).or_default();
        }
        edges
    };
    assert!(circles(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
    assert_eq!(
        circles(&graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])),
        vec![vec![module("a"), module("b"), module("c")]]
    );
    assert_eq!(
        circles(&graph(&[("a", "b"), ("b", "a"), ("c", "d"), ("d", "c")])).len(),
        2
    );
}
