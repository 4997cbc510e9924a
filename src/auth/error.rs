//! Why a request's signature was refused, in SigV4's terms. The wording clients see, with its AWS code,
//! is given in one place outside this module (`protocol::error`).

/// A refused signature, in the order [`super::Verifier::verify`] checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no Authorization header")]
    MissingAuthorization,
    /// The Authorization header, or the date it depends on, cannot be read. `authorization` is the header
    /// as sent (empty when it is not text), which the answer echoes.
    #[error("incomplete signature: {problem}")]
    Incomplete {
        problem: HeaderProblem,
        authorization: String,
    },
    #[error("credential scoped to another service; expected {expected}")]
    WrongService { expected: String },
    #[error("credential scope ends in {terminator}, not aws4_request")]
    WrongTerminator { terminator: String },
    /// The credential scope's date is not the day of X-Amz-Date.
    #[error("credential scope date {scope_date} is not the day of {amz_date}")]
    ScopeDateMismatch {
        scope_date: String,
        amz_date: String,
    },
    #[error("credential scope has no region")]
    NoRegion,
    #[error("header {header} is not signed")]
    UnsignedHeader { header: String },
    /// X-Amz-Date is further ahead of the server's clock than the skew allows. The times are in
    /// X-Amz-Date's form: `latest` is the last one accepted, `now` the server's.
    #[error("signed at {signed_at}, after {latest}")]
    NotYetCurrent {
        signed_at: String,
        latest: String,
        now: String,
    },
    /// X-Amz-Date is further behind the server's clock than the skew allows; `earliest` is the first
    /// time accepted.
    #[error("signed at {signed_at}, before {earliest}")]
    Expired {
        signed_at: String,
        earliest: String,
        now: String,
    },
    #[error("unknown access key")]
    UnknownAccessKey,
    /// The signature is not the one the request's content and the key's secret give.
    #[error("signature does not match")]
    Mismatch,
}

/// What is wrong with the Authorization header or the request's date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderProblem {
    #[error("the header is not valid text")]
    NotText,
    #[error("the algorithm is not AWS4-HMAC-SHA256")]
    WrongAlgorithm,
    /// The parameters missing or empty, in the order Credential, Signature, SignedHeaders.
    #[error("missing parameters {0:?}")]
    MissingParameters(Vec<&'static str>),
    /// The Credential parameter is not five slash-separated parts.
    #[error("credential {credential} is not key/date/region/service/terminator")]
    CredentialShape { credential: String },
    #[error("no X-Amz-Date")]
    MissingDate,
    /// X-Amz-Date as sent (repeated values joined by commas) is not an ISO 8601 basic-format time.
    #[error("X-Amz-Date {date} is not a basic-format time")]
    MalformedDate { date: String },
}
