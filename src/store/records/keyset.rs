//! The SQL of a page's position: its ORDER BY, the condition that continues after a cursor, and the time
//! bounds of a list query. Column names and directions come from fixed lists, never from input; every value
//! is a parameter.

use crate::domain::paging::{Cursor, SortValue};
use crate::store::db::Value;
use crate::store::{ListQuery, ListSort};

/// One read of a key walk: the NameContains value, the key to continue after, and how many keys.
pub(super) struct KeyRead<'a> {
    pub(super) part: &'a str,
    pub(super) after: Option<&'a Cursor>,
    pub(super) limit: usize,
}

/// The query's ORDER BY clause, and the condition (with its values) that continues after `after`. The
/// columns are named alike in the listed tables and their name-gram tables.
pub(super) fn keyset(query: &ListQuery, after: Option<&Cursor>) -> (String, String, Vec<Value>) {
    let (direction, beyond) = if query.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let sort_column = match query.sort {
        ListSort::CreationTime => "created_ms",
        ListSort::LastModifiedTime => "modified_ms",
        ListSort::Name => {
            let order = format!(" ORDER BY name_key {direction}");
            return match after {
                Some(cursor) => (
                    order,
                    format!(" AND name_key {beyond} ?"),
                    vec![Value::Text(cursor.key.clone())],
                ),
                None => (order, String::new(), Vec::new()),
            };
        }
    };
    let order = format!(" ORDER BY {sort_column} {direction}, name_key {direction}");
    match after {
        Some(cursor) => {
            let value = match &cursor.sort {
                SortValue::Time(t) => Value::Int(*t),
                SortValue::Text(s) => Value::Text(s.clone()),
            };
            (
                order,
                format!(" AND ({sort_column}, name_key) {beyond} (?, ?)"),
                vec![value, Value::Text(cursor.key.clone())],
            )
        }
        None => (order, String::new(), Vec::new()),
    }
}

/// A time column of the listed tables (`created_ms` also of the name-gram tables).
#[derive(Clone, Copy)]
pub(super) enum TimeColumn {
    Created,
    Modified,
}

impl TimeColumn {
    pub(super) fn column(self) -> &'static str {
        match self {
            TimeColumn::Created => "created_ms",
            TimeColumn::Modified => "modified_ms",
        }
    }

    /// The query's bounds on this column (inclusive), and their values.
    pub(super) fn bounds(self, query: &ListQuery) -> (String, Vec<Value>) {
        let (after, before) = match self {
            TimeColumn::Created => (query.created_after, query.created_before),
            TimeColumn::Modified => (query.modified_after, query.modified_before),
        };
        let mut sql = String::new();
        let mut values = Vec::new();
        for (bound, operator) in [(after, ">="), (before, "<=")] {
            if let Some(bound) = bound {
                sql.push_str(&format!(" AND {} {operator} ?", self.column()));
                values.push(Value::Int(bound));
            }
        }
        (sql, values)
    }
}
