//! The little each SQL engine must offer the shared record code (`records/`): run a statement with
//! parameters and hand back rows of owned values, each column known by the name the statement gives it.
//! SQL is written once with `?` placeholders; the PostgreSQL adapter numbers them.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::StoreError;

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        v.as_ref().map(Value::from).unwrap_or(Value::Null)
    }
}

/// The names of a result's columns, in the statement's order; shared by every row of that result, and
/// kept by the engines with the statement, so that a name is compared in full once per statement.
#[derive(Clone)]
pub struct ColumnNames(Arc<[ColumnName]>);

struct ColumnName {
    name: Box<str>,
    /// The address of a `&'static str` found equal to `name`: a read that names the column by the same
    /// string (a literal in the record's reader) then matches it without comparing the text.
    known_as: AtomicUsize,
}

impl ColumnName {
    fn is(&self, column: &'static str) -> bool {
        if self.known_as.load(Ordering::Relaxed) == column.as_ptr() as usize
            && self.name.len() == column.len()
        {
            // Static text is never freed, so the same address and length are the same text.
            return true;
        }
        let equal = *self.name == *column;
        if equal {
            self.known_as
                .store(column.as_ptr() as usize, Ordering::Relaxed);
        }
        equal
    }
}

impl FromIterator<Box<str>> for ColumnNames {
    fn from_iter<I: IntoIterator<Item = Box<str>>>(names: I) -> Self {
        ColumnNames(
            names
                .into_iter()
                .map(|name| ColumnName {
                    name,
                    known_as: AtomicUsize::new(0),
                })
                .collect(),
        )
    }
}

/// One result row. Its values are read by column name, so that a record's reader does not depend on
/// where a statement lists its columns (a statement may add columns of its own, such as a join key).
pub struct Row {
    columns: ColumnNames,
    values: Vec<Value>,
    /// Where the next column read is looked for first: just after the last one found. A record is read
    /// in the order its statement lists the columns, so each read then compares one name, not a
    /// search of them all (which cost a ListImages page of 100 about 5% more instructions).
    next: Cell<usize>,
}

impl Row {
    /// A row of `values`, named by `columns` in the same order.
    pub fn new(columns: ColumnNames, values: Vec<Value>) -> Row {
        Row {
            columns,
            values,
            next: Cell::new(0),
        }
    }

    /// The value of `column`, found first where the last read ended (see `next`). Inlined into each
    /// accessor, so that a hit costs a few comparisons and no call.
    #[inline]
    fn value(&self, column: &'static str) -> Option<&Value> {
        let guess = self.next.get();
        let index = match self.columns.0.get(guess) {
            Some(name) if name.is(column) => guess,
            _ => self.columns.0.iter().position(|name| name.is(column))?,
        };
        self.next.set(index + 1);
        self.values.get(index)
    }

    pub fn int(&self, column: &'static str) -> Result<i64, StoreError> {
        match self.value(column) {
            Some(Value::Int(v)) => Ok(*v),
            Some(other) => Err(mismatch(column, "an integer", other)),
            None => Err(missing(column)),
        }
    }

    pub fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        match self.value(column) {
            Some(Value::Null) => Ok(None),
            Some(Value::Int(v)) => Ok(Some(*v)),
            Some(other) => Err(mismatch(column, "an integer", other)),
            None => Err(missing(column)),
        }
    }

    pub fn text(&self, column: &'static str) -> Result<String, StoreError> {
        match self.value(column) {
            Some(Value::Text(v)) => Ok(v.clone()),
            Some(other) => Err(mismatch(column, "text", other)),
            None => Err(missing(column)),
        }
    }

    pub fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        match self.value(column) {
            Some(Value::Null) => Ok(None),
            Some(Value::Text(v)) => Ok(Some(v.clone())),
            Some(other) => Err(mismatch(column, "text", other)),
            None => Err(missing(column)),
        }
    }

    pub fn bytes(&self, column: &'static str) -> Result<Vec<u8>, StoreError> {
        match self.value(column) {
            Some(Value::Bytes(v)) => Ok(v.clone()),
            Some(other) => Err(mismatch(column, "bytes", other)),
            None => Err(missing(column)),
        }
    }
}

