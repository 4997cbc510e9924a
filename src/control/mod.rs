//! The control plane for tests and operators, on the API's port under `/_sagemaker-images/` (and under
//! LocalStack's paths where LocalStack has the same endpoint, so that tools written for it work): health,
//! liveness, reset, state and initial state, forced outcomes and holds, transition delays, faults. It acts
//! through the service (`ops`) and the store's trait, never around them; the SageMaker API's routing never
//! reaches it.

mod faults;
pub mod state;

pub use faults::Faults;

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Verifier, CONTROL_SIGNED_HEADERS, DEFAULT_ACCOUNT_ID};
use crate::domain::lifecycle::ForcedOutcome;
use crate::domain::Scope;
use crate::ops::{Service, TRANSITIONING_OPERATIONS};
use crate::protocol::ApiError;
use crate::store::{OutcomeRule, ResetScope, Store};
use faults::{Effects, FaultRule};

pub const PREFIX: &str = "/_sagemaker-images/";
const LOCALSTACK_PREFIX: &str = "/_localstack/";
/// The region of a control call that names none, as LocalStack's default.
const DEFAULT_REGION: &str = "us-east-1";
/// How long health waits for the store before it reports it down.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// Prometheus's conventional path, beside the API's `/`.
const METRICS_PATH: &str = "/metrics";

pub fn is_control_path(path: &str) -> bool {
    path.starts_with(PREFIX) || path.starts_with(LOCALSTACK_PREFIX) || path == METRICS_PATH
}

/// What a control endpoint answers.
pub enum Answer {
    Json(StatusCode, Value),
    Text(String),
}

/// Who may use the endpoints that change or show state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The built-in test key is in use (so the server listens on loopback only): any local caller, but no
    /// state-changing call from a web page of another origin.
    LocalCallers,
    /// A credentials file is in use: only requests signed with a key the file marks `admin = true`.
    Administrators,
}

/// Every control endpoint, parsed once from the method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Health,
    Live,
    Metrics,
    Reset,
    GetState,
    ApplyState,
    ListOutcomes,
    AddOutcome,
    ClearOutcomes,
    Release,
    GetDelays,
    SetDelays,
    ListFaults,
    ReplaceFaults,
    AddFaults,
    RemoveFaults,
    GetEffects,
    SetEffects,
}

impl Endpoint {
    fn parse(method: &Method, path: &str) -> Option<Endpoint> {
        let read = *method == Method::GET || *method == Method::HEAD;
        if path == METRICS_PATH {
            return read.then_some(Endpoint::Metrics);
        }
        let (ours, route) = match path.strip_prefix(PREFIX) {
            Some(route) => (true, route),
            None => (false, path.strip_prefix(LOCALSTACK_PREFIX)?),
        };
        use Endpoint::*;
        Some(match (ours, route, method.as_str()) {
            (_, "health", _) if read => Health,
            (true, "live", _) if read => Live,
            (true, "reset", "POST") | (false, "state/reset", "POST") => Reset,
            (true, "state", "GET") => GetState,
            (true, "state", "POST") => ApplyState,
            (true, "outcomes", "GET") => ListOutcomes,
            (true, "outcomes", "POST") => AddOutcome,
            (true, "outcomes", "DELETE") => ClearOutcomes,
            (true, "outcomes/release", "POST") => Release,
            (true, "transition-delays", "GET") => GetDelays,
            (true, "transition-delays", "POST") => SetDelays,
            (true, "faults", m) | (false, "chaos/faults", m) => match m {
                "GET" => ListFaults,
                "POST" => ReplaceFaults,
                "PATCH" => AddFaults,
                "DELETE" => RemoveFaults,
                _ => return None,
            },
            (true, "effects", "GET") | (false, "chaos/effects", "GET") => GetEffects,
            (true, "effects", "POST") | (false, "chaos/effects", "POST") => SetEffects,
            _ => return None,
        })
    }

    /// Health, liveness and metrics answer anyone: load balancers, container health checks and
    /// Prometheus cannot sign.
    fn is_open(self) -> bool {
        matches!(self, Endpoint::Health | Endpoint::Live | Endpoint::Metrics)
    }
}

/// A control request, as the server read it.
pub struct ControlRequest<'a> {
    pub method: &'a Method,
    /// Path and query, as signed.
    pub uri: &'a str,
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// What the control plane needs of the server.
pub struct Control<'a, S> {
    pub service: &'a Service<S>,
    pub verifier: &'a Verifier,
    pub access: Access,
    pub faults: &'a Faults,
    /// The console's sessions, which admit a browser as their login admitted it.
    pub sessions: &'a crate::console::Sessions,
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn denied(reason: &str) -> ApiError {
    ApiError::AccessDenied(format!(
        "{reason} The control plane changes and shows every account's state; see the README's \"Testing your code against it\"."
    ))
}

