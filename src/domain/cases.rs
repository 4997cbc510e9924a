//! What the domain's table tests share: a record of the cases whose outcome was not the one expected,
//! so that every failing case of a table is named at once instead of the first hiding the rest.

use std::fmt::Debug;

#[derive(Default)]
pub struct Failures(Vec<String>);

impl Failures {
    /// Notes `case` as failed unless `seen` is `expected`.
    pub fn check<T: PartialEq + Debug>(&mut self, case: &str, seen: T, expected: T) {
        if seen != expected {
            self.0.push(format!(
                "{case}:\n    saw      {seen:?}\n    expected {expected:?}"
            ));
        }
    }

    /// Fails, naming every failed case, if there was one.
    pub fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} case(s) failed:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}
