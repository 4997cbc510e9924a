//! The fuzz target of the pattern matcher (`fuzz/fuzz_targets/pattern.rs`), and the replay of every
//! target's committed inputs as an ordinary test. Built for tests and with the `fuzzing` feature only.

use super::reference::{self, Shape, MODEL};

/// Every distinct pattern of the model, in order.
pub(crate) fn patterns() -> Vec<&'static reference::Pattern> {
    let mut patterns: Vec<&reference::Pattern> = MODEL
        .shapes
        .values()
        .filter_map(|shape| match shape {
            Shape::String {
                pattern: Some(p), ..
            } => Some(p),
            _ => None,
        })
        .collect();
    patterns.sort_by(|a, b| a.source.cmp(&b.source));
    patterns.dedup_by(|a, b| a.source == b.source);
    patterns
}

/// Pattern input: the first byte picks a model pattern, the rest (as text) is matched against it. The
/// matcher must answer (not give up on a backtracking limit), and answer the same twice.
pub fn pattern(data: &[u8]) {
    let patterns = patterns();
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let pattern = patterns[usize::from(*first) % patterns.len()];
    let text = String::from_utf8_lossy(rest);
    let answer = pattern.regex.is_match(&text);
    assert!(
        answer.is_ok(),
        "{}: {answer:?} for {text:?}",
        pattern.source
    );
    assert_eq!(
        answer.ok(),
        pattern.regex.is_match(&text).ok(),
        "{}",
        pattern.source
    );
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// What a fuzz target runs on one input.
    type Entry = fn(&[u8]);

    /// The fuzz targets, each with the function its `fuzz_targets/<name>.rs` calls.
    const TARGETS: &[(&str, Entry)] = &[
        ("authorization", crate::auth::fuzz::authorization),
        ("body", crate::protocol::fuzz::body),
        ("pattern", super::pattern),
        ("token", crate::domain::paging::fuzz::token),
    ];

    fn fuzz_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_fuzz_target_is_replayed() {
        let manifest =
            std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
        let mut declared: Vec<&str> = manifest
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|name| *name != "sagemaker-images-fuzz")
            .collect();
        declared.sort_unstable();
        let replayed: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
        assert_eq!(declared, replayed);
        for (name, _) in TARGETS {
            let source =
                std::fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{name}.rs")))
                    .expect("the target's source");
            let called = match *name {
                "authorization" => "auth::fuzz::authorization(".to_owned(),
                "token" => "domain::paging::fuzz::token(".to_owned(),
                "body" => "protocol::fuzz::body(".to_owned(),
                other => format!("model::fuzz::{other}("),
            };
            assert!(source.contains(&called), "{name} does not call {called}");
        }
    }

    /// Every committed corpus file and every crash input that became a regression runs through the same
    /// entry point as under the fuzzer.
    #[test]
    fn committed_fuzz_inputs_replay() {
        let mut failures = Vec::new();
        for (name, entry) in TARGETS {
            let corpus = files(&fuzz_dir().join("corpus").join(name));
            assert!(!corpus.is_empty(), "{name} has no committed corpus");
            let regressions = files(&fuzz_dir().join("regressions").join(name));
            for path in corpus.iter().chain(&regressions) {
                let data = std::fs::read(path).expect("a committed input");
                if std::panic::catch_unwind(|| entry(&data)).is_err() {
                    failures.push(path.display().to_string());
                }
            }
        }
        assert!(failures.is_empty(), "inputs that fail: {failures:#?}");
    }
}
