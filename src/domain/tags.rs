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
            Err(Limit::Tags { count: 51 }.into())
        );
    }

    #[test]
    fn reserved_and_repeated_keys_are_refused() {
        assert!(check_request(&[tag("aws:x", "")]).is_err());
        assert!(check_request(&[tag("a", ""), tag("a", "b")]).is_err());
        assert!(check_request(&[tag("a", ""), tag("b", "")]).is_ok());
    }
}
