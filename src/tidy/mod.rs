//! Tidy tests: rules about the source tree itself, read from the files of the tree (in the manner of
//! rust-analyzer's). Each layer imports only what ARCHITECTURE.md lets it, no two modules import each
//! other (`circles.rs`), and no hand-written Rust file of `src/`, `tests/` or `benches/` grows past
//! [`MAX_LINES`].
//!
//! The import rule reads the code that ships: comments, string and character literals are blanked first,
//! and `#[cfg(test)]` modules (inline, or files declared so) are left out, since a test may check what a
//! layer's errors become on the wire.

mod circles;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// What a layer must not import. `protocol` is this crate's module; `axum` and `http` are crates.
struct LayerRule {
    layer: &'static str,
    forbidden: &'static [Import],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Import {
    /// `crate::protocol`, the AWS JSON 1.1 envelope and the one mapping of errors to the wire.
    Protocol,
    /// `crate::store`, the storage seam.
    Store,
    Axum,
    Http,
}

const NO_WIRE: &[Import] = &[Import::Protocol, Import::Axum, Import::Http];

const LAYER_RULES: &[LayerRule] = &[
    LayerRule {
        layer: "domain",
        forbidden: NO_WIRE,
    },
    LayerRule {
        layer: "store",
        forbidden: NO_WIRE,
    },
    LayerRule {
        layer: "model",
        forbidden: NO_WIRE,
    },
    // Auth reads HTTP requests, so it may use `http`; its refusals are its own `AuthError`.
    LayerRule {
        layer: "auth",
        forbidden: &[Import::Protocol],
    },
    // Authorisation is a pure function of its inputs: the server reads the request and the stored tags.
    LayerRule {
        layer: "authz",
        forbidden: &[Import::Protocol, Import::Store, Import::Axum, Import::Http],
    },
];

/// The most lines a hand-written source file may have. Generated files (`generated.rs`) are exempt.
const MAX_LINES: usize = 600;

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `source` with every comment, string literal and character literal replaced by spaces (line breaks
/// kept), so that what is left is code, and braces balance.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |out: &mut String, text: &[char]| {
        out.extend(text.iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
    };
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let end = if rest.starts_with(&['/', '/']) {
            rest.iter().position(|&c| c == '\n').unwrap_or(rest.len())
        } else if rest.starts_with(&['/', '*']) {
            block_comment_len(rest)
        } else if let Some(len) = raw_string_len(rest) {
            len
        } else if rest[0] == '"' || rest.starts_with(&['b', '"']) {
            let open = usize::from(rest[0] == 'b') + 1;
            open + quoted_len(&rest[open..], '"')
        } else if rest[0] == '\'' && is_char_literal(rest) {
            1 + quoted_len(&rest[1..], '\'')
        } else {
            // An identifier is copied whole, so that the `b` or `r` ending one starts no literal.
            let len = rest
                .iter()
                .position(|&c| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())
                .max(1);
            out.extend(&rest[..len]);
            i += len;
            continue;
        };
        blank(&mut out, &rest[..end]);
        i += end;
    }
    out
}

