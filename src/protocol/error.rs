//! Every error the service can answer, and its one rendering onto the wire: the refusals of `domain` and
//! `auth`, said there in their own terms, get their AWS code, message and status here and nowhere else.

use axum::http::StatusCode;

use crate::auth::{AuthError, HeaderProblem};
use crate::authz::Denial;
use crate::domain::error::{Busy, DomainError, Invalid, Limit, Missing};
use crate::domain::lifecycle::Status;
use crate::domain::selectors::{DeletableProperty, VersionSelector};
use crate::model::RequestError;
use crate::store::StoreError;

/// What the client reads of our own fault: its cause is for the log only.
const INTERNAL_MESSAGE: &str = "We encountered an internal error. Please try again.";

/// An error as the client sees it: an AWS error code, an HTTP status and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Serialization(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceInUse(String),
    #[error("{0}")]
    ResourceLimitExceeded(String),
    #[error("{0}")]
    UnknownOperation(String),
    #[error("{0}")]
    RequestTooLarge(String),
    #[error("{0}")]
    MissingAuthenticationToken(String),
    /// `message` echoes the Authorization header, as AWS's does; `recorded` says the same without it.
    #[error("{message}")]
    IncompleteSignature { message: String, recorded: String },
    #[error("{0}")]
    InvalidSignature(String),
    #[error("{0}")]
    UnrecognizedClient(String),
    /// Our own fault. The message is generic; the cause goes to the log, never to the client.
    #[error("{0}")]
    Internal(String),
    #[error("{0}")]
    Throttling(String),
    /// The request's body did not arrive within the read limit.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    ServiceUnavailable(String),
    /// The store failed: 503 ServiceUnavailable where a retry may help (a full disk, an unreachable
    /// database), InternalFailure otherwise. `cause`, the store's own words, is for the log the server
    /// writes where it answers (`ApiError::cause`), never for the client.
    #[error("{message}")]
    StoreFailed {
        retryable: bool,
        message: String,
        cause: String,
    },
    /// A control-plane request from someone who may not make it.
    #[error("{0}")]
    AccessDenied(String),
    /// An API request the key's identity-based policies do not allow: the same code, with HTTP 400, as
    /// SageMaker answers it.
    #[error("{0}")]
    NotAuthorized(String),
    /// An error a test asked for (the control plane's faults): any code, with any status.
    #[error("{message}")]
    Injected {
        code: String,
        status: u16,
        message: String,
    },
}