/// The body as `T`; an empty body, or `null`, is `T`'s default.
fn parse_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    let not_taken = |e: serde_json::Error| {
        ApiError::Validation(format!(
            "The request body is not what this endpoint takes: {e}"
        ))
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    match serde_json::from_slice::<Value>(body).map_err(not_taken)? {
        Value::Null => Ok(T::default()),
        value => serde_json::from_value(value).map_err(not_taken),
    }
}

/// Account and region a control call acts in.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScopeBody {
    account: Option<String>,
    region: Option<String>,
}

impl ScopeBody {
    fn check(&self) -> Result<(), ApiError> {
        if self
            .account
            .as_deref()
            .is_some_and(|a| !state::is_account_id(a))
        {
            return Err(ApiError::Validation(
                "account must be 12 digits.".to_owned(),
            ));
        }
        if self.region.as_deref().is_some_and(|r| !state::is_region(r)) {
            return Err(ApiError::Validation(
                "region must be lower-case letters, digits and dashes.".to_owned(),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OutcomeBody {
    operation: String,
    image_name: Option<String>,
    count: Option<i64>,
    action: String,
    failure_reason: Option<String>,
    #[serde(flatten)]
    scope: ScopeBody,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseBody {
    image_name: String,
    #[serde(flatten)]
    scope: ScopeBody,
}

/// A single rule or a list of them, as LocalStack's chaos API takes either.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<FaultRule>),
    One(FaultRule),
}

impl Default for OneOrMany {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl OneOrMany {
    fn checked(self) -> Result<Vec<FaultRule>, ApiError> {
        let rules = match self {
            OneOrMany::Many(rules) => rules,
            OneOrMany::One(rule) => vec![rule],
        };
        rules.iter().try_for_each(FaultRule::check)?;
        Ok(rules)
    }
}

fn outcome_json(rule: &OutcomeRule) -> Value {
    let (action, reason) = match &rule.outcome {
        ForcedOutcome::Fail(reason) => ("fail", Some(reason)),
        ForcedOutcome::Hold => ("hold", None),
    };
    json!({
        "id": rule.id,
        "operation": rule.operation,
        "imageName": rule.image_name,
        "count": rule.remaining,
        "action": action,
        "failureReason": reason,
        "account": rule.account_id,
        "region": rule.region,
    })
}

/// The longest FailureReason the model allows.
const FAILURE_REASON_MAX: usize = 1024;

impl<S: Store> Control<'_, S> {
    /// Answers a control request: a status and a JSON body, or an AWS-shaped error.
    pub async fn handle(&self, request: &ControlRequest<'_>) -> Result<Answer, ApiError> {
        let Some(endpoint) = Endpoint::parse(request.method, request.path) else {
            return Err(ApiError::UnknownOperation(format!(
                "{} {} is not an endpoint of this server's control plane.",
                request.method, request.path
            )));
        };
        if endpoint == Endpoint::Metrics {
            return Ok(Answer::Text(crate::metrics::render()));
        }
        if endpoint.is_open() {
            let (status, body) = self.open(endpoint).await;
            return Ok(Answer::Json(status, body));
        }
        let account = self.admit(request)?;
        let (status, body) = self.act(endpoint, request.body, &account).await?;
        Ok(Answer::Json(status, body))
    }

    async fn open(&self, endpoint: Endpoint) -> (StatusCode, Value) {
        if endpoint != Endpoint::Health {
            return (StatusCode::OK, json!({ "status": "live" }));
        }
        let ready = matches!(
            tokio::time::timeout(HEALTH_TIMEOUT, self.service.store().ping()).await,
            Ok(Ok(()))
        );
        let status = if ready { "running" } else { "error" };
        let body = json!({
            "services": { "sagemaker": status },
            "edition": "sagemaker-images",
            "version": env!("CARGO_PKG_VERSION"),
        });
        let code = if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (code, body)
    }

    /// Lets the request in, or refuses it; the account it acts in by default. A request that carries a
    /// console session's cookie is the console's: that session admits it or refuses it.
    pub(crate) fn admit(&self, request: &ControlRequest<'_>) -> Result<String, ApiError> {
        let headers = request.headers;
        if let Some(admitted) = self.sessions.admit(request.method, headers) {
            return Ok(admitted?.account);
        }
        match self.access {
            Access::LocalCallers => {
                let host = headers
                    .get("host")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !is_loopback_host(host) {
                    return Err(denied(&format!(
                        "Host '{host}' is not a loopback name: the control plane answers local callers only."
                    )));
                }
                let changes = *request.method != Method::GET && *request.method != Method::HEAD;
                if let Some(origin) = headers.get("origin") {
                    let own = format!("http://{host}");
                    if changes && origin.to_str().ok() != Some(own.as_str()) {
                        return Err(denied(
                            "A web page of another origin may not change this server's state.",
                        ));
                    }
                }
                Ok(DEFAULT_ACCOUNT_ID.to_owned())
            }
            Access::Administrators => {
                let principal = self
                    .verifier
                    .verify(
                        request.method.as_str(),
                        request.uri,
                        headers,
                        request.body,
                        SystemTime::now(),
                        CONTROL_SIGNED_HEADERS,
                    )
                    .map_err(|e| {
                        denied(&format!(
                            "Sign control requests with an administrator's key ({}).",
                            ApiError::from(e).message()
                        ))
                    })?;
                if !principal.admin {
                    return Err(denied(&format!(
                        "Access key {} is not an administrator's (admin = true in the credentials file).",
                        principal.access_key_id
                    )));
                }
                Ok(principal.account_id)
            }
        }
    }

    async fn act(
        &self,
        endpoint: Endpoint,
        body: &[u8],
        account: &str,
    ) -> Result<(StatusCode, Value), ApiError> {
        let service = self.service;
        let store = service.store();
        let answer = match endpoint {
            Endpoint::Health | Endpoint::Live | Endpoint::Metrics => {
                return Ok(self.open(endpoint).await)
            }
            Endpoint::Reset => {
                let narrowing: ScopeBody = parse_body(body)?;
                narrowing.check()?;
                store
                    .reset(&ResetScope {
                        account_id: narrowing.account.clone(),
                        region: narrowing.region.clone(),
                    })
                    .await?;
                self.faults.clear();
                for operation in TRANSITIONING_OPERATIONS {
                    service.set_transition_delay(operation, None);
                }
                json!({ "reset": { "account": narrowing.account, "region": narrowing.region } })
            }
            Endpoint::GetState => {
                let contents = store.contents().await?;
                crate::ops::state::render(&contents, crate::domain::now_millis())?
            }
            Endpoint::ApplyState => {
                let document: Value = serde_json::from_slice(body).map_err(|e| {
                    ApiError::Serialization(format!("The initial state is not JSON: {e}"))
                })?;
                serde_json::to_value(state::apply(service, &document).await?)
                    .map_err(|_| ApiError::internal())?
            }
            Endpoint::ListOutcomes => {
                let rules = store.outcome_rules().await?;
                json!({ "outcomes": rules.iter().map(outcome_json).collect::<Vec<_>>() })
            }
            Endpoint::AddOutcome => {
                let rule = self.outcome_rule(parse_body(body)?)?;
                store.add_outcome_rule(&rule).await?;
                json!({ "outcome": outcome_json(&rule) })
            }
            Endpoint::ClearOutcomes => {
                store.clear_outcome_rules().await?;
                json!({ "outcomes": [] })
            }
            Endpoint::Release => {
                let release: ReleaseBody = parse_body(body)?;
                release.scope.check()?;
                let scope = Scope {
                    account_id: release.scope.account.unwrap_or_else(|| account.to_owned()),
                    region: release
                        .scope
                        .region
                        .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
                };
                let released = service.release(&scope, &release.image_name).await?;
                json!({ "released": released })
            }
            Endpoint::GetDelays => self.delays(),
            Endpoint::SetDelays => {
                let delays: std::collections::HashMap<String, String> = parse_body(body)?;
                let mut parsed = Vec::new();
                for (operation, delay) in &delays {
                    let Some(operation) = TRANSITIONING_OPERATIONS.iter().find(|o| *o == operation)
                    else {
                        return Err(ApiError::Validation(format!(
                            "{operation} has no transition; these do: {}.",
                            TRANSITIONING_OPERATIONS.join(", ")
                        )));
                    };
                    let delay = humantime::parse_duration(delay).map_err(|e| {
                        ApiError::Validation(format!(
                            "{operation}: '{delay}' is not a duration ({e})."
                        ))
                    })?;
                    parsed.push((*operation, delay.as_millis().try_into().unwrap_or(i64::MAX)));
                }
                for (operation, delay) in parsed {
                    service.set_transition_delay(operation, Some(delay));
                }
                self.delays()
            }
            Endpoint::ListFaults => json!(self.faults.rules()),
            Endpoint::ReplaceFaults => {
                self.faults
                    .replace(parse_body::<OneOrMany>(body)?.checked()?);
                json!(self.faults.rules())
            }
            Endpoint::AddFaults => {
                self.faults.add(parse_body::<OneOrMany>(body)?.checked()?);
                json!(self.faults.rules())
            }
            Endpoint::RemoveFaults => {
                self.faults
                    .remove(&parse_body::<OneOrMany>(body)?.checked()?);
                json!(self.faults.rules())
            }
            Endpoint::GetEffects => json!(self.faults.effects()),
            Endpoint::SetEffects => {
                self.faults.set_effects(parse_body::<Effects>(body)?);
                json!(self.faults.effects())
            }
        };
        Ok((StatusCode::OK, answer))
    }

    fn delays(&self) -> Value {
        let delays: serde_json::Map<String, Value> = self
            .service
            .transition_delays()
            .into_iter()
            .map(|(operation, millis)| {
                let shown = humantime::format_duration(Duration::from_millis(millis.max(0) as u64));
                (operation.to_owned(), shown.to_string().into())
            })
            .collect();
        Value::Object(delays)
    }

    fn outcome_rule(&self, body: OutcomeBody) -> Result<OutcomeRule, ApiError> {
        body.scope.check()?;
        let Some(operation) = TRANSITIONING_OPERATIONS
            .iter()
            .find(|o| **o == body.operation)
        else {
            return Err(ApiError::Validation(format!(
                "operation must be one of {}.",
                TRANSITIONING_OPERATIONS.join(", ")
            )));
        };
        let outcome = match body.action.as_str() {
            "hold" => ForcedOutcome::Hold,
            "fail" => {
                let reason = body
                    .failure_reason
                    .unwrap_or_else(|| format!("{operation} failed, as a test asked."));
                if reason.is_empty() || reason.chars().count() > FAILURE_REASON_MAX {
                    return Err(ApiError::Validation(format!(
                        "failureReason must have 1 to {FAILURE_REASON_MAX} characters."
                    )));
                }
                ForcedOutcome::Fail(reason)
            }
            other => {
                return Err(ApiError::Validation(format!(
                    "action must be fail or hold, not '{other}'."
                )))
            }
        };
        let count = body.count.unwrap_or(1);
        if count < 1 {
            return Err(ApiError::Validation("count must be at least 1.".to_owned()));
        }
        Ok(OutcomeRule {
            id: uuid::Uuid::new_v4().to_string(),
            account_id: body.scope.account,
            region: body.scope.region,
            operation: (*operation).to_owned(),
            image_name: body.image_name,
            remaining: count,
            outcome,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_parsed_from_method_and_path() {
        let cases = [
            ("GET", "/_sagemaker-images/health", Some(Endpoint::Health)),
            ("HEAD", "/_localstack/health", Some(Endpoint::Health)),
            ("POST", "/_sagemaker-images/health", None),
            ("GET", "/_sagemaker-images/live", Some(Endpoint::Live)),
            ("POST", "/_localstack/state/reset", Some(Endpoint::Reset)),
            ("POST", "/_sagemaker-images/reset", Some(Endpoint::Reset)),
            ("GET", "/_sagemaker-images/reset", None),
            (
                "POST",
                "/_sagemaker-images/state",
                Some(Endpoint::ApplyState),
            ),
            (
                "PATCH",
                "/_localstack/chaos/faults",
                Some(Endpoint::AddFaults),
            ),
            (
                "DELETE",
                "/_sagemaker-images/faults",
                Some(Endpoint::RemoveFaults),
            ),
            (
                "POST",
                "/_localstack/chaos/effects",
                Some(Endpoint::SetEffects),
            ),
            ("GET", "/_localstack/state", None),
            ("GET", "/_sagemaker-images/unknown", None),
            ("GET", "/metrics", Some(Endpoint::Metrics)),
            ("POST", "/metrics", None),
        ];
        for (method, path, expected) in cases {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(Endpoint::parse(&method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn loopback_hosts() {
        for (host, loopback) in [
            ("localhost:7447", true),
            ("127.0.0.1:7447", true),
            ("127.0.0.2", true),
            ("[::1]:7447", true),
            ("LOCALHOST", true),
            ("example.com", false),
            ("10.0.0.1:7447", false),
            ("", false),
        ] {
            assert_eq!(is_loopback_host(host), loopback, "{host}");
        }
    }
}
