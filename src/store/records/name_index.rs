//! The name-gram index that NameContains reads: the distinct four-character windows ("grams") of every
//! name key, each kept with the name's creation time in the resource's postings table, written and
//! removed in the transaction that writes the record. Which grams a value is read through, and which of
//! them is rarest, is decided here; `listing.rs` walks what they hold.

use super::keyset::{keyset, KeyRead, TimeColumn};
use super::scoped;
use crate::domain::{Millis, Scope};
use crate::store::db::{Db, Value};
use crate::store::{ListQuery, StoreError};

/// Follows every name key in its windows, so that the last three characters of a name start a window as
/// the others do. No name holds it (model patterns).
const NAME_END: char = '~';
/// The characters a name key may hold (model patterns, lower-cased).
const NAME_KEY_CHARACTERS: &str = "abcdefghijklmnopqrstuvwxyz0123456789-.";

/// The distinct four-character windows of a name key followed by `NAME_END`, as the postings tables
/// hold them (migration 4 computes the same windows for the names stored before it). Name keys are ASCII
/// (model patterns), so byte windows are character windows.
pub fn name_grams(name_key: &str) -> Vec<String> {
    let ended = format!("{name_key}{NAME_END}");
    let mut grams: Vec<String> = (0..ended.len().saturating_sub(3))
        .filter_map(|start| ended.get(start..start + 4).map(str::to_owned))
        .collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// The windows whose names together hold every name containing `part`, one set for each way of reading
/// them: a value of four or more characters is in the names of each of its own windows (any one will
/// do); a value of three is in the names of the windows it starts, whatever follows it. None for a
/// shorter value.
pub(super) fn windows_of_value(part: &str) -> Vec<Vec<String>> {
    match part.len() {
        0..=2 => Vec::new(),
        3 => vec![NAME_KEY_CHARACTERS
            .chars()
            .chain([NAME_END])
            .map(|follower| format!("{part}{follower}"))
            .collect()],
        _ => {
            let mut windows: Vec<&str> = (0..=part.len() - 4)
                .filter_map(|start| part.get(start..start + 4))
                .collect();
            windows.dedup();
            windows
                .into_iter()
                .map(|window| vec![window.to_owned()])
                .collect()
        }
    }
}

/// The statements of one name-gram table that take no list of grams, written once per table at compile
/// time; the others take one and are built per query.
pub struct NameGramTable {
    pub(super) table: &'static str,
    pub(super) insert: &'static str,
    pub(super) remove: &'static str,
}

macro_rules! name_gram_table {
    ($table:literal) => {
        NameGramTable {
            table: $table,
            insert: concat!(
                "INSERT INTO ",
                $table,
                " (account_id, region, gram, name_key, created_ms) VALUES (?, ?, ?, ?, ?)"
            ),
            remove: concat!(
                "DELETE FROM ",
                $table,
                " WHERE account_id = ? AND region = ? AND gram = ? AND name_key = ?"
            ),
        }
    };
}
pub(super) use name_gram_table;

impl NameGramTable {
    /// Indexes every gram of a new name, with the name's creation time (which never changes).
    pub(super) fn add_name(
        &self,
        db: &dyn Db,
        scope: &Scope,
        name_key: &str,
        created: Millis,
    ) -> Result<(), StoreError> {
        for gram in name_grams(name_key) {
            let mut params = scoped(scope, &gram);
            params.extend([name_key.into(), created.into()]);
            db.execute(self.insert, &params)?;
        }
        Ok(())
    }

    pub(super) fn remove_name(
        &self,
        db: &dyn Db,
        scope: &Scope,
        name_key: &str,
    ) -> Result<(), StoreError> {
        for gram in name_grams(name_key) {
            let mut params = scoped(scope, &gram);
            params.push(name_key.into());
            db.execute(self.remove, &params)?;
        }
        Ok(())
    }

    /// How many names hold one of `grams` (counting a name once per gram), up to `limit`.
    fn count(&self, scope: &Scope, grams: &[String], limit: i64) -> (String, Vec<Value>) {
        let (postings, mut params) = postings_of(scope, grams);
        params.push(Value::Int(limit));
        let sql = format!(
            "SELECT COUNT(*) AS counted FROM (SELECT 1 FROM {} WHERE {postings} LIMIT ?) AS postings",
            self.table
        );
        (sql, params)
    }

    /// The names holding one of `grams` that also contain `part`, each once, in no order.
    pub(super) fn matching(
        &self,
        scope: &Scope,
        grams: &[String],
        part: &str,
    ) -> (String, Vec<Value>) {
        let (postings, mut params) = postings_of(scope, grams);
        params.push(containing(part));
        // One gram's names are distinct already (its primary key); a name may hold several of a set.
        let distinct = if grams.len() > 1 { "DISTINCT " } else { "" };
        let sql = format!(
            "SELECT {distinct}name_key AS matched FROM {} WHERE {postings} AND name_key LIKE ?",
            self.table
        );
        (sql, params)
    }

    /// The postings of `grams` that `read` asks for, among those created within the query's bounds, in
    /// the query's order (by creation time or by name): name key and creation time. Each gram's postings
    /// are read in that order from an index and merged, so the statement stops after `read.limit`; with
    /// `limit_each` (`Db::limits_union_arms`), each gram's read is a subquery of its own so limited. A
    /// name holding two grams of the set comes twice, side by side.
    pub(super) fn in_list_order(
        &self,
        scope: &Scope,
        grams: &[String],
        query: &ListQuery,
        read: &KeyRead,
        limit_each: bool,
    ) -> (String, Vec<Value>) {
        let (order, beyond, beyond_values) = keyset(query, read.after);
        let (created, created_values) = TimeColumn::Created.bounds(query);
        let like = containing(read.part);
        let limit = Value::Int(read.limit as i64);
        let mut params = Vec::new();
        let arms: Vec<String> = grams
            .iter()
            .enumerate()
            .map(|(index, gram)| {
                params.extend(scoped(scope, gram));
                params.push(like.clone());
                params.extend(created_values.iter().cloned());
                params.extend(beyond_values.iter().cloned());
                let scan = format!(
                    "SELECT name_key, created_ms FROM {} WHERE account_id = ? AND region = ? AND gram = ? AND name_key LIKE ?{created}{beyond}",
                    self.table
                );
                if limit_each {
                    params.push(limit.clone());
                    format!("SELECT name_key, created_ms FROM ({scan}{order} LIMIT ?) AS gram{index}")
                } else {
                    scan
                }
            })
            .collect();
        params.push(limit);
        (
            format!("{}{order} LIMIT ?", arms.join(" UNION ALL ")),
            params,
        )
    }
}

/// The LIKE pattern of names containing `part`. Names hold no LIKE wildcards (model patterns), so the
/// substring is matched literally.
pub(super) fn containing(part: &str) -> Value {
    Value::Text(format!("%{part}%"))
}

/// The condition selecting the rows of `grams` in `scope`, and its parameters.
fn postings_of(scope: &Scope, grams: &[String]) -> (String, Vec<Value>) {
    let mut params: Vec<Value> = vec![(&scope.account_id).into(), (&scope.region).into()];
    params.extend(grams.iter().map(Value::from));
    let condition = format!(
        "account_id = ? AND region = ? AND gram IN ({})",
        vec!["?"; grams.len()].join(", ")
    );
    (condition, params)
}

/// Names a set of grams may hold for a NameContains list by last-modified time to read them all, look
/// each up and sort them (about 3 µs a name). Walking the sort index instead tests about
/// `page × names / matches` keys (about 0.1 µs each) before it has a page, so among a million names
/// reading the candidates is cheaper up to about 2,000 of them: at 4,000 it cost 12 ms, and walking 3 ms.
pub(super) const GRAM_CANDIDATES_LIMIT: i64 = 2_000;
/// A set this rare is good enough; the filter stops comparing sets.
pub(super) const GRAM_RARE_ENOUGH: i64 = 500;
/// Sets of one NameContains value counted at most, spread over its length.
const GRAMS_COMPARED: usize = 8;

/// The set of `sets` held by the fewest names, with that number counted up to `limit`: each count stops
/// there, so a common set costs a bounded scan. None when there is no set (a value too short).
pub(super) fn rarest_grams(
    db: &dyn Db,
    table: &NameGramTable,
    scope: &Scope,
    sets: Vec<Vec<String>>,
    limit: i64,
) -> Result<Option<(i64, Vec<String>)>, StoreError> {
    let step = sets.len().div_ceil(GRAMS_COMPARED).max(1);
    let mut rarest: Option<(i64, Vec<String>)> = None;
    for grams in sets.into_iter().step_by(step) {
        let (count, params) = table.count(scope, &grams, limit);
        let postings = db
            .query_opt(&count, &params)?
            .map(|row| row.int("counted"))
            .transpose()?
            .unwrap_or(0);
        if rarest.as_ref().is_none_or(|(fewest, _)| postings < *fewest) {
            rarest = Some((postings, grams));
        }
        if postings < GRAM_RARE_ENOUGH {
            break;
        }
    }
    Ok(rarest)
}

#[cfg(test)]
mod tests {
    use super::{name_grams, windows_of_value, NAME_KEY_CHARACTERS};

    #[test]
    fn name_grams_are_the_distinct_four_character_windows_of_the_ended_name() {
        assert_eq!(name_grams("abcabc"), ["abca", "abc~", "bcab", "cabc"]);
        assert_eq!(name_grams("aaaaa"), ["aaaa", "aaa~"]);
        assert_eq!(name_grams("abc"), ["abc~"]);
        assert_eq!(name_grams("ab"), Vec::<String>::new());
        assert_eq!(name_grams(""), Vec::<String>::new());
    }

    #[test]
    fn a_value_is_read_through_its_own_windows_or_the_windows_it_starts() {
        assert_eq!(
            windows_of_value("12345"),
            [vec!["1234".to_owned()], vec!["2345".to_owned()]]
        );
        let three = windows_of_value("a-1");
        assert_eq!(three.len(), 1);
        assert_eq!(three[0].len(), NAME_KEY_CHARACTERS.len() + 1);
        // Every window a name holding "a-1" can hold at that place: followed by a name character, or ending.
        for follower in ["a-1z", "a-19", "a-1.", "a-1-", "a-1~"] {
            assert!(three[0].iter().any(|gram| gram == follower), "{follower}");
        }
        assert!(windows_of_value("ab").is_empty());
    }
}
