//! Reading one page of a listed table (ListImages, ListAppImageConfigs): in the sort order's index, or,
//! with a NameContains value, by walking the keys of the names the page may hold (from the name-gram
//! postings of `name_index.rs`, or from the sort order's index) and looking up each batch.

use std::collections::HashMap;
use std::marker::PhantomData;

use super::keyset::{keyset, KeyRead, TimeColumn};
use super::name_index::{
    containing, rarest_grams, windows_of_value, NameGramTable, GRAM_CANDIDATES_LIMIT,
    GRAM_RARE_ENOUGH,
};
use crate::domain::paging::{Cursor, SortValue};
use crate::domain::Scope;
use crate::store::db::{Db, FromRow, Value};
use crate::store::{ListQuery, ListSort, StoreError};

/// The most keys one read of a NameContains walk asks for; reads after the first double in size up to
/// it, when the records' own filters left the page short.
const KEYS_READ_MAX: usize = 1_000;

/// A table that list operations page through: keyed by (account, region, name_key), with `created_ms`
/// and `modified_ms` columns.
pub struct ListedTable<T> {
    pub(super) table: &'static str,
    /// The columns of a `T`, as its `FromRow` reads them.
    pub(super) columns: &'static str,
    /// Leaves out rows whose deletion has ended by the query's time.
    pub(super) hide_finished_deletions: bool,
    pub(super) name_grams: &'static NameGramTable,
    /// The record each row is read into.
    pub(super) record: PhantomData<fn() -> T>,
}

/// One page of `listed`. Column names and directions come from fixed lists, never from input; every value
/// is a parameter, and a filter appears in the SQL only when the request has it.
///
/// With a NameContains value, the keys of the names the page may hold are walked in the list's order, and
/// each batch of them looked up (`read_in_key_order`): by creation time or by name, from the postings of
/// the value's rarest grams when it has three or more characters; otherwise from the sort order's own
/// index. By last-modified time, which postings do not carry, the names holding the rarest grams are
/// looked up and sorted instead when they are few.
pub fn read_page<T: FromRow>(
    db: &dyn Db,
    listed: &ListedTable<T>,
    scope: &Scope,
    query: &ListQuery,
) -> Result<Vec<T>, StoreError> {
    let Some(part) = &query.name_contains else {
        return read_in_sort_order(db, listed, scope, query, None);
    };
    let mut sets = windows_of_value(part);
    if query.sort == ListSort::LastModifiedTime {
        let candidates = rarest_grams(db, listed.name_grams, scope, sets, GRAM_CANDIDATES_LIMIT)?
            .filter(|(postings, _)| *postings < GRAM_CANDIDATES_LIMIT);
        return match candidates {
            Some((_, grams)) => read_in_sort_order(db, listed, scope, query, Some((&grams, part))),
            None => read_in_key_order(db, listed, scope, query, part, KeySource::SortIndex),
        };
    }
    // Postings are walked however common: they are never more than the names the sort order holds.
    let grams = if sets.len() > 1 {
        rarest_grams(db, listed.name_grams, scope, sets, GRAM_RARE_ENOUGH)?.map(|(_, grams)| grams)
    } else {
        sets.pop()
    };
    let source = match &grams {
        Some(grams) => KeySource::Postings(grams),
        None => KeySource::SortIndex,
    };
    read_in_key_order(db, listed, scope, query, part, source)
}

/// Reads a page in one statement: every record in the sort order, or, with `candidates` (grams and the
/// NameContains value), the names holding one of the grams that contain the value, looked up and sorted.
fn read_in_sort_order<T: FromRow>(
    db: &dyn Db,
    listed: &ListedTable<T>,
    scope: &Scope,
    query: &ListQuery,
    candidates: Option<(&[String], &str)>,
) -> Result<Vec<T>, StoreError> {
    let mut params = Vec::new();
    let mut sql = match candidates {
        // CROSS JOIN keeps SQLite's planner from walking the sort index instead; PostgreSQL plans it as
        // any inner join.
        Some((grams, part)) => {
            let (matching, matching_params) = listed.name_grams.matching(scope, grams, part);
            params.extend(matching_params);
            format!(
                "SELECT {} FROM ({matching}) AS m CROSS JOIN {} WHERE account_id = ? AND region = ? AND name_key = matched",
                listed.columns, listed.table
            )
        }
        None => format!(
            "SELECT {} FROM {} WHERE account_id = ? AND region = ?",
            listed.columns, listed.table
        ),
    };
    params.extend([Value::from(&scope.account_id), Value::from(&scope.region)]);
    let (filters, filter_values) = record_filters(listed, query);
    sql.push_str(&filters);
    params.extend(filter_values);
    let (order, beyond, beyond_values) = keyset(query, query.after.as_ref());
    sql.push_str(&beyond);
    params.extend(beyond_values);
    sql.push_str(&order);
    sql.push_str(" LIMIT ?");
    params.push(Value::Int(query.limit as i64));
    db.query_as(&sql, &params)
}

