//! The control plane for tests and operators, on the API's port under `/_sagemaker-images/` (and under
//! LocalStack's paths where LocalStack has the same endpoint, so that tools written for it work): health,
//! liveness, reset, state and initial state, forced outcomes and holds, transition delays, faults. It acts
//! through the service (`ops`) and the store's trait, never around them; the SageMaker API's routing never
//! reaches it.

mod access;
mod bodies;
mod faults;
mod replays;
pub mod sessions;
pub mod state;

pub use access::AllowedHosts;
pub use faults::{Faults, MAX_FAULT_RULES};
pub use replays::{UsedSignatures, MAX_REMEMBERED_SIGNATURES};
pub use sessions::Sessions;

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Value};

use crate::auth::{Verifier, CONTROL_SIGNED_HEADERS, DEFAULT_ACCOUNT_ID};
use crate::domain::lifecycle::ForcedOutcome;
use crate::domain::Scope;
use crate::model::OperationName;
use crate::ops::{transitioning_operation, Service, TRANSITIONING_OPERATIONS};
use crate::protocol::{ApiError, Reply};
use crate::store::{OutcomeRule, ResetScope};
use bodies::{parse_body, OneOrMany, OutcomeBody, ReleaseBody, ScopeBody};
use faults::Effects;

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

/// Who may use the endpoints that change or show state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The built-in test key is in use (so the server listens on loopback only): any caller whose Host is
    /// a loopback name or one that `--control-hosts` names, but no state-changing call from a web page of
    /// another origin.
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
    /// The request target's authority: HTTP/2's `:authority`, or an absolute-form URI's.
    pub authority: Option<&'a str>,
    /// Path and query, as signed.
    pub uri: &'a str,
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// What the control plane needs of the server.
pub struct Control<'a> {
    pub service: &'a Service,
    pub verifier: &'a Verifier,
    pub access: Access,
    pub faults: &'a Faults,
    /// The console's sessions, which admit a browser as their login admitted it.
    pub sessions: &'a Sessions,
    /// The hosts the built-in key's rule admits.
    pub hosts: &'a AllowedHosts,
    /// The signatures of the signed state-changing calls already made.
    pub used_signatures: &'a UsedSignatures,
}

impl ControlRequest<'_> {
    fn changes_state(&self) -> bool {
        *self.method != Method::GET && *self.method != Method::HEAD
    }
}

/// The operations that have a transition, as a message lists them.
fn transitioning_names() -> String {
    TRANSITIONING_OPERATIONS
        .map(OperationName::as_str)
        .join(", ")
}

fn denied(reason: &str) -> ApiError {
    ApiError::AccessDenied(format!(
        "{reason} The control plane changes and shows every account's state; see the README's \"Testing your code against it\"."
    ))
}

