//! Every single change to a signed request that alters its canonical request or string to sign, or its
//! signature, with the refusal it must get; with `absorbed`, the changes that must still verify, `check`
//! runs both. `vectors` applies them to each case of AWS's suite; `sdk_requests` to JSON 1.1 requests
//! signed by `aws-sigv4`; `properties` (the refused ones) to random ones.

use std::time::{Duration, SystemTime};

use super::absorbed::absorbed_changes;
use super::{Authorization, Wire, DOES_NOT_MATCH};
use crate::auth::{format_amz_date, parse_amz_date, Verifier};

/// What the verifier enforces besides the signature, so that each change's refusal can be named.
pub(in crate::auth) struct Rules<'a> {
    /// The service credentials must be scoped to.
    pub service: &'a str,
    /// The headers that must be signed.
    pub required: &'a [&'a str],
    /// The server's clock.
    pub now: SystemTime,
}

/// One change to a signed request and the refusal (code, message) it must get.
pub(in crate::auth) struct Change {
    pub what: String,
    pub request: Wire,
    pub code: &'static str,
    pub message: String,
}

const INVALID: &str = "InvalidSignatureException";
const INCOMPLETE: &str = "IncompleteSignatureException";
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Every single change to `signed` (which verifies under `rules`) that SigV4 must refuse.
pub(in crate::auth) fn refused_changes(signed: &Wire, rules: &Rules<'_>) -> Vec<Change> {
    let mut changes = Changes {
        signed,
        authorization: signed.authorization(),
        rules,
        list: Vec::new(),
    };
    changes.method();
    changes.path_and_query();
    changes.signed_headers();
    changes.body();
    changes.date();
    changes.credential_scope();
    changes.signature();
    changes.list
}

/// Checks that `signed` verifies, that every refused change is refused with its code and message, and that
/// every absorbed change verifies. Returns how many changes were checked.
pub(in crate::auth) fn check(
    case: &str,
    signed: &Wire,
    verifier: &Verifier,
    rules: &Rules<'_>,
) -> usize {
    if let Err(e) = signed.verify(verifier, rules.now, rules.required) {
        panic!("{case}: the signed request is refused: {e:?}");
    }
    let refused = refused_changes(signed, rules);
    for change in &refused {
        match change.request.verify(verifier, rules.now, rules.required) {
            Ok(_) => panic!("{case}: {} verifies: {:#?}", change.what, change.request),
            Err(e) => {
                assert_eq!(e.code(), change.code, "{case}: {}: {e:?}", change.what);
                assert_eq!(e.message(), change.message, "{case}: {}", change.what);
            }
        }
    }
    let absorbed = absorbed_changes(signed);
    for (what, request) in &absorbed {
        if let Err(e) = request.verify(verifier, rules.now, rules.required) {
            panic!("{case}: {what} is refused: {e:?}\n{request:#?}");
        }
    }
    refused.len() + absorbed.len()
}

struct Changes<'a> {
    signed: &'a Wire,
    authorization: Authorization,
    rules: &'a Rules<'a>,
    list: Vec<Change>,
}

