//! Tag rules shared by every taggable resource.

use super::error::{DomainError, Invalid, Limit};

/// Most tags one resource may carry (AWS's tagging limit, also the model's TagList maximum).
pub const MAX_TAGS_PER_RESOURCE: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

fn check_reserved(key: &str) -> Result<(), DomainError> {
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(Invalid::ReservedTagKey {
            key: key.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Tags given in one request: no reserved prefix, and a key at most once (the later value wins in AWS's
/// AddTags semantics, but within a single list a repeated key is ambiguous, so it is refused).
pub fn check_request(tags: &[Tag]) -> Result<(), DomainError> {
    let mut seen = std::collections::HashSet::new();
    for tag in tags {
        check_reserved(&tag.key)?;
        if !seen.insert(tag.key.as_str()) {
            return Err(Invalid::RepeatedTagKey {
                key: tag.key.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// `current` with `added` laid over it: an existing key takes the new value and keeps its place.
pub fn merge(mut current: Vec<Tag>, added: &[Tag]) -> Result<Vec<Tag>, DomainError> {
    for tag in added {
        match current.iter_mut().find(|t| t.key == tag.key) {
            Some(existing) => existing.value = tag.value.clone(),
            None => current.push(tag.clone()),
        }
    }
    if current.len() > MAX_TAGS_PER_RESOURCE {
        return Err(Limit::Tags {
            count: current.len(),
            max: MAX_TAGS_PER_RESOURCE,
        }
        .into());
    }
    Ok(current)
}

pub fn remove(current: Vec<Tag>, keys: &[String]) -> Vec<Tag> {
    current
        .into_iter()
        .filter(|t| !keys.contains(&t.key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cases::Failures;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn merge_overwrites_and_limits() {
        let merged = merge(vec![tag("a", "1"), tag("b", "2")], &[tag("a", "9")]).unwrap();
        assert_eq!(merged, vec![tag("a", "9"), tag("b", "2")]);
        let full: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "")).collect();
        assert!(merge(full.clone(), &[tag("k0", "x")]).is_ok());
        assert_eq!(
            merge(full, &[tag("new", "x")]),
            Err(Limit::Tags { count: 51, max: 50 }.into())
        );
    }

    #[test]
    fn reserved_and_repeated_keys_are_refused() {
        assert!(check_request(&[tag("aws:x", "")]).is_err());
        assert!(check_request(&[tag("a", ""), tag("a", "b")]).is_err());
        assert!(check_request(&[tag("a", ""), tag("b", "")]).is_ok());
    }

    #[test]
    fn the_tags_of_one_request() {
        let refused = |key: &str| Err(Invalid::ReservedTagKey { key: key.into() }.into());
        #[rustfmt::skip]
        let cases: [(&str, Vec<Tag>, Result<(), DomainError>); 7] = [
            ("none", vec![], Ok(())),
            ("distinct keys", vec![tag("a", ""), tag("b", "")], Ok(())),
            ("the aws: prefix", vec![tag("aws:x", "")], refused("aws:x")),
            ("the aws: prefix in any case", vec![tag("AWS:x", "")], refused("AWS:x")),
            ("aws without its colon", vec![tag("aws-x", "")], Ok(())),
            ("a key twice", vec![tag("a", "1"), tag("a", "2")], Err(Invalid::RepeatedTagKey { key: "a".into() }.into())),
            ("keys differing in case", vec![tag("a", ""), tag("A", "")], Ok(())),
        ];
        let mut failures = Failures::default();
        for (name, tags, expected) in cases {
            failures.check(name, check_request(&tags), expected);
        }
        failures.assert_none();
    }

    #[test]
    fn adding_and_removing_tags() {
        let many = |n: usize| -> Vec<Tag> { (0..n).map(|i| tag(&format!("k{i}"), "")).collect() };
        let over = |count| Err(Limit::Tags { count, max: 50 }.into());
        type Merged = Result<Vec<Tag>, DomainError>;
        #[rustfmt::skip]
        let cases: [(&str, Vec<Tag>, Vec<Tag>, Merged); 6] = [
            ("added after the others", vec![tag("a", "1")], vec![tag("b", "2")], Ok(vec![tag("a", "1"), tag("b", "2")])),
            ("a new value keeps its place", vec![tag("a", "1"), tag("b", "2")], vec![tag("a", "9")], Ok(vec![tag("a", "9"), tag("b", "2")])),
            ("up to the limit", many(49), vec![tag("last", "")], Ok([many(49), vec![tag("last", "")]].concat())),
            ("one past the limit", many(50), vec![tag("new", "")], over(51)),
            ("a new value at the limit", many(50), vec![tag("k0", "x")], Ok([vec![tag("k0", "x")], many(50)[1..].to_vec()].concat())),
            ("the count is the total", many(40), many(60), over(60)),
        ];
        let mut failures = Failures::default();
        for (name, current, added, expected) in cases {
            failures.check(name, merge(current, &added), expected);
        }
        let removed = remove(
            vec![tag("a", ""), tag("b", ""), tag("c", "")],
            &["b".into(), "none".into()],
        );
        failures.check(
            "remove takes the keys named, and ignores others",
            removed,
            vec![tag("a", ""), tag("c", "")],
        );
        failures.assert_none();
    }
}
