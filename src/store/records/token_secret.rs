//! The secret that seals pagination tokens, kept in `service_meta` so that every process sharing the
//! database seals and opens tokens alike.

use crate::store::db::{Db, Value};
use crate::store::StoreError;

const TOKEN_SECRET: &str = "page_token_secret";

/// The secret, made on first use (in a transaction of its own, after the migrations that create its
/// table). Where two processes start at once, the first insert wins and both read its secret.
pub fn token_secret(db: &dyn Db) -> Result<Vec<u8>, StoreError> {
    let mut secret = Vec::with_capacity(32);
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    db.execute(
        "INSERT INTO service_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        &[TOKEN_SECRET.into(), Value::Bytes(secret)],
    )?;
    match db.query_opt(
        "SELECT value FROM service_meta WHERE name = ?",
        &[TOKEN_SECRET.into()],
    )? {
        Some(row) => row.bytes("value"),
        None => Err(StoreError::Corrupt(
            "the pagination secret is missing".to_owned(),
        )),
    }
}