impl Changes<'_> {
    fn push(
        &mut self,
        what: impl Into<String>,
        request: Wire,
        code: &'static str,
        message: String,
    ) {
        self.list.push(Change {
            what: what.into(),
            request,
            code,
            message,
        });
    }

    fn does_not_match(&mut self, what: impl Into<String>, request: Wire) {
        self.push(what, request, INVALID, DOES_NOT_MATCH.to_owned());
    }

    /// The refusal of an Authorization header that lacks something (its text is quoted).
    fn incomplete(&mut self, what: impl Into<String>, request: Wire, reason: &str) {
        let message = format!("{reason} Authorization={}", request.value("authorization"));
        self.push(what, request, INCOMPLETE, message);
    }

    /// The signed request with another Authorization header.
    fn authorized(&self, change: impl FnOnce(&mut Authorization)) -> Wire {
        let mut authorization = self.authorization.clone();
        change(&mut authorization);
        self.signed.clone().with_authorization(&authorization)
    }

    fn with_target(&self, target: String) -> Wire {
        let mut request = self.signed.clone();
        request.target = target;
        request
    }

    fn method(&mut self) {
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if method != self.signed.method {
                let mut request = self.signed.clone();
                request.method = method.to_owned();
                self.does_not_match(format!("method {method}"), request);
            }
        }
        let lower = self.signed.method.to_ascii_lowercase();
        if lower != self.signed.method {
            let mut request = self.signed.clone();
            request.method = lower;
            self.does_not_match("method in lower case", request);
        }
    }

    fn path_and_query(&mut self) {
        let target = self.signed.target.clone();
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target.as_str(), None),
        };
        let query_part = query.map(|q| format!("?{q}")).unwrap_or_default();
        self.does_not_match(
            "a character added to the path",
            self.with_target(format!("{path}x{query_part}")),
        );
        self.does_not_match(
            "a segment after the path",
            self.with_target(format!("{path}/mutant{query_part}")),
        );
        match query {
            None => self.does_not_match(
                "a query added",
                self.with_target(format!("{path}?mutant=1")),
            ),
            Some(query) => {
                self.does_not_match(
                    "a query parameter added",
                    self.with_target(format!("{path}?{query}&mutant=1")),
                );
                self.does_not_match("the query removed", self.with_target(path.to_owned()));
                let (first, rest) = match query.split_once('&') {
                    Some((first, rest)) => (first, format!("&{rest}")),
                    None => (query, String::new()),
                };
                let changed = if first.contains('=') {
                    format!("{first}x")
                } else {
                    format!("{first}=x")
                };
                self.does_not_match(
                    "a query value changed",
                    self.with_target(format!("{path}?{changed}{rest}")),
                );
            }
        }
    }

    /// The refusal of a request whose `SignedHeaders` lacks `name`.
    fn unsigned(&mut self, what: String, request: Wire, name: &str) {
        if self.rules.required.contains(&name) {
            let message = format!("'{name}' must be a 'SignedHeader' in the AWS Authorization.");
            self.push(what, request, INVALID, message);
        } else {
            self.does_not_match(what, request);
        }
    }

    fn signed_headers(&mut self) {
        let names = self.authorization.signed_headers.clone();
        for name in &names {
            if name == "x-amz-date" {
                continue; // `date` changes it
            }
            let values: Vec<String> = self
                .signed
                .values(name)
                .iter()
                .map(|v| (*v).to_owned())
                .collect();
            for index in 0..values.len() {
                let mut changed = values.clone();
                changed[index].push('x');
                self.with_values(format!("{name}: value {index} lengthened"), name, &changed);
                let mut changed = values.clone();
                if let Some(swapped) = swap_first_letter_case(&changed[index]) {
                    changed[index] = swapped;
                    self.with_values(
                        format!("{name}: letter case of value {index}"),
                        name,
                        &changed,
                    );
                }
            }
            if values.len() > 1 {
                let mut reversed = values.clone();
                reversed.reverse();
                if reversed != values {
                    self.with_values(format!("{name}: values reordered"), name, &reversed);
                }
                self.with_values(
                    format!("{name}: one value dropped"),
                    name,
                    &values[..values.len() - 1],
                );
            }
            let mut request = self.signed.clone();
            request.set_values(name, &[]);
            self.does_not_match(format!("{name}: header removed"), request);

            let renamed = format!("{name}-renamed");
            let mut request = self.signed.clone();
            request.set_values(name, &[]);
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            request.set_values(&renamed, &refs);
            self.does_not_match(format!("{name}: renamed in the request"), request.clone());
            let both = request.with_authorization(&self.rename_signed(name, &renamed));
            self.unsigned(
                format!("{name}: renamed in the request and in SignedHeaders"),
                both,
                name,
            );

            let dropped = self.authorized(|a| a.signed_headers.retain(|n| n != name));
            self.unsigned(format!("{name}: left out of SignedHeaders"), dropped, name);
        }

        // A header added to the ones signed.
        let mut request = self.signed.clone();
        request.headers.push(("x-added".to_owned(), "1".to_owned()));
        let mut authorization = self.authorization.clone();
        authorization.signed_headers.push("x-added".to_owned());
        authorization.signed_headers.sort();
        self.does_not_match(
            "a header added to SignedHeaders",
            request.with_authorization(&authorization),
        );
    }

    fn with_values(&mut self, what: String, name: &str, values: &[String]) {
        let mut request = self.signed.clone();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        request.set_values(name, &refs);
        self.does_not_match(what, request);
    }

    fn rename_signed(&self, name: &str, renamed: &str) -> Authorization {
        let mut authorization = self.authorization.clone();
        for n in &mut authorization.signed_headers {
            if n == name {
                *n = renamed.to_owned();
            }
        }
        authorization
    }

    fn body(&mut self) {
        let mut request = self.signed.clone();
        request.body.push(b' ');
        self.does_not_match("a space after the body", request);
        let mut request = self.signed.clone();
        request.body.push(b'x');
        self.does_not_match("a byte after the body", request);
        if !self.signed.body.is_empty() {
            let mut request = self.signed.clone();
            request.body[0] ^= 0x20;
            self.does_not_match("the body's first byte changed", request);
            let mut request = self.signed.clone();
            request.body.pop();
            self.does_not_match("the body's last byte dropped", request);
            let mut request = self.signed.clone();
            request.body.clear();
            self.does_not_match("the body emptied", request);
        }
    }

    fn date(&mut self) {
        let date = self.signed.value("x-amz-date").to_owned();
        let signed_at = parse_amz_date(&date).expect("a signed request's date parses");
        let now = self.rules.now;

        // A second on the same day: only the signature tells.
        let second = Duration::from_secs(1);
        let moved = if date.ends_with("235959Z") {
            signed_at - second
        } else {
            signed_at + second
        };
        self.does_not_match("X-Amz-Date moved by a second", self.dated(moved, false));

        // Another day than the credential scope's.
        let request = self.dated(signed_at + DAY, false);
        let new = format_amz_date(signed_at + DAY);
        let message = format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
             '{}' != '{}', from '{new}'.",
            self.authorization.scope_date,
            &new[..8]
        );
        self.push("X-Amz-Date moved by a day", request, INVALID, message);

        // The date and the scope moved together, out of the clock window.
        let later = signed_at + DAY;
        let message = format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            format_amz_date(later),
            format_amz_date(now + crate::auth::MAX_CLOCK_SKEW),
            format_amz_date(now)
        );
        self.push(
            "X-Amz-Date and scope a day later",
            self.dated(later, true),
            INVALID,
            message,
        );
        let earlier = signed_at - DAY;
        let message = format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            format_amz_date(earlier),
            format_amz_date(now - crate::auth::MAX_CLOCK_SKEW),
            format_amz_date(now)
        );
        self.push(
            "X-Amz-Date and scope a day earlier",
            self.dated(earlier, true),
            INVALID,
            message,
        );

        // Not a date in the basic format, or none at all.
        let extended = format!(
            "{}-{}-{}T{}:{}:{}Z",
            &date[..4],
            &date[4..6],
            &date[6..8],
            &date[9..11],
            &date[11..13],
            &date[13..15]
        );
        let mut request = self.signed.clone();
        request.set_values("x-amz-date", &[&extended]);
        self.incomplete(
            "X-Amz-Date in the extended format",
            request,
            &format!("Date must be in ISO-8601 'basic format'. Got '{extended}'."),
        );
        // A second value: a signer signs one date, so the second would be unsigned where `aws-sigv4`
        // computes the canonical request (it writes the date it is given).
        let mut request = self.signed.clone();
        request.set_values("x-amz-date", &[&date, &date]);
        self.incomplete(
            "X-Amz-Date repeated",
            request,
            &format!("Date must be in ISO-8601 'basic format'. Got '{date},{date}'."),
        );
        let mut request = self.signed.clone();
        request.set_values("x-amz-date", &[&date, "20000101T000000Z"]);
        self.incomplete(
            "another X-Amz-Date added",
            request,
            &format!("Date must be in ISO-8601 'basic format'. Got '{date},20000101T000000Z'."),
        );
        let missing =
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";
        let mut request = self.signed.clone();
        request.set_values("x-amz-date", &[]);
        self.incomplete("X-Amz-Date removed", request, missing);
        let mut request = self.signed.clone();
        request.set_values("x-amz-date", &[]);
        request.set_values("x-amz-datf", &[&date]);
        let request = request.with_authorization(&self.rename_signed("x-amz-date", "x-amz-datf"));
        self.incomplete(
            "X-Amz-Date renamed in the request and in SignedHeaders",
            request,
            missing,
        );
    }

    /// The signed request dated `at`; with `scope`, its credential scope too.
    fn dated(&self, at: SystemTime, scope: bool) -> Wire {
        let date = format_amz_date(at);
        let mut request = if scope {
            self.authorized(|a| a.scope_date = date[..8].to_owned())
        } else {
            self.signed.clone()
        };
        request.set_values("x-amz-date", &[&date]);
        request
    }

    fn credential_scope(&mut self) {
        let a = self.authorization.clone();
        let next_day = parse_amz_date(&format!("{}T000000Z", a.scope_date))
            .map(|day| format_amz_date(day + DAY))
            .expect("the scope's date parses");
        let message = format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
             '{}' != '{}', from '{}'.",
            &next_day[..8],
            &self.signed.value("x-amz-date")[..8],
            self.signed.value("x-amz-date")
        );
        let request = self.authorized(|a| a.scope_date = next_day[..8].to_owned());
        self.push("scope date moved by a day", request, INVALID, message);

        for region in ["us-west-2", "eu-central-1"] {
            if region != a.region {
                let request = self.authorized(|a| a.region = region.to_owned());
                self.does_not_match(format!("scope region {region}"), request);
            }
        }
        let request = self.authorized(|a| a.region = a.region.to_uppercase());
        self.does_not_match("scope region in upper case", request);
        let request = self.authorized(|a| a.region.clear());
        let message = "Credential should be scoped to a valid region.".to_owned();
        self.push("scope region empty", request, INVALID, message);

        let wrong_service = format!(
            "Credential should be scoped to correct service: '{}'.",
            self.rules.service
        );
        for service in [
            format!("{}x", self.rules.service),
            self.rules.service.to_uppercase(),
            "s3".to_owned(),
        ] {
            let request = self.authorized(|a| a.service = service.clone());
            self.push(
                format!("scope service {service}"),
                request,
                INVALID,
                wrong_service.clone(),
            );
        }

        for terminator in [
            "aws4_requesx",
            "aws4_request_",
            "AWS4_REQUEST",
            "aws5_request",
        ] {
            let request = self.authorized(|a| a.terminator = terminator.to_owned());
            let message = format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            );
            self.push(
                format!("scope terminator {terminator}"),
                request,
                INVALID,
                message,
            );
        }

        let request = self.authorized(|a| a.access_key_id = "AKIDNOBODYKNOWS".to_owned());
        let message = "The security token included in the request is invalid.".to_owned();
        self.push(
            "an unknown access key",
            request,
            "UnrecognizedClientException",
            message,
        );
    }

    fn signature(&mut self) {
        let signature = self.authorization.signature.clone();
        for (index, digit) in signature.char_indices() {
            let other = if digit == '0' { '1' } else { '0' };
            let mut changed = signature.clone();
            changed.replace_range(index..index + 1, &other.to_string());
            let request = self.authorized(|a| a.signature = changed);
            self.does_not_match(format!("signature digit {index} changed"), request);
        }
        let upper = signature.to_uppercase();
        if upper != signature {
            let request = self.authorized(|a| a.signature = upper);
            self.does_not_match("signature in upper case", request);
        }
        let request = self.authorized(|a| {
            a.signature.pop();
        });
        self.does_not_match("signature shortened", request);
        let request = self.authorized(|a| a.signature.push('0'));
        self.does_not_match("signature lengthened", request);
        let request = self.authorized(|a| a.signature.clear());
        self.incomplete(
            "signature empty",
            request,
            "Authorization header requires 'Signature' parameter.",
        );
        let request = self.authorized(|a| a.algorithm = "AWS4-HMAC-SHA512".to_owned());
        self.incomplete(
            "algorithm AWS4-HMAC-SHA512",
            request,
            "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm.",
        );
    }
}

/// `value` with the letter case of its first letter swapped, if it has a letter.
fn swap_first_letter_case(value: &str) -> Option<String> {
    let index = value.find(|c: char| c.is_ascii_alphabetic())?;
    let mut swapped = value.to_owned();
    let c = value.as_bytes()[index];
    let other = if c.is_ascii_uppercase() {
        c.to_ascii_lowercase()
    } else {
        c.to_ascii_uppercase()
    };
    swapped.replace_range(index..index + 1, &char::from(other).to_string());
    Some(swapped)
}
