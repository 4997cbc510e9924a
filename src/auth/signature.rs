//! Computing the signature a request should carry.
//!
//! Every request of this protocol is `POST /` with no query string, so its canonical request is the method,
//! `/`, an empty query, the signed headers and the body's hash. That common form is built here in one buffer;
//! anything else (another path, a query string, header names out of order) goes through `aws-sigv4`'s
//! general signer, which also serves as the reference the unit tests compare against. The signing key is
//! derived once per access key, day and region (`SigningKeys`) with `aws-sigv4`'s own derivation.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::credentials::Credential;

/// What the signature covers, as the `Authorization` header and the request give it.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub headers: &'a HeaderMap,
    /// The names listed in `SignedHeaders`, in the client's order.
    pub signed_headers: &'a [&'a str],
    pub body: &'a [u8],
    /// `X-Amz-Date` as sent (already checked to be in ISO-8601 basic format).
    pub amz_date: &'a str,
    pub signed_at: SystemTime,
    pub region: &'a str,
    /// The service the credential is scoped to (`sagemaker`; the official test vectors use their own).
    pub service: &'a str,
    /// The `Credential=` value (`key/date/region/service/aws4_request`), which names the signing key.
    pub credential_scope: &'a str,
}

/// Derived signing keys by credential scope. A key depends only on the secret, the day, the region and the
/// service, so one derivation (four HMACs) serves every request of that day. The key is kept as an HMAC
/// already keyed with it: the two blocks of its padded key are hashed once, not on every request.
#[derive(Default)]
pub struct SigningKeys {
    by_scope: Mutex<HashMap<String, Hmac<Sha256>>>,
}

/// Enough for every key and region a server sees in a day; beyond it the cache starts over.
const MAX_CACHED_KEYS: usize = 1024;

impl SigningKeys {
    /// An HMAC keyed with the signing key of `request`'s scope, ready for its string to sign.
    fn mac(&self, credential: &Credential, request: &SignedRequest<'_>) -> Option<Hmac<Sha256>> {
        let mut cache = self.by_scope.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mac) = cache.get(request.credential_scope) {
            return Some(mac.clone());
        }
        let derived = v4::generate_signing_key(
            &credential.secret_access_key,
            request.signed_at,
            request.region,
            request.service,
        );
        let mac = Hmac::<Sha256>::new_from_slice(derived.as_ref()).ok()?;
        if cache.len() >= MAX_CACHED_KEYS {
            cache.clear();
        }
        cache.insert(request.credential_scope.to_owned(), mac.clone());
        Some(mac)
    }
}

/// A signature the server computed. It has no `==` (nor any other comparison that stops at the first
/// difference): the only way to compare it with the signature a request carries is [`Self::matches`], in
/// constant time, so that the time an answer takes tells nothing of how much of a forgery was right.
pub(crate) struct ExpectedSignature([u8; 32]);

impl ExpectedSignature {
    /// Whether `claimed` (the `Signature=` value) is this signature: 64 lowercase hex digits, compared in
    /// constant time. Reading the digits takes a time that depends only on `claimed`.
    pub(crate) fn matches(&self, claimed: &str) -> bool {
        let Some(claimed) = decode_hex(claimed) else {
            return false;
        };
        bool::from(words(&self.0).ct_eq(&words(&claimed)))
    }

    /// The hex text, for tests and fuzz targets that check one computation against another.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn hex(&self) -> String {
        let mut text = String::with_capacity(64);
        push_hex(&mut text, &self.0);
        text
    }
}

/// A digest as four words, so that a constant-time comparison takes four steps rather than 32.
fn words(digest: &[u8; 32]) -> [u64; 4] {
    let mut words = [0u64; 4];
    for (word, bytes) in words.iter_mut().zip(digest.chunks_exact(8)) {
        *word = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
    }
    words
}

/// 64 lowercase hex digits as the 32 bytes they spell; `None` for anything else.
fn decode_hex(text: &str) -> Option<[u8; 32]> {
    /// Each byte's value as a lowercase hex digit, or 0xff.
    const VALUES: [u8; 256] = {
        let mut values = [0xffu8; 256];
        let mut digit = 0;
        while digit < 16 {
            values[b"0123456789abcdef"[digit] as usize] = digit as u8;
            digit += 1;
        }
        values
    };
    let digits: &[u8; 64] = text.as_bytes().try_into().ok()?;
    let mut bytes = [0u8; 32];
    let mut invalid = 0u8;
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (VALUES[usize::from(pair[0])], VALUES[usize::from(pair[1])]);
        invalid |= (high | low) & 0xf0;
        *byte = (high << 4) | low;
    }
    (invalid == 0).then_some(bytes)
}