/// The length of a (possibly nested) block comment at the start of `text`.
fn block_comment_len(text: &[char]) -> usize {
    let (mut depth, mut i) = (0, 0);
    while i < text.len() {
        if text[i..].starts_with(&['/', '*']) {
            depth += 1;
            i += 2;
        } else if text[i..].starts_with(&['*', '/']) {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    text.len()
}

/// The length of a raw string (`r"…"`, `r#"…"#`, `br"…"`) at the start of `text`, if one starts there.
fn raw_string_len(text: &[char]) -> Option<usize> {
    let start = if text.starts_with(&['b', 'r']) {
        2
    } else if text.starts_with(&['r']) {
        1
    } else {
        return None;
    };
    let hashes = text[start..].iter().take_while(|&&c| c == '#').count();
    if text.get(start + hashes) != Some(&'"') {
        return None;
    }
    let body = start + hashes + 1;
    let closing: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    let len = (body..text.len())
        .find(|&at| text[at..].starts_with(&closing))
        .map_or(text.len(), |at| at + closing.len());
    Some(len)
}

/// The length up to and including the `quote` that closes `text`, skipping escaped characters.
fn quoted_len(text: &[char], quote: char) -> usize {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            '\\' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    text.len()
}

/// `'x'` or `'\n'` is a character; `'a` alone is a lifetime or a label.
fn is_char_literal(text: &[char]) -> bool {
    text.get(1) == Some(&'\\') || text.get(2) == Some(&'\'')
}

/// `code` without its inline `#[cfg(test)] mod name { … }` modules.
fn without_test_modules(code: &str) -> String {
    const TEST_ONLY: &str = "#[cfg(test)]";
    let mut kept = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find(TEST_ONLY) {
        let item = rest[at + TEST_ONLY.len()..].trim_start();
        let item_start = rest.len() - item.len();
        let declaration = item.split(['{', ';']).next().unwrap_or_default();
        let is_module = declaration.split_whitespace().any(|word| word == "mod");
        let open = item.find('{').filter(|&brace| brace == declaration.len());
        let Some(open) = open.filter(|_| is_module).map(|brace| item_start + brace) else {
            kept.push_str(&rest[..item_start]);
            rest = &rest[item_start..];
            continue;
        };
        kept.push_str(&rest[..at]);
        let mut depth = 0usize;
        let mut close = rest.len();
        for (offset, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + offset + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[close..];
    }
    kept.push_str(rest);
    kept
}

/// The modules `code` declares as files (`mod name;`), each with whether it is `#[cfg(test)]`.
fn file_modules(code: &str) -> Vec<(String, bool)> {
    code.split_inclusive([';', '{', '}'])
        .filter_map(|statement| {
            let statement = statement.strip_suffix(';')?;
            let compact = statement.split_whitespace().collect::<Vec<_>>().join(" ");
            // What follows the attributes: `mod name`, after a visibility if any.
            let declaration = compact.rsplit(']').next().unwrap_or(&compact);
            let words: Vec<&str> = declaration.split_whitespace().collect();
            let [.., "mod", name] = words.as_slice() else {
                return None;
            };
            Some(((*name).to_owned(), compact.contains("#[cfg(test)]")))
        })
        .collect()
}

/// The files of the module tree under `src/` that are compiled for tests only.
fn test_only_files(src: &Path) -> BTreeSet<PathBuf> {
    let mut test_only = BTreeSet::new();
    let mut pending: Vec<(PathBuf, bool)> = ["lib.rs", "main.rs"]
        .iter()
        .map(|root| (src.join(root), false))
        .collect();
    while let Some((file, is_test)) = pending.pop() {
        if is_test {
            test_only.insert(file.clone());
        }
        let parent = match file.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "main.rs" | "mod.rs") => file.parent().map(Path::to_path_buf),
            _ => Some(file.with_extension("")),
        };
        let Some(dir) = parent else { continue };
        for (name, declared_test) in file_modules(&code_only(&read(&file))) {
            let flat = dir.join(format!("{name}.rs"));
            let child = if flat.exists() {
                flat
            } else {
                dir.join(&name).join("mod.rs")
            };
            if child.exists() {
                pending.push((child, is_test || declared_test));
            }
        }
    }
    test_only
}

/// The forbidden imports `code` (comments and literals blanked, test modules removed) makes.
fn imports_in(code: &str, forbidden: &[Import]) -> BTreeSet<Import> {
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut found = BTreeSet::new();
    for import in forbidden {
        let hit = match import {
            Import::Protocol => names_module(code, &words, "protocol"),
            Import::Store => names_module(code, &words, "store"),
            Import::Axum => words.iter().any(|w| path_names(w, "axum")),
            Import::Http => words.iter().any(|w| path_names(w, "http")),
        };
        if hit {
            found.insert(*import);
        }
    }
    found
}

/// True when `code` (split into `words`) names this crate's module `module`, by a path or in a group.
fn names_module(code: &str, words: &[&str], module: &str) -> bool {
    words.iter().any(|w| {
        [format!("crate::{module}"), format!("super::{module}")]
            .iter()
            .any(|p| w.starts_with(p.as_str()) && !w[p.len()..].starts_with(char::is_alphanumeric))
    }) || grouped_from_crate(code).iter().any(|item| item == module)
}

/// True when the path `word` names the crate `name` (`name::…`, `::name::…`, `axum::name::…`).
fn path_names(word: &str, name: &str) -> bool {
    word.trim_start_matches(':')
        .split("::")
        .collect::<Vec<_>>()
        .windows(2)
        .any(|pair| pair[0].trim_start_matches('{') == name)
}

/// The first names of the items of every `use crate::{…}` group in `code`.
fn grouped_from_crate(code: &str) -> Vec<String> {
    let mut items = Vec::new();
    for prefix in ["crate::{", "super::{"] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let group = &rest[at + prefix.len()..];
            let mut depth = 1usize;
            let mut start = 0;
            for (offset, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => {
                        items.push(group[start..offset].to_owned());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        items.push(group[start..offset].to_owned());
                        start = offset + 1;
                    }
                    _ => {}
                }
            }
            rest = group;
        }
    }
    items
        .iter()
        .filter_map(|item| item.split("::").next())
        .map(|first| first.trim().to_owned())
        .collect()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(crate_root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[test]
fn layers_import_only_what_they_may() {
    let src = crate_root().join("src");
    let test_only = test_only_files(&src);
    let mut breaches = Vec::new();
    for rule in LAYER_RULES {
        for file in rust_files(&src.join(rule.layer)) {
            if test_only.contains(&file) {
                continue;
            }
            let code = without_test_modules(&code_only(&read(&file)));
            let found = imports_in(&code, rule.forbidden);
            if found.is_empty() {
                continue;
            }
            breaches.push(format!(
                "{} ({}) imports {found:?}",
                relative(&file),
                rule.layer
            ));
        }
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));
}

