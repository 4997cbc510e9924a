//! Tag rules shared by every taggable resource.

use crate::protocol::ApiError;

/// Most tags one resource may carry (AWS's tagging limit, also the model's TagList maximum).
pub const MAX_TAGS_PER_RESOURCE: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

fn check_reserved(key: &str) -> Result<(), ApiError> {
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(ApiError::Validation(format!(
            "Tag key '{key}' is not allowed: the 'aws:' prefix is reserved for AWS use."
        )));
    }
    Ok(())
}

/// Tags given in one request: no reserved prefix, and a key at most once (the later value wins in AWS's
/// AddTags semantics, but within a single list a repeated key is ambiguous, so it is refused).
pub fn check_request(tags: &[Tag]) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for tag in tags {
        check_reserved(&tag.key)?;
        if !seen.insert(tag.key.as_str()) {
            return Err(ApiError::Validation(format!(
                "Tag key '{}' appears more than once in the request.",
                tag.key
            )));
        }
    }
    Ok(())
}

/// `current` with `added` laid over it: an existing key takes the new value and keeps its place.
pub fn merge(mut current: Vec<Tag>, added: &[Tag]) -> Result<Vec<Tag>, ApiError> {
    for tag in added {
        match current.iter_mut().find(|t| t.key == tag.key) {
            Some(existing) => existing.value = tag.value.clone(),
            None => current.push(tag.clone()),
        }
    }
    if current.len() > MAX_TAGS_PER_RESOURCE {
        return Err(ApiError::ResourceLimitExceeded(format!(
            "A resource can have at most {MAX_TAGS_PER_RESOURCE} tags; this request would leave it with {}.",
            current.len()
        )));
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
            merge(full, &[tag("new", "x")]).unwrap_err().code(),
            "ResourceLimitExceeded"
        );
    }

    #[test]
    fn reserved_and_repeated_keys_are_refused() {
        assert!(check_request(&[tag("aws:x", "")]).is_err());
        assert!(check_request(&[tag("a", ""), tag("a", "b")]).is_err());
        assert!(check_request(&[tag("a", ""), tag("b", "")]).is_ok());
    }
}