/// The signature `credential` gives `request`, or `None` when a header it claims to sign is missing
/// or is not text (such a request cannot match).
pub(crate) fn expected(
    keys: &SigningKeys,
    credential: &Credential,
    request: &SignedRequest<'_>,
) -> Option<ExpectedSignature> {
    match canonical_request(request) {
        Some(canonical) => {
            let canonical = canonical?;
            let mut mac = keys.mac(credential, request)?;
            mac.update(string_to_sign(request, &canonical).as_bytes());
            Some(ExpectedSignature(mac.finalize().into_bytes().into()))
        }
        None => general(credential, request),
    }
}

/// The string to sign of a request whose canonical request is `canonical`: the algorithm, the date, the
/// credential scope and the canonical request's SHA-256.
pub(crate) fn string_to_sign(request: &SignedRequest<'_>, canonical: &str) -> String {
    let mut string_to_sign = String::with_capacity(160);
    string_to_sign.push_str("AWS4-HMAC-SHA256\n");
    string_to_sign.push_str(request.amz_date);
    string_to_sign.push('\n');
    string_to_sign.push_str(&request.amz_date[..8]);
    string_to_sign.push('/');
    string_to_sign.push_str(request.region);
    string_to_sign.push('/');
    string_to_sign.push_str(request.service);
    string_to_sign.push_str("/aws4_request\n");
    push_hex(&mut string_to_sign, &Sha256::digest(canonical.as_bytes()));
    string_to_sign
}

/// The canonical request of the common form, built directly: `None` if the request is not of that form,
/// `Some(None)` if it cannot have been signed as it stands.
pub(crate) fn canonical_request(request: &SignedRequest<'_>) -> Option<Option<String>> {
    let names = request.signed_headers;
    let common = request.uri == "/"
        && request.amz_date.len() == 16
        && names.windows(2).all(|pair| pair[0] < pair[1])
        && names
            .iter()
            .all(|name| !name.is_empty() && !name.bytes().any(|b| b.is_ascii_uppercase()))
        // `aws-sigv4`, the reference, signs Host and one X-Amz-Date whether they are listed or not (found by
        // fuzzing); the verifier requires them listed, and the date sent once, but this form must agree with
        // the reference for any caller.
        && names.contains(&"host")
        && names.contains(&"x-amz-date")
        && request.headers.get_all(super::X_AMZ_DATE).iter().count() == 1;
    if !common {
        return None;
    }
    let mut canonical = String::with_capacity(512);
    canonical.push_str(request.method);
    canonical.push_str("\n/\n\n");
    for name in names {
        canonical.push_str(name);
        canonical.push(':');
        let mut values = request.headers.get_all(*name).iter().peekable();
        if values.peek().is_none() {
            return Some(None);
        }
        for (index, value) in values.enumerate() {
            let Ok(value) = value.to_str() else {
                return Some(None);
            };
            if index > 0 {
                canonical.push(',');
            }
            push_trimmed(&mut canonical, value);
        }
        canonical.push('\n');
    }
    canonical.push('\n');
    for (index, name) in names.iter().enumerate() {
        if index > 0 {
            canonical.push(';');
        }
        canonical.push_str(name);
    }
    canonical.push('\n');
    push_hex(&mut canonical, &Sha256::digest(request.body));
    Some(Some(canonical))
}

/// A header value as SigV4 canonicalises it: spaces trimmed at both ends and runs of spaces made one.
fn push_trimmed(out: &mut String, value: &str) {
    let value = value.trim_matches(' ');
    let spaces = value.as_bytes().windows(2).any(|pair| pair == b"  ");
    if !spaces {
        out.push_str(value);
        return;
    }
    let mut previous_space = false;
    for c in value.chars() {
        if c == ' ' && previous_space {
            continue;
        }
        previous_space = c == ' ';
        out.push(c);
    }
}

/// `bytes` (a digest: at most 32 of them) as lowercase hex.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 64];
    for (pair, byte) in text.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
    let length = 2 * bytes.len().min(32);
    out.push_str(std::str::from_utf8(&text[..length]).unwrap_or_default());
}

