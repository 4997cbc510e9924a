//! Where a control call comes from, read strictly: the authority it was sent to (`Host`, or HTTP/2's
//! `:authority`, or an absolute-form URI), the host names the built-in key's rule admits, and the signals a
//! browser gives of the page that sent a call (`Origin`, `Sec-Fetch-Site`, `Referer`).

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use axum::http::{header, HeaderMap, HeaderValue};

/// The longest host name DNS allows.
const HOST_NAME_MAX: usize = 253;

/// A host and an optional port, nothing else (RFC 3986's authority without user information).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Lower-cased; an IPv6 address without its brackets.
    host: String,
    port: Option<u16>,
}

/// Letters, digits, dots, dashes and underscores (which container service names may hold).
fn is_host_name(name: &str) -> bool {
    (1..=HOST_NAME_MAX).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl Authority {
    /// `host[:port]`, with an IPv6 host in brackets; `None` for anything else.
    pub fn parse(text: &str) -> Option<Authority> {
        let (host, rest) = match text.strip_prefix('[') {
            Some(bracketed) => {
                let (address, rest) = bracketed.split_once(']')?;
                address.parse::<Ipv6Addr>().ok()?;
                (address, rest)
            }
            None => {
                let (name, rest) = text.split_at(text.find(':').unwrap_or(text.len()));
                (name, rest)
            }
        };
        if !host.contains(':') && !is_host_name(host) {
            return None;
        }
        let port = match rest {
            "" => None,
            _ => {
                let digits = rest.strip_prefix(':')?;
                if !(1..=5).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some(digits.parse().ok()?)
            }
        };
        Some(Authority {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl std::fmt::Display for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.host.contains(':') {
            true => write!(f, "[{}]", self.host)?,
            false => f.write_str(&self.host)?,
        }
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

/// A host name an operator allows (`--control-hosts`): a name or address, without a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName(String);

impl FromStr for HostName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match Authority::parse(text.trim()) {
            Some(Authority { host, port: None }) => Ok(HostName(host)),
            _ => Err(format!(
                "'{}' is not a host name (letters, digits, dots, dashes, underscores; no port)",
                text.escape_debug()
            )),
        }
    }
}

/// The hosts the built-in key's access rule admits: loopback names, and those the operator names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts(Vec<HostName>);

/// A comma-separated list of host names; empty entries (and an empty list) name nothing.
impl FromStr for AllowedHosts {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .filter(|name| !name.trim().is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(AllowedHosts)
    }
}

impl AllowedHosts {
    pub fn admits(&self, authority: &Authority) -> bool {
        authority.is_loopback() || self.0.iter().any(|name| name.0 == authority.host)
    }
}

/// The one value of a header that must not repeat: `None` when absent, `Err` when repeated.
fn single<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a HeaderValue>, String> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    match values.next() {
        Some(_) => Err(format!("The request has more than one {name} header.")),
        None => Ok(first),
    }
}

fn read_authority(what: &str, value: &[u8]) -> Result<Authority, String> {
    std::str::from_utf8(value)
        .ok()
        .and_then(Authority::parse)
        .ok_or_else(|| {
            format!(
                "{what} '{}' is not a host and an optional port.",
                String::from_utf8_lossy(value).escape_debug()
            )
        })
}

/// The authority a request was sent to: its `Host` header, and the URI's authority (HTTP/2's
/// `:authority`, or an absolute-form request target), which must agree when both are given. Refused (with
/// the reason) when missing, repeated, malformed or in disagreement.
pub fn request_authority(
    uri_authority: Option<&str>,
    headers: &HeaderMap,
) -> Result<Authority, String> {
    let from_host = single(headers, header::HOST.as_str())?
        .map(|value| read_authority("Host", value.as_bytes()))
        .transpose()?;
    let from_uri = uri_authority
        .map(|value| read_authority("The request's authority", value.as_bytes()))
        .transpose()?;
    match (from_host, from_uri) {
        (Some(host), Some(uri)) if host != uri => Err(format!(
            "Host '{host}' and the request's authority '{uri}' disagree."
        )),
        (Some(authority), _) | (None, Some(authority)) => Ok(authority),
        (None, None) => Err("The request names no host.".to_owned()),
    }
}

/// Whether `origin` (`scheme://authority`, as an `Origin` header or the start of a `Referer` gives it)
/// is the origin of `authority`.
fn is_own_origin(origin: &[u8], authority: &Authority) -> bool {
    let Ok(origin) = std::str::from_utf8(origin) else {
        return false;
    };
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    Authority::parse(rest).as_ref() == Some(authority)
}

const FOREIGN: &str = "A web page of another origin may not change this server's state.";

/// Refuses what a browser says came from a page of another origin than `authority`'s: an `Origin` of
/// another origin (or more than one), a `Sec-Fetch-Site` other than `same-origin` or `none`, a `Referer`
/// of another origin. A caller that sends none of them (a test suite, curl) is not a browser's page.
pub fn check_same_origin(authority: &Authority, headers: &HeaderMap) -> Result<(), String> {
    if let Some(origin) = single(headers, header::ORIGIN.as_str())? {
        if !is_own_origin(origin.as_bytes(), authority) {
            return Err(FOREIGN.to_owned());
        }
    }
    let cross_site = headers
        .get_all("sec-fetch-site")
        .iter()
        .any(|site| !matches!(site.as_bytes(), b"same-origin" | b"none"));
    let foreign_referer = headers.get_all(header::REFERER).iter().any(|referer| {
        let referer = referer.as_bytes();
        let scheme_end = referer
            .windows(3)
            .position(|w| w == b"://")
            .map_or(0, |i| i + 3);
        let end = referer[scheme_end..]
            .iter()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .map_or(referer.len(), |i| scheme_end + i);
        !is_own_origin(&referer[..end], authority)
    });
    if cross_site || foreign_referer {
        return Err(FOREIGN.to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                *name,
                HeaderValue::from_str(value).expect("test values are text"),
            );
        }
        map
    }

    #[test]
    fn an_authority_is_a_host_and_an_optional_numeric_port() {
        let cases = [
            ("localhost:7447", Some(("localhost", Some(7447)))),
            ("127.0.0.1:7447", Some(("127.0.0.1", Some(7447)))),
            ("127.0.0.2", Some(("127.0.0.2", None))),
            ("[::1]:7447", Some(("::1", Some(7447)))),
            ("[::1]", Some(("::1", None))),
            ("LOCALHOST", Some(("localhost", None))),
            ("Sagemaker:7447", Some(("sagemaker", Some(7447)))),
            ("127.0.0.1:evil.example", None),
            ("127.0.0.1:7447@evil", None),
            ("user@127.0.0.1", None),
            ("[::1]evil.example", None),
            ("[::1]:", None),
            ("127.0.0.1:", None),
            ("127.0.0.1:65536", None),
            ("127.0.0.1:123456", None),
            ("[evil.example]", None),
            ("::1", None),
            ("", None),
            ("a b", None),
            ("127.0.0.1/x", None),
        ];
        for (text, expected) in cases {
            let got = Authority::parse(text);
            let got = got.as_ref().map(|a| (a.host.as_str(), a.port));
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn loopback_names_and_allowed_names_are_admitted() {
        let allowed: AllowedHosts = "Sagemaker".parse().expect("a host name");
        for (host, admitted) in [
            ("localhost:7447", true),
            ("127.0.0.1:7447", true),
            ("[::1]:7447", true),
            ("sagemaker:7447", true),
            ("SAGEMAKER", true),
            ("sagemaker.evil.example", false),
            ("10.0.0.1:7447", false),
        ] {
            let authority = Authority::parse(host).expect("an authority");
            assert_eq!(allowed.admits(&authority), admitted, "{host}");
        }
        assert!(!AllowedHosts::default().admits(&Authority::parse("sagemaker").expect("parses")));
        for bad in ["sagemaker:7447", "", "a/b"] {
            assert!(bad.parse::<HostName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_host_header_and_the_uris_authority_must_agree_and_not_repeat() {
        let local = headers(&[("host", "127.0.0.1:7447")]);
        let cases = [
            (None, local.clone(), Ok("127.0.0.1:7447")),
            (Some("127.0.0.1:7447"), local.clone(), Ok("127.0.0.1:7447")),
            (
                Some("127.0.0.1:7447"),
                HeaderMap::new(),
                Ok("127.0.0.1:7447"),
            ),
            (Some("evil.example"), local.clone(), Err("disagree")),
            (
                None,
                headers(&[("host", "127.0.0.1"), ("host", "evil.example")]),
                Err("more than one host"),
            ),
            (
                None,
                headers(&[("host", "127.0.0.1:x")]),
                Err("is not a host"),
            ),
            (None, HeaderMap::new(), Err("names no host")),
        ];
        for (uri, headers, expected) in cases {
            let got = request_authority(uri, &headers).map(|a| a.to_string());
            match (got, expected) {
                (Ok(got), Ok(expected)) => assert_eq!(got, expected),
                (Err(why), Err(part)) => assert!(why.contains(part), "{why}"),
                (got, expected) => panic!("{uri:?} {headers:?}: {got:?}, not {expected:?}"),
            }
        }
    }

    #[test]
    fn a_browsers_signals_of_another_origin_are_refused() {
        let own = Authority::parse("127.0.0.1:7447").expect("parses");
        let cases: [(&[(&'static str, &str)], bool); 12] = [
            (&[], true),
            (&[("origin", "http://127.0.0.1:7447")], true),
            (&[("origin", "https://127.0.0.1:7447")], true),
            (&[("origin", "http://evil.example")], false),
            (&[("origin", "http://127.0.0.1:1")], false),
            (&[("origin", "null")], false),
            (
                &[
                    ("origin", "http://127.0.0.1:7447"),
                    ("origin", "http://evil.example"),
                ],
                false,
            ),
            (&[("sec-fetch-site", "same-origin")], true),
            (&[("sec-fetch-site", "none")], true),
            (&[("sec-fetch-site", "cross-site")], false),
            (&[("referer", "http://evil.example/page")], false),
            (
                &[(
                    "referer",
                    "http://127.0.0.1:7447/_sagemaker-images/console/",
                )],
                true,
            ),
        ];
        for (pairs, allowed) in cases {
            assert_eq!(
                check_same_origin(&own, &headers(pairs)).is_ok(),
                allowed,
                "{pairs:?}"
            );
        }
    }

    proptest! {
        /// Any text: no panic, and what parses prints as text that parses to the same authority.
        #[test]
        fn parsing_an_authority_never_panics_and_round_trips(text in "\\PC{0,64}") {
            if let Some(authority) = Authority::parse(&text) {
                prop_assert_eq!(Authority::parse(&authority.to_string()), Some(authority));
            }
        }

        #[test]
        fn the_origin_checks_never_panic(
            host in "[a-z0-9.:\\[\\]@]{0,24}",
            origin in "\\PC{0,40}",
            referer in "\\PC{0,40}",
            site in "[a-z-]{0,12}",
        ) {
            let mut map = HeaderMap::new();
            for (name, value) in [("host", &host), ("origin", &origin), ("referer", &referer), ("sec-fetch-site", &site)] {
                if let Ok(value) = HeaderValue::from_str(value) {
                    map.append(name, value);
                }
            }
            if let Ok(authority) = request_authority(None, &map) {
                let _ = check_same_origin(&authority, &map);
            }
        }
    }
}
