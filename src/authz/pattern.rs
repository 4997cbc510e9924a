//! The text patterns of a policy: `*` and `?` wildcards, and policy variables (`${aws:username}`) that
//! each request fills in. Patterns are read once, when the policy is loaded; a request only matches.

/// One unit of a pattern: a byte to match, a wildcard, or a variable to fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Byte(u8),
    /// `*`: any run of characters, the empty one included.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
    /// The variable at this index of [`Pattern::variables`].
    Variable(usize),
}

/// A policy variable: the (lower-cased) condition key whose value replaces it, and the value used when
/// the request has none (`${aws:username, 'nobody'}`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Variable {
    key: String,
    default: Option<String>,
}

/// How a pattern's text is read.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// `*` and `?` are wildcards (the `Like` operators, actions and resources), not characters.
    pub wildcards: bool,
    /// `${...}` is a policy variable: policies of version 2012-10-17 only, as in AWS.
    pub variables: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    units: Vec<Unit>,
    variables: Vec<Variable>,
    /// Text, then perhaps one `*` (`sagemaker:Describe*`, `*`, `us-east-1`), the shape of most of a
    /// policy's patterns: matched by comparing the text's start, without the general loop.
    prefix: Option<Prefix>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Prefix {
    literal: Box<[u8]>,
    /// A `*` follows: the text may go on.
    open: bool,
}

/// What is wrong with a pattern's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the policy variable starting at '{0}' has no closing '}}'")]
    UnclosedVariable(String),
    #[error("the policy variable '${{{0}}}' names no condition key")]
    EmptyVariable(String),
}

/// The values a request gives policy variables and conditions: condition key (lower case) → values.
pub trait Lookup {
    /// The key's single value, if the request has exactly one.
    fn single(&self, key: &str) -> Option<&str>;
}

impl Pattern {
    pub fn parse(text: &str, reading: Reading) -> Result<Pattern, PatternError> {
        let mut units = Vec::with_capacity(text.len());
        let mut variables = Vec::new();
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let byte = bytes[at];
            if reading.variables && byte == b'$' && bytes.get(at + 1) == Some(&b'{') {
                let rest = &text[at + 2..];
                let Some(end) = rest.find('}') else {
                    return Err(PatternError::UnclosedVariable(text[at..].to_owned()));
                };
                let inside = &rest[..end];
                match inside {
                    // The escapes of characters a pattern would otherwise read as wildcards.
                    "*" | "?" | "$" => units.push(Unit::Byte(inside.as_bytes()[0])),
                    _ => {
                        let (key, default) = match inside.split_once(',') {
                            Some((key, default)) => {
                                let default = default.trim();
                                let unquoted = default
                                    .strip_prefix('\'')
                                    .and_then(|d| d.strip_suffix('\''))
                                    .unwrap_or(default);
                                (key.trim(), Some(unquoted.to_owned()))
                            }
                            None => (inside.trim(), None),
                        };
                        if key.is_empty() {
                            return Err(PatternError::EmptyVariable(inside.to_owned()));
                        }
                        units.push(Unit::Variable(variables.len()));
                        variables.push(Variable {
                            key: key.to_ascii_lowercase(),
                            default,
                        });
                    }
                }
                at += 2 + end + 1;
                continue;
            }
            units.push(match byte {
                b'*' if reading.wildcards => Unit::AnyRun,
                b'?' if reading.wildcards => Unit::AnyOne,
                _ => Unit::Byte(byte),
            });
            at += 1;
        }
        Ok(Pattern::of(units, variables))
    }

    fn of(units: Vec<Unit>, variables: Vec<Variable>) -> Pattern {
        let literal: Vec<u8> = units
            .iter()
            .map_while(|unit| match unit {
                Unit::Byte(byte) => Some(*byte),
                _ => None,
            })
            .collect();
        let rest = &units[literal.len()..];
        let prefix = match rest {
            [] => Some(false),
            [Unit::AnyRun] => Some(true),
            _ => None,
        }
        .map(|open| Prefix {
            literal: literal.into(),
            open,
        });
        Pattern {
            units,
            variables,
            prefix,
        }
    }

    /// `text` with `*` and `?` as wildcards and no policy variables, as the Action element reads it.
    pub fn wildcards_only(text: &str) -> Pattern {
        let units = text.bytes().map(|byte| match byte {
            b'*' => Unit::AnyRun,
            b'?' => Unit::AnyOne,
            _ => Unit::Byte(byte),
        });
        Pattern::of(units.collect(), Vec::new())
    }

    /// The condition keys of the pattern's variables.
    pub fn variable_keys(&self) -> impl Iterator<Item = &str> {
        self.variables.iter().map(|v| v.key.as_str())
    }

    /// Whether `text` matches, with the request's values in place of the variables. A variable the request
    /// has no value for, and no default, matches nothing, as in AWS.
    pub fn matches(&self, text: &str, ignore_case: bool, values: &dyn Lookup) -> bool {
        if let Some(Prefix { literal, open }) = &self.prefix {
            let text = text.as_bytes();
            let Some(start) = text.get(..literal.len()) else {
                return false;
            };
            let same = match ignore_case {
                true => start.eq_ignore_ascii_case(literal),
                false => start == &literal[..],
            };
            return same && (*open || text.len() == literal.len());
        }
        if self.variables.is_empty() {
            return glob(&self.units, text.as_bytes(), ignore_case);
        }
        let mut filled = Vec::with_capacity(self.units.len() + 16);
        for unit in &self.units {
            match unit {
                Unit::Variable(index) => {
                    let variable = &self.variables[*index];
                    let Some(value) = values.single(&variable.key).or(variable.default.as_deref())
                    else {
                        return false;
                    };
                    // A variable's value is literal text: its `*` is no wildcard.
                    filled.extend(value.bytes().map(Unit::Byte));
                }
                unit => filled.push(*unit),
            }
        }
        glob(&filled, text.as_bytes(), ignore_case)
    }
}

