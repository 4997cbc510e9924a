//! Every error the service can answer, and its one rendering onto the wire.

use axum::http::StatusCode;

use crate::model::RequestError;

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
    #[error("{0}")]
    IncompleteSignature(String),
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
    /// A control-plane request from someone who may not make it.
    #[error("{0}")]
    AccessDenied(String),
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
            ApiError::IncompleteSignature(_) => "IncompleteSignatureException",
            ApiError::InvalidSignature(_) => "InvalidSignatureException",
            ApiError::UnrecognizedClient(_) => "UnrecognizedClientException",
            ApiError::Internal(_) => "InternalFailure",
            ApiError::Throttling(_) => "ThrottlingException",
            ApiError::RequestTimeout(_) => "RequestTimeoutException",
            ApiError::ServiceUnavailable(_) => "ServiceUnavailable",
            ApiError::AccessDenied(_) => "AccessDeniedException",
            ApiError::Injected { code, .. } => code,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            | ApiError::IncompleteSignature(m)
            | ApiError::InvalidSignature(m)
            | ApiError::UnrecognizedClient(m)
            | ApiError::Internal(m)
            | ApiError::Throttling(m)
            | ApiError::RequestTimeout(m)
            | ApiError::ServiceUnavailable(m)
            | ApiError::AccessDenied(m)
            | ApiError::Injected { message: m, .. } => m,
        }
    }

    pub fn internal() -> Self {
        ApiError::Internal("We encountered an internal error. Please try again.".to_owned())
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