fn outcome_json(rule: &OutcomeRule) -> Value {
    let (action, reason) = match &rule.outcome {
        ForcedOutcome::Fail(reason) => ("fail", Some(reason)),
        ForcedOutcome::Hold => ("hold", None),
    };
    json!({
        "id": rule.id,
        "operation": rule.operation.as_str(),
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
/// The most outcome rules kept at once; adding one more is refused until some are spent or cleared.
pub const MAX_OUTCOME_RULES: usize = 1000;

impl Control<'_> {
    /// Answers a control request: a status and a JSON body, or an AWS-shaped error.
    pub async fn handle(&self, request: &ControlRequest<'_>) -> Result<Reply, ApiError> {
        let Some(endpoint) = Endpoint::parse(request.method, request.path) else {
            return Err(ApiError::UnknownOperation(format!(
                "{} {} is not an endpoint of this server's control plane.",
                request.method, request.path
            )));
        };
        if endpoint == Endpoint::Metrics {
            return Ok(Reply::metrics(crate::metrics::render()));
        }
        if endpoint.is_open() {
            let (status, body) = self.open(endpoint).await;
            return Ok(Reply::json(status, &body));
        }
        let account = self.admit(request)?;
        let (status, body) = self.act(endpoint, request.body, &account).await?;
        Ok(Reply::json(status, &body))
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
    /// console session's cookie is the console's: that session admits it or refuses it. A browser's
    /// state-changing call (a session's, or any under the built-in key) must come from this server's own
    /// origin.
    pub(crate) fn admit(&self, request: &ControlRequest<'_>) -> Result<String, ApiError> {
        let authority = self.authority(request)?;
        if let Some(admitted) = self.sessions.admit(request.method, request.headers) {
            let session = admitted?;
            if request.changes_state() {
                access::check_same_origin(&authority, request.headers)
                    .map_err(|why| denied(&why))?;
            }
            return Ok(session.account);
        }
        match self.access {
            Access::LocalCallers => {
                if request.changes_state() {
                    access::check_same_origin(&authority, request.headers)
                        .map_err(|why| denied(&why))?;
                }
                Ok(DEFAULT_ACCOUNT_ID.to_owned())
            }
            Access::Administrators => {
                let principal = self
                    .verifier
                    .verify(
                        request.method.as_str(),
                        request.uri,
                        request.headers,
                        request.body,
                        SystemTime::now(),
                        CONTROL_SIGNED_HEADERS,
                    )
                    .map_err(|e| {
                        denied(&format!(
                            "Sign control requests with an administrator's key ({}).",
                            ApiError::from(e).recorded_message()
                        ))
                    })?;
                if !principal.admin {
                    return Err(denied(&format!(
                        "Access key {} is not an administrator's (admin = true in the credentials file).",
                        principal.access_key_id
                    )));
                }
                if request.changes_state() {
                    self.used_signatures.first_use(request.headers)?;
                }
                Ok(principal.account_id)
            }
        }
    }

    /// A browser's request for a new console session, which the built-in key's rule grants as it would a
    /// state-changing call: opening a session is one, and no other site's page may make it.
    pub(crate) fn admit_new_session(&self, request: &ControlRequest<'_>) -> Result<(), ApiError> {
        let authority = self.authority(request)?;
        access::check_same_origin(&authority, request.headers).map_err(|why| denied(&why))
    }

    /// The authority the request was sent to, read strictly; under the built-in key, one of the hosts the
    /// rule admits.
    fn authority(&self, request: &ControlRequest<'_>) -> Result<access::Authority, ApiError> {
        let authority = access::request_authority(request.authority, request.headers)
            .map_err(|why| denied(&why))?;
        if self.access == Access::LocalCallers && !self.hosts.admits(&authority) {
            return Err(denied(&format!(
                "Host '{authority}' is neither a loopback name nor one that --control-hosts names: \
                 the control plane answers those callers only."
            )));
        }
        Ok(authority)
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
                let checked = state::check_off_thread(body.to_vec()).await?;
                serde_json::to_value(state::apply(service, checked).await?)
                    .map_err(|_| ApiError::internal())?
            }
            Endpoint::ListOutcomes => {
                let rules = store.outcome_rules().await?;
                json!({ "outcomes": rules.iter().map(outcome_json).collect::<Vec<_>>() })
            }
            Endpoint::AddOutcome => {
                let rule = self.outcome_rule(parse_body(body)?)?;
                // Checked before adding: calls that race at the limit may each pass it, so the bound can be
                // passed by the calls in flight at that moment, once; later calls are refused.
                let kept = store.outcome_rules().await?.len();
                if kept >= MAX_OUTCOME_RULES {
                    return Err(ApiError::ResourceLimitExceeded(format!(
                        "A server keeps at most {MAX_OUTCOME_RULES} outcome rules, and has {kept}; \
                         clear them (DELETE outcomes) or let them be spent."
                    )));
                }
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
                for (name, delay) in &delays {
                    let Some(operation) = transitioning_operation(name) else {
                        return Err(ApiError::Validation(format!(
                            "{name} has no transition; these do: {}.",
                            transitioning_names()
                        )));
                    };
                    let delay = humantime::parse_duration(delay).map_err(|e| {
                        ApiError::Validation(format!("{name}: '{delay}' is not a duration ({e})."))
                    })?;
                    parsed.push((operation, delay.as_millis().try_into().unwrap_or(i64::MAX)));
                }
                for (operation, delay) in parsed {
                    service.set_transition_delay(operation, Some(delay));
                }
                self.delays()
            }
            Endpoint::ListFaults => json!(self.faults.rules()),
            Endpoint::ReplaceFaults => {
                self.faults.replace(OneOrMany::parse(body)?)?;
                json!(self.faults.rules())
            }
            Endpoint::AddFaults => {
                self.faults.add(OneOrMany::parse(body)?)?;
                json!(self.faults.rules())
            }
            Endpoint::RemoveFaults => {
                self.faults.remove(&OneOrMany::parse(body)?)?;
                json!(self.faults.rules())
            }
            Endpoint::GetEffects => json!(self.faults.effects()),
            Endpoint::SetEffects => {
                self.faults.set_effects(parse_body::<Effects>(body)?)?;
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
                (operation.as_str().to_owned(), shown.to_string().into())
            })
            .collect();
        Value::Object(delays)
    }

    fn outcome_rule(&self, body: OutcomeBody) -> Result<OutcomeRule, ApiError> {
        body.scope.check()?;
        let Some(operation) = transitioning_operation(&body.operation) else {
            return Err(ApiError::Validation(format!(
                "operation must be one of {}.",
                transitioning_names()
            )));
        };
        let outcome = match body.action.as_str() {
            "hold" => ForcedOutcome::Hold,
            "fail" => {
                let reason = body
                    .failure_reason
                    .unwrap_or_else(|| format!("{} failed, as a test asked.", operation.as_str()));
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
            operation,
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
}
