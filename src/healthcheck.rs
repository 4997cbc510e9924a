//! `sagemaker-images healthcheck`: asks a running server whether it is ready, for container health checks
//! in images that have no curl. Exits 0 when the server answers 200, 1 otherwise.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Where readiness is answered; a URL that names no path asks it here.
const HEALTH_PATH: &str = "/_sagemaker-images/health";

/// Sends `GET` for `url` (plain `http://host:port/path`) and returns the status the server answered. A
/// base URL (`http://host:7447`, with or without the trailing slash) asks the health endpoint, so the same
/// URL serves the SDKs and the health check.
pub fn status_of(url: &str, timeout: Duration) -> anyhow::Result<u16> {
    let (authority, path) = split_url(url)?;
    let address = authority
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{authority} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    let line = std::str::from_utf8(&head)?;
    line.strip_prefix("HTTP/1.1 ")
        .or_else(|| line.strip_prefix("HTTP/1.0 "))
        .and_then(|code| code.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("not an HTTP answer: {line:?}"))
}

/// The authority and the path to ask of an `http://` URL.
fn split_url(url: &str) -> anyhow::Result<(&str, &str)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("{url}: only http:// URLs are checked"))?;
    Ok(match rest.find('/') {
        Some(slash) if rest.len() > slash + 1 => rest.split_at(slash),
        Some(slash) => (&rest[..slash], HEALTH_PATH),
        None => (rest, HEALTH_PATH),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_asks_the_health_endpoint() {
        for (url, expected) in [
            ("http://sagemaker:7447", ("sagemaker:7447", HEALTH_PATH)),
            ("http://sagemaker:7447/", ("sagemaker:7447", HEALTH_PATH)),
            (
                "http://127.0.0.1:7447/_localstack/health",
                ("127.0.0.1:7447", "/_localstack/health"),
            ),
            ("http://[::1]:7447/live", ("[::1]:7447", "/live")),
        ] {
            assert_eq!(split_url(url).expect(url), expected, "{url}");
        }
        assert!(split_url("https://sagemaker:7447").is_err());
    }
}