impl ApiError {
    /// The `__type` code clients match on.
    pub fn code(&self) -> &str {
        match self {
            ApiError::Validation(_) => "ValidationException",
            ApiError::Serialization(_) => "SerializationException",
            ApiError::ResourceNotFound(_) => "ResourceNotFound",
            ApiError::ResourceInUse(_) => "ResourceInUse",
            ApiError::ResourceLimitExceeded(_) => "ResourceLimitExceeded",
            ApiError::UnknownOperation(_) => "UnknownOperationException",
            ApiError::RequestTooLarge(_) => "RequestEntityTooLargeException",
            ApiError::MissingAuthenticationToken(_) => "MissingAuthenticationTokenException",
            ApiError::IncompleteSignature { .. } => "IncompleteSignatureException",
            ApiError::InvalidSignature(_) => "InvalidSignatureException",
            ApiError::UnrecognizedClient(_) => "UnrecognizedClientException",
            ApiError::Internal(_) => "InternalFailure",
            ApiError::Throttling(_) => "ThrottlingException",
            ApiError::RequestTimeout(_) => "RequestTimeoutException",
            ApiError::ServiceUnavailable(_) => "ServiceUnavailable",
            ApiError::StoreFailed {
                retryable: true, ..
            } => "ServiceUnavailable",
            ApiError::StoreFailed {
                retryable: false, ..
            } => "InternalFailure",
            ApiError::AccessDenied(_) | ApiError::NotAuthorized(_) => "AccessDeniedException",
            ApiError::Injected { code, .. } => code,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Internal(_)
            | ApiError::StoreFailed {
                retryable: false, ..
            } => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::ServiceUnavailable(_)
            | ApiError::StoreFailed {
                retryable: true, ..
            } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RequestTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::AccessDenied(_) => StatusCode::FORBIDDEN,
            ApiError::Injected { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST)
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The model declares SageMaker's own errors with a `Message` member; protocol-level errors use
    /// `message`, as captured from real answers. Clients read either.
    pub fn message_key(&self) -> &'static str {
        match self {
            ApiError::ResourceNotFound(_)
            | ApiError::ResourceInUse(_)
            | ApiError::ResourceLimitExceeded(_) => "Message",
            _ => "message",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ApiError::Validation(m)
            | ApiError::Serialization(m)
            | ApiError::ResourceNotFound(m)
            | ApiError::ResourceInUse(m)
            | ApiError::ResourceLimitExceeded(m)
            | ApiError::UnknownOperation(m)
            | ApiError::RequestTooLarge(m)
            | ApiError::MissingAuthenticationToken(m)
            | ApiError::IncompleteSignature { message: m, .. }
            | ApiError::InvalidSignature(m)
            | ApiError::UnrecognizedClient(m)
            | ApiError::Internal(m)
            | ApiError::Throttling(m)
            | ApiError::RequestTimeout(m)
            | ApiError::ServiceUnavailable(m)
            | ApiError::AccessDenied(m)
            | ApiError::NotAuthorized(m)
            | ApiError::StoreFailed { message: m, .. }
            | ApiError::Injected { message: m, .. } => m,
        }
    }

    /// What went wrong inside, for the server's log: the store's own words when it failed.
    pub fn cause(&self) -> Option<&str> {
        match self {
            ApiError::StoreFailed { cause, .. } => Some(cause),
            _ => None,
        }
    }

    /// The message as the request ring, the log and the console may keep it: never a credential, a
    /// signature or a secret, which the wire's message may echo as AWS's does.
    pub fn recorded_message(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ApiError::IncompleteSignature { recorded, .. } => recorded.into(),
            other => other.message().into(),
        }
    }

    pub fn internal() -> Self {
        ApiError::Internal(INTERNAL_MESSAGE.to_owned())
    }

    /// `target`, the whole of `X-Amz-Target`, names no operation of this service.
    pub fn unknown_operation(target: &str) -> Self {
        ApiError::UnknownOperation(format!(
            "Operation '{target}' is not supported by this service."
        ))
    }
}

/// A body that is not a valid input of its operation: a wrong JSON type is SerializationException, broken
/// constraints one ValidationException, both worded as the model error words them (AWS's words).
impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> Self {
        match error {
            RequestError::WrongType { .. } => ApiError::Serialization(error.to_string()),
            RequestError::Invalid(_) => ApiError::Validation(error.to_string()),
            RequestError::UnknownOperation(name) => {
                ApiError::unknown_operation(&format!("{}{name}", super::TARGET_PREFIX))
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::NotFound(missing) => ApiError::ResourceNotFound(not_found(missing)),
            DomainError::InUse(busy) => ApiError::ResourceInUse(in_use(busy)),
            DomainError::Invalid(invalid) => ApiError::Validation(invalid_message(invalid)),
            DomainError::LimitExceeded(limit) => {
                ApiError::ResourceLimitExceeded(limit_message(limit))
            }
        }
    }
}

// Terraform's provider treats ResourceNotFound as "gone" only if the message says "does not exist".
fn not_found(missing: Missing) -> String {
    match missing {
        Missing::Image { name } => format!("Image {name} does not exist."),
        Missing::ImageVersion { image, selector } => match selector {
            VersionSelector::Number(n) => format!("ImageVersion {image}/{n} does not exist."),
            VersionSelector::Alias(alias) => {
                format!("ImageVersion with alias {alias} of image {image} does not exist.")
            }
            VersionSelector::Latest => format!(
                "Latest ImageVersion with ImageName {image} does not exist. Please provide a valid ImageName."
            ),
        },
        Missing::AppImageConfig { name } => format!("AppImageConfig {name} does not exist."),
    }
}

