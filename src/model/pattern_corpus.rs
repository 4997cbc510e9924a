//! Our matcher against Java's: `model/java-pattern-corpus.json` holds, for every pattern of the model, inputs
//! with `java.util.regex`'s answer (whole-value match), written by `tools/pattern-corpus`. Every answer of
//! ours must be Java's.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::fuzz::patterns;

const CORPUS: &str = include_str!("../../model/java-pattern-corpus.json");

#[derive(Deserialize)]
struct Corpus {
    java: String,
    patterns: Vec<PatternCases>,
}

#[derive(Deserialize)]
struct PatternCases {
    pattern: String,
    cases: Vec<(String, bool)>,
}

fn corpus() -> Corpus {
    serde_json::from_str(CORPUS).expect("the corpus is JSON")
}

#[test]
fn the_corpus_covers_every_pattern_of_the_model() {
    let corpus = corpus();
    let in_corpus: BTreeSet<&str> = corpus.patterns.iter().map(|p| p.pattern.as_str()).collect();
    let in_model: BTreeSet<&str> = patterns().iter().map(|p| p.source.as_str()).collect();
    assert_eq!(in_corpus, in_model, "run tools/pattern-corpus");
    for pattern in &corpus.patterns {
        let matching = pattern.cases.iter().filter(|(_, m)| *m).count();
        assert!(matching > 0, "{}: nothing matches", pattern.pattern);
        assert!(
            matching < pattern.cases.len(),
            "{}: everything matches",
            pattern.pattern
        );
        assert!(
            pattern.cases.iter().any(|(input, _)| !input.is_ascii()),
            "{}: no non-ASCII input",
            pattern.pattern
        );
    }
    assert!(
        corpus.java.starts_with("17."),
        "made with Java {}",
        corpus.java
    );
}

#[test]
fn our_matcher_answers_as_java_does() {
    let corpus = corpus();
    let model = patterns();
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for cases in &corpus.patterns {
        let Some(pattern) = model.iter().find(|p| p.source == cases.pattern) else {
            continue; // the test above names it
        };
        for (input, java) in &cases.cases {
            let ours = pattern.regex.is_match(input);
            if ours.as_ref().ok() != Some(java) {
                disagreements.push(format!(
                    "{} {input:?}: Java {java}, ours {ours:?}",
                    cases.pattern
                ));
            }
            checked += 1;
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {checked} answers differ from Java's:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(checked > 3000, "{checked}");
}
