//! `sagemaker-images console-link`: asks a running server for a one-time console login link. The call is
//! signed with SigV4 by the key given (an administrator's, on a server with a credentials file), so the
//! secret key itself never crosses the network; the link it prints opens one session, once.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

use crate::auth::SIGNING_NAME;

const LOGIN_LINKS_PATH: &str = "/_sagemaker-images/console/api/login-links";

/// The key that signs the call, and the region of its signature.
pub struct SigningKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{0}: only http:// endpoints are supported")]
    NotHttp(String),
    #[error("{0} resolves to no address")]
    NoAddress(String),
    #[error("cannot reach the server: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot sign the request: {0}")]
    Signing(String),
    #[error("the server's answer is not HTTP: {0}")]
    NotHttpAnswer(String),
    #[error("the server refused: {status} {body}")]
    Refused { status: u16, body: String },
}

/// Mints a login link on the server at `endpoint` and returns its full URL.
pub fn mint(
    endpoint: &str,
    key: Option<&SigningKey>,
    timeout: Duration,
) -> Result<String, LinkError> {
    let endpoint = endpoint.trim_end_matches('/');
    let authority = endpoint
        .strip_prefix("http://")
        .filter(|a| !a.is_empty() && !a.contains('/'))
        .ok_or_else(|| LinkError::NotHttp(endpoint.to_owned()))?;
    let date = time::OffsetDateTime::from(SystemTime::now())
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .map_err(|e| LinkError::Signing(e.to_string()))?;
    let mut headers = vec![
        ("host".to_owned(), authority.to_owned()),
        ("x-amz-date".to_owned(), date),
    ];
    if let Some(key) = key {
        headers.extend(signature_headers(
            &format!("{endpoint}{LOGIN_LINKS_PATH}"),
            &headers,
            key,
        )?);
    }
    let address = authority
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| LinkError::NoAddress(authority.to_owned()))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut head = format!("POST {LOGIN_LINKS_PATH} HTTP/1.1\r\n");
    for (name, value) in &headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("content-length: 0\r\nconnection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let (status, body) = parse_answer(&answer)?;
    if status != 200 {
        return Err(LinkError::Refused { status, body });
    }
    let path = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["path"].as_str().map(str::to_owned))
        .ok_or(LinkError::NotHttpAnswer(body))?;
    Ok(format!("{endpoint}{path}"))
}

/// The Authorization header (and any other the signer adds) for a POST of an empty body.
fn signature_headers(
    url: &str,
    headers: &[(String, String)],
    key: &SigningKey,
) -> Result<Vec<(String, String)>, LinkError> {
    let identity = aws_credential_types::Credentials::new(
        key.access_key_id.clone(),
        key.secret_access_key.clone(),
        None,
        None,
        "console-link",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&key.region)
        .name(SIGNING_NAME)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| LinkError::Signing(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(b""),
    )
    .map_err(|e| LinkError::Signing(e.to_string()))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| LinkError::Signing(e.to_string()))?
        .into_parts();
    Ok(instructions
        .headers()
        .filter(|(name, _)| !headers.iter().any(|(given, _)| given == name))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

/// The status and body of an HTTP/1.1 answer read to its end (the connection was closed after it).
fn parse_answer(answer: &[u8]) -> Result<(u16, String), LinkError> {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| LinkError::NotHttpAnswer(text.chars().take(200).collect()))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| LinkError::NotHttpAnswer(head.chars().take(200).collect()))?;
    Ok((status, body.to_owned()))
}