/// A column the statement does not return: a fault of the SQL, reported as corrupt data, not a panic.
#[cold]
fn missing(column: &'static str) -> StoreError {
    StoreError::Corrupt(format!("the result has no column {column}"))
}

#[cold]
fn mismatch(column: &'static str, wanted: &str, found: &Value) -> StoreError {
    StoreError::Corrupt(format!(
        "column {column}: expected {wanted}, found {found:?}"
    ))
}

/// A record read whole from one row, by column name.
pub trait FromRow: Sized {
    fn from_row(row: &Row) -> Result<Self, StoreError>;
}

/// A connection or transaction of either engine.
pub trait Db {
    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs several statements without parameters (migrations).
    fn batch(&self, sql: &str) -> Result<(), StoreError>;
    /// Whether a change must lock the rows it decides on (`SELECT ... FOR UPDATE`). SQLite runs one
    /// writer at a time and has no such clause; PostgreSQL runs changes concurrently.
    fn locks_rows(&self) -> bool {
        false
    }
    /// Whether ordered reads joined by `UNION ALL ... ORDER BY ... LIMIT` need a LIMIT (and ORDER BY) of
    /// their own to be merged in order instead of read whole and sorted. PostgreSQL's planner merges them
    /// only then; SQLite merges them as they are, and would sort each one that is a limited subquery.
    fn limits_union_arms(&self) -> bool {
        false
    }

    fn query_opt(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

impl dyn Db + '_ {
    /// Every row of the result, each read into a `T`.
    pub fn query_as<T: FromRow>(&self, sql: &str, params: &[Value]) -> Result<Vec<T>, StoreError> {
        self.query(sql, params)?.iter().map(T::from_row).collect()
    }

    /// The first row of the result, if any, read into a `T`.
    pub fn query_opt_as<T: FromRow>(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<Option<T>, StoreError> {
        self.query_opt(sql, params)?
            .map(|row| T::from_row(&row))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::{ColumnNames, Row, Value};
    use crate::store::StoreError;

    fn row() -> Row {
        Row::new(
            ["name", "due_ms", "version"]
                .map(Box::<str>::from)
                .into_iter()
                .collect(),
            vec![Value::Text("a".to_owned()), Value::Null, Value::Int(3)],
        )
    }

    #[test]
    fn a_column_is_read_by_its_name_wherever_the_statement_lists_it() {
        let row = row();
        assert_eq!(row.int("version").expect("version"), 3);
        assert_eq!(row.text("name").expect("name"), "a");
        assert_eq!(row.opt_int("due_ms").expect("due"), None);
        assert_eq!(row.opt_text("name").expect("name"), Some("a".to_owned()));
    }

    #[test]
    fn a_name_matched_once_is_known_to_every_row_of_the_result_by_its_text_alone() {
        let names: ColumnNames = ["version", "alias"].map(Box::from).into_iter().collect();
        let first = Row::new(names.clone(), vec![Value::Int(1), Value::Null]);
        let second = Row::new(names, vec![Value::Int(2), Value::Null]);
        assert_eq!(first.int("version").expect("first"), 1);
        assert_eq!(second.int("version").expect("second"), 2);
        // The same text elsewhere names the column too; a shorter text at the same address does not.
        let elsewhere: &'static str = String::from("version").leak();
        assert_eq!(second.int(elsewhere).expect("same text"), 2);
        assert!(matches!(
            second.int(&elsewhere[..3]),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn a_missing_column_or_a_value_of_another_type_is_corrupt_data_not_a_panic() {
        let row = row();
        for outcome in [
            row.int("absent").map(drop),
            row.int("name").map(drop),
            row.text("version").map(drop),
            row.opt_int("name").map(drop),
            row.bytes("name").map(drop),
        ] {
            assert!(
                matches!(outcome, Err(StoreError::Corrupt(_))),
                "{outcome:?}"
            );
        }
    }
}
