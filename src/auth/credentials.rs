//! Access keys known to the server, and the account each belongs to.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

pub const DEFAULT_ACCESS_KEY_ID: &str = "test";
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "test";
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
    /// May use the control plane (reset, state, outcomes, faults) when a credentials file is in use.
    #[serde(default)]
    pub admin: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    credentials: Vec<Credential>,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read credentials file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("credentials file {path} is not valid: {source}")]
    Parse {
        path: String,
        source: toml::de::Error,
    },
    #[error("credentials file {path}: {reason}")]
    Invalid { path: String, reason: String },
}

/// Access key id → credential. Immutable once the server starts.
#[derive(Debug, Clone)]
pub struct Credentials {
    by_access_key: HashMap<String, Credential>,
}

impl Credentials {
    /// The well-known laptop credentials: `test` / `test` in account `000000000000`.
    pub fn well_known() -> Self {
        Self::from_list(vec![Credential {
            access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
            secret_access_key: DEFAULT_SECRET_ACCESS_KEY.to_owned(),
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            admin: true,
        }])
    }

    pub(crate) fn from_list(list: Vec<Credential>) -> Self {
        Credentials {
            by_access_key: list
                .into_iter()
                .map(|c| (c.access_key_id.clone(), c))
                .collect(),
        }
    }

    /// Reads a TOML file of `[[credentials]]` tables.
    pub fn from_file(path: &Path) -> Result<Self, CredentialsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: shown.clone(),
            source,
        })?;
        let file: CredentialsFile =
            toml::from_str(&text).map_err(|source| CredentialsError::Parse {
                path: shown.clone(),
                source,
            })?;
        let invalid = |reason: String| CredentialsError::Invalid {
            path: shown.clone(),
            reason,
        };
        if file.credentials.is_empty() {
            return Err(invalid("no [[credentials]] table".to_owned()));
        }
        let mut seen = std::collections::HashSet::new();
        for c in &file.credentials {
            if c.access_key_id.is_empty() || c.secret_access_key.is_empty() {
                return Err(invalid(
                    "access_key_id and secret_access_key must not be empty".to_owned(),
                ));
            }
            if c.account_id.len() != 12 || !c.account_id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(format!(
                    "account_id '{}' of access key '{}' must be 12 digits",
                    c.account_id, c.access_key_id
                )));
            }
            if !seen.insert(c.access_key_id.as_str()) {
                return Err(invalid(format!(
                    "access key '{}' is listed twice",
                    c.access_key_id
                )));
            }
        }
        Ok(Self::from_list(file.credentials))
    }

    pub fn get(&self, access_key_id: &str) -> Option<&Credential> {
        self.by_access_key.get(access_key_id)
    }

    /// True when the well-known `test`/`test` pair would be accepted: unsafe beyond loopback.
    pub fn includes_well_known(&self) -> bool {
        self.get(DEFAULT_ACCESS_KEY_ID)
            .is_some_and(|c| c.secret_access_key == DEFAULT_SECRET_ACCESS_KEY)
    }
}