/// The length of the UTF-8 character that starts with `first`.
fn char_len(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Wildcard matching in linear space: on a mismatch, the last `*` takes one more character.
fn glob(units: &[Unit], text: &[u8], ignore_case: bool) -> bool {
    let (mut u, mut t) = (0, 0);
    // The last `*` seen, and where in the text its run ended.
    let mut retry: Option<(usize, usize)> = None;
    while t < text.len() {
        match units.get(u) {
            Some(Unit::AnyRun) => {
                retry = Some((u, t));
                u += 1;
                continue;
            }
            Some(Unit::AnyOne) => {
                u += 1;
                t += char_len(text[t]);
                continue;
            }
            Some(Unit::Byte(b))
                if *b == text[t] || (ignore_case && b.eq_ignore_ascii_case(&text[t])) =>
            {
                u += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        let Some((star, end)) = retry else {
            return false;
        };
        let end = end + char_len(text[end]);
        retry = Some((star, end));
        u = star + 1;
        t = end;
    }
    units[u.min(units.len())..]
        .iter()
        .all(|unit| *unit == Unit::AnyRun)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Values(&'static [(&'static str, &'static str)]);

    impl Lookup for Values {
        fn single(&self, key: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
    }

    const LIKE: Reading = Reading {
        wildcards: true,
        variables: true,
    };
    const EQUALS: Reading = Reading {
        wildcards: false,
        variables: true,
    };

    #[test]
    fn patterns_match_as_aws_documents_them() {
        let values = Values(&[
            ("aws:username", "ci"),
            ("aws:principalaccount", "111111111111"),
        ]);
        // (pattern, reading, ignore case, text, matches)
        let cases = [
            ("*", LIKE, false, "", true),
            ("*", LIKE, false, "anything at all", true),
            ("Describe*", LIKE, false, "DescribeImage", true),
            ("Describe*", LIKE, false, "describeimage", false),
            ("Describe*", LIKE, true, "describeimage", true),
            ("*Image", LIKE, false, "DescribeImageVersion", false),
            ("*Image*", LIKE, false, "DescribeImageVersion", true),
            ("List?mages", LIKE, false, "ListImages", true),
            ("List?mages", LIKE, false, "ListIImages", false),
            ("a?c", LIKE, false, "aéc", true),
            ("a*b*c", LIKE, false, "axxbyyc", true),
            ("a*b*c", LIKE, false, "axxbyy", false),
            ("prod-*", LIKE, false, "prod-", true),
            ("a*", EQUALS, false, "ab", false),
            ("a*", EQUALS, false, "a*", true),
            ("home/${aws:username}/*", LIKE, false, "home/ci/x", true),
            ("home/${aws:username}/*", LIKE, false, "home/other/x", false),
            ("${aws:username}", EQUALS, false, "ci", true),
            ("${aws:userid}", EQUALS, false, "", false),
            ("${aws:userid, 'nobody'}", EQUALS, false, "nobody", true),
            ("${AWS:UserName}", EQUALS, false, "ci", true),
            ("a${*}b", LIKE, false, "a*b", true),
            ("a${*}b", LIKE, false, "axb", false),
            ("${?}${$}", LIKE, false, "?$", true),
        ];
        let mut failures = Vec::new();
        for (pattern, reading, ignore_case, text, expected) in cases {
            let parsed = Pattern::parse(pattern, reading).expect(pattern);
            if parsed.matches(text, ignore_case, &values) != expected {
                failures.push(format!("{pattern} ~ {text:?}: expected {expected}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn a_variable_is_literal_text_only_when_variables_are_off() {
        let off = Reading {
            wildcards: true,
            variables: false,
        };
        let parsed = Pattern::parse("${aws:username}", off).expect("parses");
        assert!(parsed.matches("${aws:username}", false, &Values(&[])));
    }

    #[test]
    fn broken_variables_are_refused() {
        assert_eq!(
            Pattern::parse("a${aws:username", LIKE),
            Err(PatternError::UnclosedVariable("${aws:username".to_owned()))
        );
        assert_eq!(
            Pattern::parse("${ }", LIKE),
            Err(PatternError::EmptyVariable(" ".to_owned()))
        );
    }
}