/// Where a NameContains walk reads the keys of the names it passes, in the list's order, keeping those
/// that contain the value: each a name key and a time (the sort column's, or the creation time when the
/// list is by name, whose position is the key alone).
enum KeySource<'a> {
    /// The postings of these grams: by creation time or by name only.
    Postings(&'a [String]),
    /// The listed table's index in the sort order, which holds the name key: a name is tested without
    /// reading its record.
    SortIndex,
}

impl KeySource<'_> {
    /// The time each key comes with: the sort column's, or the creation time when the list is by name.
    fn time(&self, query: &ListQuery) -> TimeColumn {
        match (self, query.sort) {
            (KeySource::SortIndex, ListSort::LastModifiedTime) => TimeColumn::Modified,
            _ => TimeColumn::Created,
        }
    }

    /// The statement of `read`, and its parameters.
    fn next_keys<T>(
        &self,
        db: &dyn Db,
        listed: &ListedTable<T>,
        scope: &Scope,
        query: &ListQuery,
        read: &KeyRead,
    ) -> (String, Vec<Value>) {
        match self {
            KeySource::Postings(grams) => {
                listed
                    .name_grams
                    .in_list_order(scope, grams, query, read, db.limits_union_arms())
            }
            KeySource::SortIndex => {
                let time = self.time(query);
                let (bounds, bound_values) = time.bounds(query);
                let (order, beyond, beyond_values) = keyset(query, read.after);
                let mut params = vec![Value::from(&scope.account_id), Value::from(&scope.region)];
                params.push(containing(read.part));
                params.extend(bound_values);
                params.extend(beyond_values);
                params.push(Value::Int(read.limit as i64));
                let sql = format!(
                    "SELECT name_key, {} FROM {} WHERE account_id = ? AND region = ? AND name_key LIKE ?{bounds}{beyond}{order} LIMIT ?",
                    time.column(),
                    listed.table
                );
                (sql, params)
            }
        }
    }
}

/// Walks the keys of `source` in the query's order, looking up the records of each batch, until the page
/// is full or the keys end. The first batch is the page's size; records whose own filters (deletion, time
/// bounds) leave them out make the next batch larger.
fn read_in_key_order<T: FromRow>(
    db: &dyn Db,
    listed: &ListedTable<T>,
    scope: &Scope,
    query: &ListQuery,
    part: &str,
    source: KeySource,
) -> Result<Vec<T>, StoreError> {
    let mut page = Vec::with_capacity(query.limit);
    let mut after = query.after.clone();
    let mut batch = query.limit.max(1);
    while page.len() < query.limit {
        let read = KeyRead {
            part,
            after: after.as_ref(),
            limit: batch,
        };
        let (sql, params) = source.next_keys(db, listed, scope, query, &read);
        let keys = db.query(&sql, &params)?;
        let Some(last) = keys.last() else {
            break;
        };
        let ended = keys.len() < batch;
        after = Some(Cursor {
            sort: SortValue::Time(last.int(source.time(query).column())?),
            key: last.text("name_key")?,
        });
        let names = keys
            .iter()
            .map(|key| key.text("name_key"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut records = read_named(db, listed, scope, query, &names)?;
        let wanted = query.limit - page.len();
        page.extend(
            names
                .iter()
                // A name holding two grams of the set is listed twice; its record is taken once.
                .filter_map(|name_key| records.remove(name_key))
                .take(wanted),
        );
        if ended {
            break;
        }
        batch = (batch * 2).min(KEYS_READ_MAX);
    }
    Ok(page)
}

/// The records of `names` that pass the query's filters on their own columns, by name key.
fn read_named<T: FromRow>(
    db: &dyn Db,
    listed: &ListedTable<T>,
    scope: &Scope,
    query: &ListQuery,
    names: &[String],
) -> Result<HashMap<String, T>, StoreError> {
    let (filters, filter_values) = record_filters(listed, query);
    // Each key is looked up from a list of values: with `name_key IN (...)` and a time bound, SQLite's
    // planner walked the time index instead. CROSS JOIN keeps the list outside, as in read_in_sort_order.
    let sql = format!(
        "SELECT {}, name_key FROM (VALUES {}) AS wanted CROSS JOIN {} WHERE account_id = ? AND region = ? AND name_key = wanted.column1{filters}",
        listed.columns,
        vec!["(?)"; names.len()].join(", "),
        listed.table,
    );
    let mut params: Vec<Value> = names.iter().map(Value::from).collect();
    params.extend([Value::from(&scope.account_id), Value::from(&scope.region)]);
    params.extend(filter_values);
    db.query(&sql, &params)?
        .iter()
        .map(|row| Ok((row.text("name_key")?, T::from_row(row)?)))
        .collect()
}

/// The conditions on a record's own columns: not a deletion ended by the query's time, and within its
/// time bounds.
fn record_filters<T>(listed: &ListedTable<T>, query: &ListQuery) -> (String, Vec<Value>) {
    let (mut sql, mut values) = TimeColumn::Created.bounds(query);
    let (modified, modified_values) = TimeColumn::Modified.bounds(query);
    sql.push_str(&modified);
    values.extend(modified_values);
    if listed.hide_finished_deletions {
        sql.push_str(" AND NOT (status = 'DELETING' AND due_ms <= ?)");
        values.push(Value::Int(query.now));
    }
    (sql, values)
}
