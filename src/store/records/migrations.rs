//! Applying the schema migrations of `src/store/migrations/{sqlite,postgres}/`, one transaction each.

use crate::store::db::{Db, Value};
use crate::store::StoreError;

/// Applies the first migration not yet recorded, then records it, in the caller's transaction: the version
/// applied, or `None` once the schema is current. Engines call it in a fresh transaction until it returns
/// `None`. One migration per transaction, with its schema changes before its writes and the version row
/// last, because CockroachDB refuses a schema change once a transaction has written (cockroachdb/cockroach
/// issue 54477). Where two processes migrate at once, the second fails on the first one's tables, columns or
/// version row once the first commits; the engine retries it, and it finds the version recorded.
pub fn migrate_next(db: &dyn Db, migrations: &[(i64, &str)]) -> Result<Option<i64>, StoreError> {
    db.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)")?;
    let applied = db
        .query_opt("SELECT MAX(version) AS applied FROM schema_migrations", &[])?
        .map(|row| row.opt_int("applied"))
        .transpose()?
        .flatten()
        .unwrap_or(0);
    let Some((version, sql)) = migrations.iter().find(|(v, _)| *v > applied) else {
        return Ok(None);
    };
    tracing::info!(version, "applying schema migration");
    db.batch(sql)?;
    db.execute(
        "INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)",
        &[
            Value::Int(*version),
            Value::Int(crate::domain::now_millis()),
        ],
    )?;
    Ok(Some(*version))
}

/// The migrations as CockroachDB runs them: no schema change may follow a write in one transaction.
#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::migrate_next;
    use crate::store::db::{Db, Row, Value};
    use crate::store::{postgres, sqlite, StoreError};

    /// Records each statement a migration transaction runs, with `applied` as the recorded version.
    struct Recorder {
        applied: i64,
        statements: RefCell<Vec<String>>,
    }

    impl Db for Recorder {
        fn query(&self, sql: &str, _: &[Value]) -> Result<Vec<Row>, StoreError> {
            self.statements.borrow_mut().push(sql.to_owned());
            Ok(vec![Row::new(
                [Box::from("applied")].into_iter().collect(),
                vec![Value::Int(self.applied)],
            )])
        }

        fn execute(&self, sql: &str, _: &[Value]) -> Result<u64, StoreError> {
            self.statements.borrow_mut().push(sql.to_owned());
            Ok(1)
        }

        fn batch(&self, sql: &str) -> Result<(), StoreError> {
            let code: String = sql
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            let mut statements = self.statements.borrow_mut();
            statements.extend(
                code.split(';')
                    .map(str::trim)
                    .filter(|statement| !statement.is_empty())
                    .map(str::to_owned),
            );
            Ok(())
        }
    }

    fn starts_with_any(statement: &str, words: &[&str]) -> bool {
        let upper = statement.to_ascii_uppercase();
        words.iter().any(|word| upper.starts_with(word))
    }

    #[test]
    fn each_migration_changes_the_schema_before_it_writes_and_records_its_version_last() {
        for (engine, migrations) in [
            ("sqlite", sqlite::MIGRATIONS),
            ("postgres", postgres::MIGRATIONS),
        ] {
            for (index, (version, _)) in migrations.iter().enumerate() {
                let previous = index.checked_sub(1).map_or(0, |i| migrations[i].0);
                let recorder = Recorder {
                    applied: previous,
                    statements: RefCell::new(Vec::new()),
                };
                let applied = migrate_next(&recorder, migrations).expect("migrate");
                assert_eq!(applied, Some(*version), "{engine}");
                let statements = recorder.statements.into_inner();
                let first_write = statements
                    .iter()
                    .position(|s| starts_with_any(s, &["INSERT", "UPDATE", "DELETE"]))
                    .expect("the version row is written");
                let late_schema_change = statements[first_write..]
                    .iter()
                    .find(|s| starts_with_any(s, &["CREATE", "DROP", "ALTER"]));
                assert_eq!(
                    late_schema_change, None,
                    "{engine} migration {version} changes the schema after a write"
                );
                let last = statements.last().expect("statements");
                assert!(
                    last.starts_with("INSERT INTO schema_migrations"),
                    "{engine} migration {version} ends with {last}"
                );
            }
            let current = Recorder {
                applied: migrations.last().expect("migrations").0,
                statements: RefCell::new(Vec::new()),
            };
            assert_eq!(migrate_next(&current, migrations).expect("migrate"), None);
        }
    }
}