fn in_use(busy: Busy) -> String {
    match busy {
        Busy::ImageExists { name } => format!(
            "The Image with ImageName {name} already exists. Please use a different ImageName."
        ),
        Busy::Image { name, status } => format!(
            "Image {name} is in {} state and cannot be modified now.",
            status.as_str()
        ),
        Busy::ImageDeleting { name } => {
            format!("Image {name} is being deleted, and its versions with it.")
        }
        Busy::ImageNotReadyForVersion { name, status } => format!(
            "Image {name} is in {} state; a version can be created only when it is CREATED.",
            status.as_str()
        ),
        Busy::VersionNotUpdatable {
            image,
            version,
            status,
        } => format!(
            "ImageVersion {image}/{version} is in {} state and cannot be updated now.",
            status.as_str()
        ),
        Busy::VersionNotDeletable {
            image,
            version,
            status,
        } => {
            let reason = if status == Status::Deleting {
                "is being deleted"
            } else {
                "is being created"
            };
            format!("ImageVersion ({image}/{version}) {reason}.")
        }
        // SageMaker's own words, which do not name the config.
        Busy::AppImageConfigExists { .. } => {
            "The ID or Name specified is already in use.".to_owned()
        }
    }
}

fn invalid_message(invalid: Invalid) -> String {
    match invalid {
        Invalid::VersionAndAlias => "Specify either Version or Alias, not both.".to_owned(),
        Invalid::DeleteWithoutVersion => {
            "Specify the Version or the Alias of the version to delete.".to_owned()
        }
        Invalid::RepeatedAlias => "An alias may be listed only once in a request.".to_owned(),
        Invalid::AliasAddedAndDeleted { alias } => {
            format!("Alias {alias} cannot be both added and deleted in the same request.")
        }
        Invalid::AliasTaken {
            alias,
            owner,
            image,
        } => format!("Alias {alias} is already associated with version {owner} of image {image}."),
        Invalid::ClientTokenReused { token, version } => format!(
            "ClientToken {token} was already used to create version {version} with different parameters."
        ),
        Invalid::VersionNumberTaken {
            requested,
            image,
            next,
        } => format!("Version {requested} of image {image} was already given; the next is {next}."),
        Invalid::ImageFailed { name, .. } => format!("Image {name} is in an invalid state."),
        Invalid::SetAndDeleted { property } => {
            let member = match property {
                DeletableProperty::DisplayName => "DisplayName",
                DeletableProperty::Description => "Description",
            };
            format!("{member} cannot be both set and listed in DeleteProperties in the same request.")
        }
        Invalid::ReservedTagKey { key } => {
            format!("Tag key '{key}' is not allowed: the 'aws:' prefix is reserved for AWS use.")
        }
        Invalid::RepeatedTagKey { key } => {
            format!("Tag key '{key}' appears more than once in the request.")
        }
        Invalid::UnknownResource { arn } => format!("Resource {arn} does not exist."),
        Invalid::PageToken => "Invalid pagination token given: the NextToken is not one this service issued for this request.".to_owned(),
    }
}

