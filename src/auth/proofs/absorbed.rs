//! The changes to a signed request that SigV4's canonicalisation absorbs: each must still verify.

use super::Wire;

/// Changes to `signed` that its canonical request does not see: each must still verify.
pub(in crate::auth) fn absorbed_changes(signed: &Wire) -> Vec<(String, Wire)> {
    let authorization = signed.authorization();
    let mut absorbed = Vec::new();

    // Header names are case-insensitive (the HTTP layer hands them over in lower case).
    let mut upper = signed.clone();
    for (name, _) in &mut upper.headers {
        *name = name.to_ascii_uppercase();
    }
    absorbed.push(("header names in upper case".to_owned(), upper));
    let mut mixed = signed.clone();
    for (name, _) in &mut mixed.headers {
        *name = name
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("-");
    }
    absorbed.push(("header names in title case".to_owned(), mixed));

    // Runs of spaces inside a value are one space; spaces around it are not signed.
    for name in &authorization.signed_headers {
        if name == "x-amz-date" {
            continue; // parsed as a date before it is signed: no spaces allowed
        }
        let values = signed.values(name);
        let spread: Vec<String> = values.iter().map(|v| v.replace(' ', "   ")).collect();
        if spread.iter().zip(&values).any(|(s, v)| s != v) {
            let mut request = signed.clone();
            request.set_values(name, &spread.iter().map(String::as_str).collect::<Vec<_>>());
            absorbed.push((format!("{name}: runs of spaces in its value"), request));
        }
        let padded: Vec<String> = values.iter().map(|v| format!("  {v}   ")).collect();
        let mut request = signed.clone();
        request.set_values(name, &padded.iter().map(String::as_str).collect::<Vec<_>>());
        absorbed.push((format!("{name}: spaces around its value"), request));
    }

    // The canonical request sorts what the client lists in any order.
    if authorization.signed_headers.len() > 1 {
        let mut reordered = authorization.clone();
        reordered.signed_headers.reverse();
        absorbed.push((
            "SignedHeaders listed in reverse order".to_owned(),
            signed.clone().with_authorization(&reordered),
        ));
    }
    if let Some((path, query)) = signed.target.split_once('?') {
        let mut parameters: Vec<&str> = query.split('&').collect();
        if parameters.len() > 1 {
            parameters.reverse();
            let mut request = signed.clone();
            request.target = format!("{path}?{}", parameters.join("&"));
            absorbed.push(("query parameters in reverse order".to_owned(), request));
        }
    }

    // Dot segments are normalised away (every service but S3).
    let mut dotted = signed.clone();
    dotted.target = format!("/.{}", signed.target);
    absorbed.push(("a /. segment before the path".to_owned(), dotted));

    // Headers that are not signed are not covered.
    let mut unsigned = signed.clone();
    unsigned
        .headers
        .push(("x-not-signed".to_owned(), "anything".to_owned()));
    absorbed.push(("an unsigned header added".to_owned(), unsigned));
    for (name, _) in &signed.headers {
        let lower = name.to_ascii_lowercase();
        if lower != "authorization" && !authorization.signed_headers.contains(&lower) {
            let mut request = signed.clone();
            request.set_values(name, &["changed"]);
            absorbed.push((format!("unsigned {lower} changed"), request));
        }
    }
    absorbed
}
