//! Access keys known to the server, and the account each belongs to.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::authz::{Identity, Policy, PolicyError};

pub const DEFAULT_ACCESS_KEY_ID: &str = "test";
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "test";
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
    /// May use the control plane (reset, state, outcomes, faults) when a credentials file is in use.
    #[serde(default)]
    pub admin: bool,
    /// The IAM user of the key's principal, `arn:aws:iam::<account>:user/<user>`; the access key id when
    /// left out.
    #[serde(default)]
    pub user: Option<String>,
    /// One inline identity-based policy, as JSON.
    #[serde(default)]
    pub policy: Option<String>,
    /// Further policies, each a JSON file, relative to the credentials file.
    #[serde(default)]
    pub policy_files: Vec<PathBuf>,
    /// The key's principal under all its policies; `None` for a key with no policy, which may do
    /// everything in its account.
    #[serde(skip)]
    pub identity: Option<Arc<Identity>>,
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
    #[error("credentials file {path}: access key '{key}': {source_name}: {error}")]
    Policy {
        path: String,
        key: String,
        /// `policy`, or the `policy_files` entry, the policy came from.
        source_name: String,
        error: PolicyError,
    },
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
            ..Credential::default()
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
        let mut file: CredentialsFile =
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
        let base = path.parent().unwrap_or(Path::new(""));
        for credential in &mut file.credentials {
            credential.identity = read_policies(credential, base, &shown)?.map(Arc::new);
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

/// The identity of a key with policies: every policy read and checked, or the first fault found, named by
/// the key, where the policy came from, the statement and what is wrong.
fn read_policies(
    credential: &Credential,
    base: &Path,
    shown: &str,
) -> Result<Option<Identity>, CredentialsError> {
    if credential.policy.is_none() && credential.policy_files.is_empty() {
        return Ok(None);
    }
    let fault = |source_name: String, error: PolicyError| CredentialsError::Policy {
        path: shown.to_owned(),
        key: credential.access_key_id.clone(),
        source_name,
        error,
    };
    let mut policies = Vec::new();
    if let Some(text) = &credential.policy {
        policies.push(Policy::parse(text).map_err(|e| fault("policy".to_owned(), e))?);
    }
    for file in &credential.policy_files {
        let name = format!("policy_files '{}'", file.display());
        let text =
            std::fs::read_to_string(base.join(file)).map_err(|e| CredentialsError::Invalid {
                path: shown.to_owned(),
                reason: format!(
                    "access key '{}': cannot read {name}: {e}",
                    credential.access_key_id
                ),
            })?;
        policies.push(Policy::parse(&text).map_err(|e| fault(name, e))?);
    }
    let user = credential
        .user
        .as_deref()
        .unwrap_or(&credential.access_key_id);
    Ok(Some(Identity::new(&credential.account_id, user, policies)))
}