fn limit_message(limit: Limit) -> String {
    match limit {
        Limit::Tags { count, max } => format!(
            "A resource can have at most {max} tags; this request would leave it with {count}."
        ),
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let invalid = ApiError::InvalidSignature;
        match error {
            AuthError::MissingAuthorization => ApiError::MissingAuthenticationToken(
                "Request is missing Authentication Token".to_owned(),
            ),
            AuthError::Incomplete {
                problem,
                authorization,
            } => ApiError::IncompleteSignature {
                recorded: format!(
                    "{} (The Authorization header is not repeated here.)",
                    header_problem_unechoed(&problem)
                ),
                message: format!("{} Authorization={authorization}", header_problem(problem)),
            },
            AuthError::WrongService { expected } => invalid(format!(
                "Credential should be scoped to correct service: '{expected}'."
            )),
            AuthError::WrongTerminator { terminator } => invalid(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            )),
            AuthError::ScopeDateMismatch {
                scope_date,
                amz_date,
            } => {
                let day = amz_date.get(..8).unwrap_or(&amz_date);
                invalid(format!(
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{day}', from '{amz_date}'."
                ))
            }
            AuthError::NoRegion => {
                invalid("Credential should be scoped to a valid region.".to_owned())
            }
            AuthError::UnsignedHeader { header } => invalid(format!(
                "'{header}' must be a 'SignedHeader' in the AWS Authorization."
            )),
            AuthError::NotYetCurrent {
                signed_at,
                latest,
                now,
            } => invalid(format!(
                "Signature not yet current: {signed_at} is still later than {latest} ({now} + 15 min.)"
            )),
            AuthError::Expired {
                signed_at,
                earliest,
                now,
            } => invalid(format!(
                "Signature expired: {signed_at} is now earlier than {earliest} ({now} - 15 min.)"
            )),
            AuthError::UnknownAccessKey => ApiError::UnrecognizedClient(
                "The security token included in the request is invalid.".to_owned(),
            ),
            AuthError::Mismatch => invalid(
                "The request signature we calculated does not match the signature you provided. Check your AWS \
                 Secret Access Key and signing method. Consult the service documentation for details."
                    .to_owned(),
            ),
        }
    }
}

/// What is wrong with the header, without the parts of it that the wire's message echoes.
fn header_problem_unechoed(problem: &HeaderProblem) -> String {
    match problem {
        HeaderProblem::CredentialShape { .. } => {
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term."
                .to_owned()
        }
        other => header_problem(other.clone()),
    }
}

fn header_problem(problem: HeaderProblem) -> String {
    match problem {
        HeaderProblem::NotText => "Authorization header is not valid text.".to_owned(),
        HeaderProblem::WrongAlgorithm => {
            "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm.".to_owned()
        }
        HeaderProblem::MissingParameters(names) => names
            .iter()
            .map(|name| format!("Authorization header requires '{name}' parameter."))
            .collect::<Vec<_>>()
            .join(" "),
        HeaderProblem::CredentialShape { credential } => format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'."
        ),
        HeaderProblem::MissingDate => {
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .to_owned()
        }
        HeaderProblem::MalformedDate { date } => {
            format!("Date must be in ISO-8601 'basic format'. Got '{date}'.")
        }
    }
}

/// A request the key's policies refuse, in IAM's words.
impl From<Denial> for ApiError {
    fn from(denial: Denial) -> Self {
        let Denial {
            principal,
            action,
            resource,
            explicit,
        } = denial;
        let why = if explicit {
            "with an explicit deny in an identity-based policy".to_owned()
        } else {
            format!("because no identity-based policy allows the {action} action")
        };
        ApiError::NotAuthorized(format!(
            "User: {principal} is not authorized to perform: {action} on resource: {resource} {why}"
        ))
    }
}

/// A store that failed: a full disk or an unreachable database is worth a retry (503, which every SDK
/// retries); anything else is an internal error, logged here with its cause.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        // 503 where retrying may help: every SDK retries it.
        let (retryable, message) = if error.is_disk_full() {
            (
                true,
                "The server's disk is full; the change was not made. Retry once space is free.",
            )
        } else if error.is_unreachable() {
            (
                true,
                "The server's database could not be reached. Retry shortly.",
            )
        } else {
            (false, INTERNAL_MESSAGE)
        };
        ApiError::StoreFailed {
            retryable,
            message: message.to_owned(),
            cause: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
