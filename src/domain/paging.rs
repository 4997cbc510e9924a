//! Opaque pagination tokens. A token carries the sort position of the last item served (keyset paging, so
//! it stays correct while items are created or deleted between pages) and a fingerprint of the query it
//! belongs to, sealed with an HMAC under a secret kept in the store. A token that was altered, forged or
//! reused with other filters is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::protocol::ApiError;

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

pub fn invalid_token() -> ApiError {
    ApiError::Validation("Invalid pagination token given: the NextToken is not one this service issued for this request.".to_owned())
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

    pub fn open(&self, query_fingerprint: &str, token: &str) -> Result<Cursor, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
