//! Opaque pagination tokens. A token carries the sort position of the last item served (keyset paging, so
//! it stays correct while items are created or deleted between pages) and a fingerprint of the query it
//! belongs to, sealed with an HMAC under a secret kept in the store. A token that was altered, forged or
//! reused with other filters is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{DomainError, Invalid};

type HmacSha256 = Hmac<Sha256>;
const MAC_LEN: usize = 32;

/// Where the previous page stopped: the sort value of its last item and that item's unique key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub sort: SortValue,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortValue {
    Time(i64),
    Text(String),
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    /// Fingerprint of the query (operation, filters, sort).
    q: String,
    c: Cursor,
}

#[derive(Clone)]
pub struct TokenSealer {
    secret: Vec<u8>,
}

pub fn invalid_token() -> DomainError {
    Invalid::PageToken.into()
}

/// A short digest of whatever describes the query, so a token only continues the listing it came from.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    URL_SAFE_NO_PAD.encode(&hasher.finalize()[..12])
}

impl TokenSealer {
    pub fn new(secret: Vec<u8>) -> Self {
        TokenSealer { secret }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.secret).expect("HMAC accepts keys of any length")
    }

    pub fn seal(&self, query_fingerprint: &str, cursor: &Cursor) -> String {
        let payload = serde_json::to_vec(&Sealed {
            q: query_fingerprint.to_owned(),
            c: cursor.clone(),
        })
        .unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&payload);
        let mut bytes = mac.finalize().into_bytes().to_vec();
        bytes.extend_from_slice(&payload);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn open(&self, query_fingerprint: &str, token: &str) -> Result<Cursor, DomainError> {
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid_token())?;
        if bytes.len() <= MAC_LEN {
            return Err(invalid_token());
        }
        let (tag, payload) = bytes.split_at(MAC_LEN);
        let mut mac = self.mac();
        mac.update(payload);
        mac.verify_slice(tag).map_err(|_| invalid_token())?;
        let sealed: Sealed = serde_json::from_slice(payload).map_err(|_| invalid_token())?;
        if sealed.q != query_fingerprint {
            return Err(invalid_token());
        }
        Ok(sealed.c)
    }
}