/// The signature by `aws-sigv4`'s general signer, over exactly the headers the client signed.
pub(crate) fn general(
    credential: &Credential,
    request: &SignedRequest<'_>,
) -> Option<ExpectedSignature> {
    let mut signed = Vec::with_capacity(request.signed_headers.len());
    for name in request.signed_headers {
        let mut values = request.headers.get_all(*name).iter().peekable();
        values.peek()?;
        for value in values {
            signed.push((*name, value.to_str().ok()?));
        }
    }
    let identity = aws_credential_types::Credentials::new(
        credential.access_key_id.clone(),
        credential.secret_access_key.clone(),
        None,
        None,
        "sagemaker-images",
    )
    .into();
    let mut settings = SigningSettings::default();
    // We pass only the headers the client listed, so none may be dropped on our side.
    settings.excluded_headers = Some(Vec::<Cow<'static, str>>::new());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(request.region)
        .name(request.service)
        .time(request.signed_at)
        .settings(settings)
        .build()
        .ok()?
        .into();
    // `aws-sigv4` signs a Host header whether it is listed or not, taking it from the target when none is
    // listed, and panics when the target has no host (found by fuzzing): a signature that does not cover
    // Host is not one it makes. (The verifier requires Host signed anyway.)
    if !request
        .signed_headers
        .iter()
        .any(|name| name.eq_ignore_ascii_case("host"))
    {
        return None;
    }
    // A target with no path (authority-form, like `host:443`) makes `aws-sigv4` panic as it rebuilds the
    // query (found by fuzzing). The server passes a path and query, so only such a caller is refused here.
    axum::http::Uri::try_from(request.uri)
        .ok()?
        .path_and_query()?;
    let signable = SignableRequest::new(
        request.method,
        request.uri,
        signed.into_iter(),
        SignableBody::Bytes(request.body),
    )
    .ok()?;
    let output = sign(signable, &params).ok()?;
    decode_hex(output.signature()).map(ExpectedSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn credential() -> Credential {
        Credential {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            account_id: "123456789012".into(),
            admin: false,
            ..Credential::default()
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                *name,
                HeaderValue::from_str(value).expect("test header values are text"),
            );
        }
        map
    }

    fn request<'a>(
        uri: &'a str,
        headers: &'a HeaderMap,
        signed_headers: &'a [&'a str],
        body: &'a [u8],
    ) -> SignedRequest<'a> {
        SignedRequest {
            method: "POST",
            uri,
            headers,
            signed_headers,
            body,
            amz_date: "20261129T120000Z",
            signed_at: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_953_600),
            region: "eu-west-1",
            service: "sagemaker",
            credential_scope: "AKIDEXAMPLE/20261129/eu-west-1/sagemaker/aws4_request",
        }
    }

    #[test]
    fn the_direct_canonical_request_signs_as_the_general_signer_does() {
        let cases: Vec<HeaderMap> = vec![
            headers(&[
                ("host", "localhost:7447"),
                ("x-amz-date", "20261129T120000Z"),
                ("x-amz-target", "SageMaker.UpdateImage"),
            ]),
            headers(&[
                ("host", "localhost:7447"),
                ("x-amz-date", "20261129T120000Z"),
                ("x-amz-target", "  SageMaker.UpdateImage   with   spaces  "),
                ("x-custom", "one"),
                ("x-custom", " two  values "),
            ]),
        ];
        let keys = SigningKeys::default();
        for headers in &cases {
            let mut names: Vec<&str> = headers.keys().map(|n| n.as_str()).collect();
            names.dedup();
            let body = br#"{"ImageName":"a"}"#;
            let request = request("/", headers, &names, body);
            assert!(canonical_request(&request).is_some(), "common form");
            let direct =
                expected(&keys, &credential(), &request).expect("every signed header is present");
            let general = general(&credential(), &request).expect("the general signer signs it");
            assert!(direct.matches(&general.hex()), "{}", general.hex());
        }
    }

    #[test]
    fn other_forms_go_to_the_general_signer() {
        let headers = headers(&[
            ("host", "localhost"),
            ("x-amz-date", "20261129T120000Z"),
            ("x-amz-target", "SageMaker.ListImages"),
        ]);
        let sorted = ["host", "x-amz-date", "x-amz-target"];
        let unsorted = ["x-amz-target", "host", "x-amz-date"];
        for (uri, names) in [
            ("/?a=b", &sorted[..]),
            ("/x/../", &sorted),
            ("/", &unsorted),
        ] {
            let request = request(uri, &headers, names, b"{}");
            assert!(canonical_request(&request).is_none(), "{uri} {names:?}");
            let expected = expected(&SigningKeys::default(), &credential(), &request)
                .expect("the general signer signs it");
            let general = general(&credential(), &request).expect("the general signer signs it");
            assert!(expected.matches(&general.hex()), "{uri} {names:?}");
        }
    }

    #[test]
    fn without_one_signed_x_amz_date_the_general_signer_signs() {
        let once = headers(&[("host", "h"), ("x-amz-date", "20261129T120000Z")]);
        let twice = headers(&[
            ("host", "h"),
            ("x-amz-date", "20261129T120000Z"),
            ("x-amz-date", "20261129T120000Z"),
        ]);
        let host = ["host"];
        let both = ["host", "x-amz-date"];
        for (headers, names) in [(&once, &host[..]), (&twice, &both[..])] {
            let request = request("/", headers, names, b"");
            assert!(canonical_request(&request).is_none(), "{names:?}");
            let expected =
                expected(&SigningKeys::default(), &credential(), &request).expect("signed");
            let general = general(&credential(), &request).expect("signed");
            assert!(expected.matches(&general.hex()));
        }
    }

    #[test]
    fn a_signature_that_does_not_cover_host_cannot_match() {
        let headers = headers(&[("host", "h"), ("x-amz-date", "20261129T120000Z")]);
        for uri in ["/", "/?a=b"] {
            let request = request(uri, &headers, &["x-amz-date"], b"");
            assert!(expected(&SigningKeys::default(), &credential(), &request).is_none());
            assert!(general(&credential(), &request).is_none());
        }
    }

    #[test]
    fn a_target_without_a_path_cannot_match() {
        let headers = headers(&[("host", "localhost"), ("x-amz-date", "20261129T120000Z")]);
        let names = ["host", "x-amz-date"];
        for uri in ["ET=2&a=1", "localhost:7447", "*"] {
            let request = request(uri, &headers, &names, b"");
            let signed = general(&credential(), &request);
            assert_eq!(signed.is_some(), uri == "*", "{uri}");
        }
    }

    #[test]
    fn a_signed_header_that_was_not_sent_cannot_match() {
        let headers = headers(&[("host", "localhost"), ("x-amz-date", "20261129T120000Z")]);
        let names = ["host", "x-amz-date", "x-amz-target"];
        let request = request("/", &headers, &names, b"{}");
        assert!(expected(&SigningKeys::default(), &credential(), &request).is_none());
    }

    #[test]
    fn a_cached_key_is_the_derived_key() {
        let keys = SigningKeys::default();
        let headers = headers(&[("host", "h"), ("x-amz-date", "20261129T120000Z")]);
        let names = ["host", "x-amz-date"];
        let request = request("/", &headers, &names, b"");
        let first = expected(&keys, &credential(), &request).expect("signed");
        let second = expected(&keys, &credential(), &request).expect("signed");
        assert!(first.matches(&second.hex()));
        assert!(first.matches(&general(&credential(), &request).expect("signed").hex()));
    }

    #[test]
    fn a_signature_matches_only_itself() {
        let signature = ExpectedSignature(decode_hex(&"0a1b".repeat(16)).expect("hex"));
        assert!(signature.matches(&"0a1b".repeat(16)));
        for claimed in [
            String::new(),
            "0a1b".repeat(15),
            "0a1b".repeat(16) + "0",
            "0A1B".repeat(16),
            "1a1b".to_owned() + &"0a1b".repeat(15),
            "0a1b".repeat(15) + "0a1c",
            "0a1b".repeat(15) + "0a1g",
            "0a1b".repeat(15) + "0a1 ",
        ] {
            assert!(!signature.matches(&claimed), "{claimed}");
        }
    }

    /// `ExpectedSignature` offers no `==`: were any of these implemented, the trait method below would be
    /// ambiguous and this module would not compile (the `static_assertions` crate's trick).
    #[allow(dead_code)]
    mod no_equality {
        use super::ExpectedSignature;

        trait AmbiguousIfImplemented<Marker> {
            fn check() {}
        }
        impl<T: ?Sized> AmbiguousIfImplemented<()> for T {}

        macro_rules! refuse {
            ($($marker:ident: [$($bound:tt)+])+) => {$(
                struct $marker;
                impl<T: ?Sized + $($bound)+> AmbiguousIfImplemented<$marker> for T {}
            )+};
        }
        refuse! {
            EqSelf: [PartialEq]
            EqStr: [PartialEq<str>]
            EqString: [PartialEq<String>]
            EqStrRef: [for<'a> PartialEq<&'a str>]
            EqBytes: [PartialEq<[u8]>]
            OrdSelf: [PartialOrd]
            DerefStr: [std::ops::Deref<Target = str>]
            DerefString: [std::ops::Deref<Target = String>]
            AsRefStr: [AsRef<str>]
            AsRefBytes: [AsRef<[u8]>]
        }

        const _: fn() = <ExpectedSignature as AmbiguousIfImplemented<_>>::check;
    }
}
