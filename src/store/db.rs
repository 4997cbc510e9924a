//! The little each SQL engine must offer the shared record code (`records.rs`): run a statement with
//! parameters and hand back rows of owned values. SQL is written once with `?` placeholders; the PostgreSQL
//! adapter numbers them.

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

/// One result row.
pub struct Row(pub Vec<Value>);

fn mismatch(index: usize, wanted: &str, found: &Value) -> StoreError {
    StoreError::Corrupt(format!(
        "column {index}: expected {wanted}, found {found:?}"
    ))
}

impl Row {
    pub fn int(&self, index: usize) -> Result<i64, StoreError> {
        match self.0.get(index) {
            Some(Value::Int(v)) => Ok(*v),
            other => Err(mismatch(index, "an integer", other.unwrap_or(&Value::Null))),
        }
    }

    pub fn opt_int(&self, index: usize) -> Result<Option<i64>, StoreError> {
        match self.0.get(index) {
            Some(Value::Null) => Ok(None),
            _ => self.int(index).map(Some),
        }
    }

    pub fn text(&self, index: usize) -> Result<String, StoreError> {
        match self.0.get(index) {
            Some(Value::Text(v)) => Ok(v.clone()),
            other => Err(mismatch(index, "text", other.unwrap_or(&Value::Null))),
        }
    }

    pub fn opt_text(&self, index: usize) -> Result<Option<String>, StoreError> {
        match self.0.get(index) {
            Some(Value::Null) => Ok(None),
            _ => self.text(index).map(Some),
        }
    }

    pub fn bytes(&self, index: usize) -> Result<Vec<u8>, StoreError> {
        match self.0.get(index) {
            Some(Value::Bytes(v)) => Ok(v.clone()),
            other => Err(mismatch(index, "bytes", other.unwrap_or(&Value::Null))),
        }
    }
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