/// The fuzz target of the token unsealer (`fuzz/fuzz_targets/token.rs`; its committed inputs are replayed
/// by `cargo test`). Built for tests and with the `fuzzing` feature only.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz {
    use super::*;

    pub const SECRET: &[u8] = b"fuzz-secret";
    pub const QUERY: &str = "fuzz-query";

    /// The input as a token: it opens only if it is exactly the token `seal` gives for what it opens to.
    /// The input as cursor material: its sealed token opens to it, only for its query and secret, and not
    /// once a byte of it (picked by the input) is changed.
    pub fn token(data: &[u8]) {
        let sealer = TokenSealer::new(SECRET.to_vec());
        let text = String::from_utf8_lossy(data);
        if let Ok(cursor) = sealer.open(QUERY, &text) {
            assert_eq!(
                sealer.seal(QUERY, &cursor),
                text,
                "opened a token it did not seal"
            );
        }

        let cursor = match data.split_first() {
            None => Cursor {
                sort: SortValue::Time(0),
                key: String::new(),
            },
            Some((tag, rest)) if tag % 2 == 0 => {
                let mut number = [0u8; 8];
                let (head, tail) = rest.split_at(rest.len().min(8));
                number[..head.len()].copy_from_slice(head);
                Cursor {
                    sort: SortValue::Time(i64::from_le_bytes(number)),
                    key: String::from_utf8_lossy(tail).into_owned(),
                }
            }
            Some((_, rest)) => {
                let (sort, key) = rest.split_at(rest.len() / 2);
                Cursor {
                    sort: SortValue::Text(String::from_utf8_lossy(sort).into_owned()),
                    key: String::from_utf8_lossy(key).into_owned(),
                }
            }
        };
        let sealed = sealer.seal(QUERY, &cursor);
        assert_eq!(sealer.open(QUERY, &sealed).ok(), Some(cursor));
        assert!(sealer.open("another-query", &sealed).is_err());
        assert!(TokenSealer::new(b"another-secret".to_vec())
            .open(QUERY, &sealed)
            .is_err());
        let mut bytes = URL_SAFE_NO_PAD
            .decode(&sealed)
            .expect("a sealed token decodes");
        let at = data.len() % bytes.len();
        bytes[at] ^= data.last().copied().unwrap_or(1).max(1);
        assert!(
            sealer.open(QUERY, &URL_SAFE_NO_PAD.encode(&bytes)).is_err(),
            "a changed token opened"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_open_only_unaltered_and_for_their_query() {
        let sealer = TokenSealer::new(b"secret".to_vec());
        let cursor = Cursor {
            sort: SortValue::Time(5),
            key: "img".into(),
        };
        let token = sealer.seal("q1", &cursor);
        assert_eq!(sealer.open("q1", &token).unwrap(), cursor);
        assert!(sealer.open("q2", &token).is_err());
        let mut altered = token.into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(sealer
            .open("q1", &String::from_utf8(altered).unwrap())
            .is_err());
        assert!(TokenSealer::new(b"other".to_vec())
            .open("q1", &sealer.seal("q1", &cursor))
            .is_err());
    }

    fn cursor() -> impl Strategy<Value = Cursor> {
        (
            prop_oneof![
                any::<i64>().prop_map(SortValue::Time),
                "\\PC{0,40}".prop_map(SortValue::Text),
            ],
            "\\PC{0,64}",
        )
            .prop_map(|(sort, key)| Cursor { sort, key })
    }

    /// The token's text with the character at `at` replaced by `with` (when that changes it).
    fn replaced(token: &str, at: usize, with: char) -> Option<String> {
        let (index, old) = token.char_indices().nth(at)?;
        (old != with).then(|| {
            let mut changed = token.to_owned();
            changed.replace_range(index..index + old.len_utf8(), &with.to_string());
            changed
        })
    }

    #[test]
    fn no_single_byte_change_unseals() {
        let sealer = TokenSealer::new(b"secret".to_vec());
        let cursor = Cursor {
            sort: SortValue::Text("2026-11-29".into()),
            key: "my-image".into(),
        };
        let token = sealer.seal("q", &cursor);
        let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        let mut tried = 0;
        for at in 0..bytes.len() {
            for mask in 1..=255u8 {
                let mut changed = bytes.clone();
                changed[at] ^= mask;
                let changed = URL_SAFE_NO_PAD.encode(&changed);
                assert_eq!(
                    sealer.open("q", &changed),
                    Err(invalid_token()),
                    "{at} ^ {mask}"
                );
                tried += 1;
            }
        }
        // And every character of the text, replaced by any other printable ASCII character.
        for at in 0..token.len() {
            for with in ' '..='~' {
                if let Some(changed) = replaced(&token, at, with) {
                    assert!(sealer.open("q", &changed).is_err(), "{changed}");
                    tried += 1;
                }
            }
        }
        assert!(tried > 20_000, "{tried}");
        assert_eq!(sealer.open("q", &token), Ok(cursor));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_token_with_any_byte_changed_never_unseals(
            cursor in cursor(),
            secret in prop::collection::vec(any::<u8>(), 1..64),
            at in any::<prop::sample::Index>(),
            mask in 1..=255u8,
        ) {
            let sealer = TokenSealer::new(secret);
            let token = sealer.seal("query", &cursor);
            prop_assert_eq!(sealer.open("query", &token), Ok(cursor));
            let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
            let at = at.index(bytes.len());
            bytes[at] ^= mask;
            prop_assert_eq!(
                sealer.open("query", &URL_SAFE_NO_PAD.encode(&bytes)),
                Err(invalid_token())
            );
        }

        #[test]
        fn a_token_with_any_character_changed_never_unseals(
            cursor in cursor(),
            at in any::<prop::sample::Index>(),
            with in any::<char>(),
        ) {
            let sealer = TokenSealer::new(b"secret".to_vec());
            let token = sealer.seal("query", &cursor);
            if let Some(changed) = replaced(&token, at.index(token.len()), with) {
                prop_assert_eq!(sealer.open("query", &changed), Err(invalid_token()));
            }
        }
    }

    #[test]
    fn a_fingerprint_tells_queries_apart() {
        #[rustfmt::skip]
        let cases: [(&str, &[&str], &[&str], bool); 5] = [
            // (case, one query's parts, another's, whether their fingerprints are equal)
            ("the same parts", &["ListImages", "a"], &["ListImages", "a"], true),
            ("another value", &["ListImages", "a"], &["ListImages", "b"], false),
            ("the same text cut elsewhere", &["ab", "c"], &["a", "bc"], false),
            ("a part more", &["ListImages"], &["ListImages", ""], false),
            ("parts in another order", &["a", "b"], &["b", "a"], false),
        ];
        let mut wrong = Vec::new();
        for (name, one, other, equal) in cases {
            if (fingerprint(one) == fingerprint(other)) != equal {
                wrong.push(name);
            }
        }
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn a_token_that_is_not_one_is_refused() {
        let sealer = TokenSealer::new(b"secret".to_vec());
        let mut wrong = Vec::new();
        for (name, token) in [
            ("empty", ""),
            ("not base64", "***"),
            ("shorter than its seal", "AAAA"),
            ("padded base64", "AAAA=="),
        ] {
            if sealer.open("q", token) != Err(invalid_token()) {
                wrong.push(name);
            }
        }
        assert!(wrong.is_empty(), "{wrong:?}");
    }
}
