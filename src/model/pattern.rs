//! Model patterns are Java regular expressions, matched against the whole value. This module turns one into
//! an anchored `fancy_regex::Regex` with Java's meaning of the classes that differ from Rust's:
//! `\d`, `\w`, `\s`, `\S` are ASCII-only in Java, and Java's `.` stops at every line terminator, not only `\n`.

use fancy_regex::Regex;

const JAVA_SPACE: &str = r" \t\n\x0B\x0C\r";
const JAVA_DOT: &str = r"[^\n\r\x{85}\x{2028}\x{2029}]";

/// Rewrites the Java-specific parts of `pattern` into the equivalent Rust syntax.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut in_class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                Some('w') => out.push_str(if in_class {
                    "a-zA-Z0-9_"
                } else {
                    "[a-zA-Z0-9_]"
                }),
                Some('s') if in_class => out.push_str(JAVA_SPACE),
                Some('s') => {
                    out.push('[');
                    out.push_str(JAVA_SPACE);
                    out.push(']');
                }
                Some('S') if !in_class => {
                    out.push_str("[^");
                    out.push_str(JAVA_SPACE);
                    out.push(']');
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` or `^]` right after the opening bracket is a literal, not the end of the class.
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '.' if !in_class => out.push_str(JAVA_DOT),
            _ => out.push(c),
        }
    }
    out
}

/// Compiles a model pattern so that it must match the whole value, as AWS's validation does.
pub fn compile(pattern: &str) -> Result<Regex, Box<fancy_regex::Error>> {
    Regex::new(&format!("^(?:{})$", translate(pattern))).map_err(Box::new)
}

/// The pattern as AWS quotes it in a validation message: anchored, unless the model already anchors it.
/// (The generator words the server's messages the same way, in `tools/generate_model.py`.)
#[cfg(any(test, feature = "fuzzing"))]
pub fn display(pattern: &str) -> String {
    if pattern.contains('^') {
        pattern.to_owned()
    } else {
        format!("^{pattern}$")
    }
}

#[cfg(test)]
mod tests {
    use super::compile;

    fn matches(pattern: &str, value: &str) -> bool {
        compile(pattern).unwrap().is_match(value).unwrap()
    }

    #[test]
    fn java_classes_are_ascii() {
        assert!(matches(r"\d{3}", "123"));
        assert!(
            !matches(r"\d{3}", "١٢٣"),
            "Arabic-Indic digits are not \\d in Java"
        );
        assert!(
            matches(r"\S(.*\S)?", "a\u{a0}"),
            "no-break space is not \\s in Java"
        );
        assert!(!matches(r"\S(.*\S)?", "a "));
        assert!(matches(r"arn:aws(-[\w]+)*:x", "arn:aws-cn:x"));
    }

    #[test]
    fn dot_stops_at_java_line_terminators() {
        assert!(matches(".*", "one line"));
        assert!(!matches(".*", "two\nlines"));
        assert!(!matches(".*", "two\rlines"));
        assert!(!matches(".*", "two\u{2028}lines"));
    }

    #[test]
    fn whole_value_must_match() {
        assert!(!matches("[a-z]+", "abc1"));
        assert!(matches("(^DisplayName$)|(^Description$)", "Description"));
        assert!(!matches("(^DisplayName$)|(^Description$)", "DisplayNameX"));
    }

    #[test]
    fn lookaheads_from_the_model_work() {
        assert!(matches(r"(?!\s*$).+", "x"));
        assert!(!matches(r"(?!\s*$).+", "   "));
        assert!(matches(r"(?!^[.-])^([a-zA-Z0-9-_.]+)", "latest"));
        assert!(!matches(r"(?!^[.-])^([a-zA-Z0-9-_.]+)", "-latest"));
    }
}