/// The trees whose hand-written files the line limit holds to: the code, its tests and its benchmarks.
const LIMITED_TREES: [&str; 3] = ["src", "tests", "benches"];

#[test]
fn no_hand_written_file_is_too_long() {
    let mut breaches = Vec::new();
    let files = LIMITED_TREES
        .iter()
        .flat_map(|tree| rust_files(&crate_root().join(tree)));
    for file in files {
        if file.file_name().is_some_and(|n| n == "generated.rs") {
            continue;
        }
        let lines = read(&file).lines().count();
        if lines > MAX_LINES {
            breaches.push(format!(
                "{} has {lines} lines, over {MAX_LINES}",
                relative(&file)
            ));
        }
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));
}

#[test]
fn the_import_rule_sees_every_way_of_naming_a_forbidden_module() {
    use Import::*;
    #[rustfmt::skip]
    let cases: [(&str, &str, &[Import]); 13] = [
        ("a plain use", "use crate::protocol::ApiError;", &[Protocol]),
        ("the module itself", "use crate::protocol;", &[Protocol]),
        ("a group", "use crate::{domain::Scope, protocol::{self, ApiError}};", &[Protocol]),
        ("a group over lines", "use crate::{\n    domain,\n    protocol,\n};", &[Protocol]),
        ("the store", "use crate::{store::Store, domain};", &[Store]),
        ("a path in code", "fn f() -> crate::protocol::ApiError { todo!() }", &[Protocol]),
        ("from the crate root's child", "use super::protocol::ApiError;", &[Protocol]),
        ("axum's http", "use axum::http::HeaderMap;", &[Axum, Http]),
        ("http in a group", "use axum::{body::Body, http::StatusCode};", &[Axum, Http]),
        ("the http crate", "fn f(_: &::http::Request<()>) {}", &[Http]),
        ("a name that only starts alike", "use crate::protocols::X; use my_http::Y;", &[]),
        ("comments and strings", "// crate::protocol::ApiError\nconst A: &str = \"axum::http\";", &[]),
        ("a test module", "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::protocol::ApiError;\n}\nfn g() {}", &[]),
    ];
    let mut wrong = Vec::new();
    for (name, source, expected) in cases {
        let code = without_test_modules(&code_only(source));
        let everything = [Protocol, Store, Axum, Http];
        let found: Vec<Import> = imports_in(&code, &everything).into_iter().collect();
        if found != expected {
            wrong.push(format!("{name}: found {found:?}, expected {expected:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn code_after_a_test_module_is_still_read() {
    let source = "#[cfg(test)]\nmod tests {\n    fn f() { let _ = '{'; }\n}\nuse crate::protocol;";
    let code = without_test_modules(&code_only(source));
    assert!(
        imports_in(&code, NO_WIRE).contains(&Import::Protocol),
        "{code}"
    );
}

#[test]
fn modules_declared_for_tests_only_are_known() {
    let source = "mod a;\n#[cfg(test)]\nmod b;\n#[cfg(any(test, feature = \"fuzzing\"))]\npub mod c;\npub(crate) mod d;\nmod e {}";
    assert_eq!(
        file_modules(&code_only(source)),
        [("a", false), ("b", true), ("c", false), ("d", false)]
            .map(|(name, test)| (name.to_owned(), test))
    );
}

/// `src/model/generated.rs` is what `tools/generate_model.py` writes from the model slice today: a
/// hand edit, or a slice changed without running the generator, fails here, not only in the Python suite.
#[test]
fn the_generated_model_is_not_stale() {
    let checked = std::process::Command::new("python3")
        .args(["tools/generate_model.py", "--check"])
        .current_dir(crate_root())
        .output()
        .expect("python3 runs tools/generate_model.py");
    assert!(
        checked.status.success(),
        "{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}
