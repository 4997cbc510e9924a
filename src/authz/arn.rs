//! ARN patterns, as the `Resource` element and the `Arn` condition operators read them: six colon-separated
//! segments (`arn:partition:service:region:account:resource`), each matched on its own, case-sensitively,
//! with wildcards and policy variables; a `*` in the last segment also spans any `/` or `:` in it.

use super::pattern::{Lookup, Pattern, PatternError, Reading};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnPattern {
    /// `*`: every resource.
    Any,
    Segments(Box<[Pattern; 6]>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnPatternError {
    #[error("'{0}' is neither '*' nor an ARN (arn:partition:service:region:account:resource)")]
    NotAnArn(String),
    #[error("'{arn}': {source}")]
    Pattern { arn: String, source: PatternError },
}

/// The six segments of `text`, if it has them; the last keeps any further colons.
fn segments(text: &str) -> Option<[&str; 6]> {
    let mut parts = text.splitn(6, ':');
    let segments = [
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ];
    Some(segments)
}

impl ArnPattern {
    pub fn parse(text: &str, variables: bool) -> Result<ArnPattern, ArnPatternError> {
        if text == "*" {
            return Ok(ArnPattern::Any);
        }
        let not_an_arn = || ArnPatternError::NotAnArn(text.to_owned());
        let parts = segments(text).ok_or_else(not_an_arn)?;
        if parts[0] != "arn" {
            return Err(not_an_arn());
        }
        let reading = Reading {
            wildcards: true,
            variables,
        };
        let parse = |part: &str| {
            Pattern::parse(part, reading).map_err(|source| ArnPatternError::Pattern {
                arn: text.to_owned(),
                source,
            })
        };
        Ok(ArnPattern::Segments(Box::new([
            parse(parts[0])?,
            parse(parts[1])?,
            parse(parts[2])?,
            parse(parts[3])?,
            parse(parts[4])?,
            parse(parts[5])?,
        ])))
    }

    pub fn matches(&self, arn: &str, values: &dyn Lookup) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Segments(patterns) => segments(arn).is_some_and(|parts| {
                patterns
                    .iter()
                    .zip(parts)
                    .all(|(pattern, part)| pattern.matches(part, false, values))
            }),
        }
    }

    pub fn variable_keys(&self) -> impl Iterator<Item = &str> {
        let patterns: &[Pattern] = match self {
            ArnPattern::Any => &[],
            ArnPattern::Segments(patterns) => &patterns[..],
        };
        patterns.iter().flat_map(Pattern::variable_keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct User;

    impl Lookup for User {
        fn single(&self, key: &str) -> Option<&str> {
            (key == "aws:username").then_some("ci")
        }
    }

    #[test]
    fn arn_patterns_match_segment_by_segment() {
        let image = "arn:aws:sagemaker:us-east-1:111111111111:image/base";
        let version = "arn:aws:sagemaker:us-east-1:111111111111:image-version/base/3";
        // (pattern, ARN, matches)
        let cases = [
            ("*", image, true),
            ("arn:aws:sagemaker:*:*:image/*", image, true),
            ("arn:aws:sagemaker:*:*:image/*", version, false),
            ("arn:aws:sagemaker:*:*:image*", version, true),
            (
                "arn:aws:sagemaker:us-east-1:111111111111:image/base",
                image,
                true,
            ),
            (
                "arn:aws:sagemaker:us-east-1:111111111111:image/Base",
                image,
                false,
            ),
            ("arn:aws:sagemaker:eu-west-1:*:image/*", image, false),
            ("arn:aws:sagemaker:*:222222222222:*", image, false),
            ("arn:aws:*:*:*:*", image, true),
            ("arn:*:sagemaker:us-east-?:*:image/b*", image, true),
            // A `*` inside one segment does not reach into the next.
            (
                "arn:aws:sagemaker:*east-1:111111111111:image/base",
                image,
                true,
            ),
            (
                "arn:aws:sagemaker:*:*:image/${aws:username}",
                "arn:aws:sagemaker:r:1:image/ci",
                true,
            ),
            ("arn:aws:sagemaker:*:*:image/${aws:username}", image, false),
            (
                "arn:aws:iam::111111111111:role/ci-*",
                "arn:aws:iam::111111111111:role/ci-build",
                true,
            ),
            (
                "arn:aws:iam::*:role/ci-*",
                "arn:aws:iam::111111111111:role/admin",
                false,
            ),
            ("*", "not an arn", true),
            ("arn:aws:sagemaker:*:*:*", "not an arn", false),
        ];
        let mut failures = Vec::new();
        for (pattern, arn, expected) in cases {
            let parsed = ArnPattern::parse(pattern, true).expect(pattern);
            if parsed.matches(arn, &User) != expected {
                failures.push(format!("{pattern} ~ {arn}: expected {expected}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn what_is_not_an_arn_is_refused() {
        for text in ["", "image/*", "arn:aws:sagemaker", "aws:sagemaker:a:b:c:d"] {
            assert_eq!(
                ArnPattern::parse(text, true),
                Err(ArnPatternError::NotAnArn(text.to_owned())),
                "{text}"
            );
        }
    }
}
