//! The web console under `/_sagemaker-images/console`: its embedded page (hand-written HTML, CSS and
//! script, no build step), the JSON the page reads, the login by a one-time link, and the request ring.
//!
//! It shows; it does not act. The catalog is read through `ops::Service` one page at a time, as ListImages
//! pages; the test controls the page offers (reset, forced outcomes, release, faults) are the control
//! plane's own endpoints, which the page calls with its session's CSRF token. Admission is the control
//! plane's (`control::Control::admit`), and so are the sessions it admits by (`control::sessions`).

pub mod link;
pub mod requests;

use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::auth::DEFAULT_ACCOUNT_ID;
use crate::control::sessions::{self, SessionError, Sessions};
use crate::control::{self, Access, Control, ControlRequest};
use crate::domain::Scope;
use crate::model::{
    self, DescribeImageRequest, DescribeImageVersionRequest, ListAliasesRequest, ListTagsInput,
    Operation, Read,
};
use crate::protocol::{self, ApiError, Reply};
use requests::RequestFilter;
pub use requests::RequestLog;

/// Where the console lives: under the control plane's prefix, so the API's routing never reaches it.
pub const CONSOLE_PATH: &str = "/_sagemaker-images/console";
/// How many images, versions or app image configs one view reads.
pub const PAGE_SIZE: u32 = 25;
/// The most accounts and regions the scope selector lists.
const MAX_SCOPES: usize = 1000;
/// How many request-log entries one view shows.
const REQUESTS_SHOWN: usize = 200;

/// The browser may run only this origin's script and style, and talk only to this origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn is_console_path(path: &str) -> bool {
    path.strip_prefix(CONSOLE_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// This process's console: its sessions and its request ring.
pub struct Console {
    pub sessions: Sessions,
    pub requests: RequestLog,
}

impl Console {
    pub fn new(request_log_size: usize) -> Console {
        Console {
            sessions: Sessions::default(),
            requests: RequestLog::new(request_log_size),
        }
    }
}

/// The console's JSON, which a browser must not keep.
fn json_page(value: &Value) -> Reply {
    let mut reply = Reply::json(StatusCode::OK, value);
    reply
        .headers
        .push((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    reply
}

/// Headers every answer under the control plane's paths carries (the console's, and errors too): the
/// page's policy, and no sniffing, framing or referrer (a login link's token must not leak through one).
pub fn security_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ]
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        ApiError::AccessDenied(error.to_string())
    }
}

/// An embedded file of the page.
#[derive(Debug, PartialEq, Eq)]
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("assets/index.html"),
    },
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/console.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("assets/favicon.svg"),
    },
];

/// Every console path, parsed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// The bare prefix: redirected to the page, so that relative asset paths resolve.
    Bare,
    Asset(&'static Asset),
    Login,
    Session,
    LoginLinks,
    Scopes,
    Images,
    Image,
    AppImageConfigs,
    Requests,
    Request(u64),
}

impl Route {
    fn parse(method: &Method, path: &str) -> Option<Route> {
        let rest = path.strip_prefix(CONSOLE_PATH)?;
        let read = *method == Method::GET || *method == Method::HEAD;
        if rest.is_empty() {
            return read.then_some(Route::Bare);
        }
        let rest = rest.strip_prefix('/')?;
        if *method == Method::POST {
            return (rest == "api/login-links").then_some(Route::LoginLinks);
        }
        if !read {
            return None;
        }
        let asset = if rest.is_empty() { "index.html" } else { rest };
        if let Some(asset) = ASSETS.iter().find(|a| a.name == asset) {
            return Some(Route::Asset(asset));
        }
        Some(match rest {
            "login" => Route::Login,
            "api/session" => Route::Session,
            "api/scopes" => Route::Scopes,
            "api/images" => Route::Images,
            "api/image" => Route::Image,
            "api/app-image-configs" => Route::AppImageConfigs,
            "api/requests" => Route::Requests,
            _ => Route::Request(rest.strip_prefix("api/requests/")?.parse().ok()?),
        })
    }
}

/// The query string's parameters, percent-decoded.
fn query_params(uri: &str) -> Vec<(String, String)> {
    let Some((_, query)) = uri.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(name)?, percent_decode(value)?))
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                decoded.push(b' ');
                i += 1;
            }
            other => {
                decoded.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

struct Query(Vec<(String, String)>);

impl Query {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// The account and region a catalog view reads, checked as the control plane checks them.
    fn scope(&self) -> Result<Scope, ApiError> {
        let (Some(account), Some(region)) = (self.get("account"), self.get("region")) else {
            return Err(ApiError::Validation(
                "account and region are required.".to_owned(),
            ));
        };
        if !control::state::is_account_id(account) || !control::state::is_region(region) {
            return Err(ApiError::Validation(
                "account must be 12 digits and region lower-case letters, digits and dashes."
                    .to_owned(),
            ));
        }
        Ok(Scope {
            account_id: account.to_owned(),
            region: region.to_owned(),
        })
    }
}

/// Answers a request under [`CONSOLE_PATH`].
pub async fn handle(
    console: &Console,
    control: &Control<'_>,
    request: &ControlRequest<'_>,
) -> Result<Reply, ApiError> {
    let Some(route) = Route::parse(request.method, request.path) else {
        return Err(ApiError::UnknownOperation(format!(
            "{} {} is not a page or endpoint of this server's console.",
            request.method, request.path
        )));
    };
    let query = Query(query_params(request.uri));
    match route {
        Route::Bare => Ok(redirect(&format!("{CONSOLE_PATH}/"), None)),
        Route::Asset(asset) => Ok(Reply {
            status: StatusCode::OK,
            content_type: asset.content_type,
            headers: vec![(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
            body: Bytes::from_static(asset.body),
        }),
        Route::Login => {
            let token = query.get("token").unwrap_or_default();
            match console.sessions.log_in(token) {
                Ok(opened) => Ok(redirect(&format!("{CONSOLE_PATH}/"), Some(opened.cookie()))),
                Err(refused) => Ok(refused_login(refused)),
            }
        }
        Route::Session => session(console, control, request),
        Route::LoginLinks => {
            let account = control.admit(request)?;
            let token = console.sessions.mint_login_token(&account);
            Ok(json_page(&json!({
                "path": format!("{CONSOLE_PATH}/login?token={token}"),
                "expiresInSeconds": sessions::LOGIN_TOKEN_LIFETIME.as_secs(),
            })))
        }
        Route::Scopes => {
            let account = control.admit(request)?;
            let scopes = control.service.store().scopes(MAX_SCOPES).await?;
            let scopes: Vec<Value> = scopes
                .iter()
                .map(|s| json!({ "account": s.account_id, "region": s.region }))
                .collect();
            Ok(json_page(&json!({ "scopes": scopes, "account": account })))
        }
        Route::Images => {
            control.admit(request)?;
            images(control, &query).await.map(|v| json_page(&v))
        }
        Route::Image => {
            control.admit(request)?;
            image(control, &query).await.map(|v| json_page(&v))
        }
        Route::AppImageConfigs => {
            control.admit(request)?;
            app_image_configs(control, &query)
                .await
                .map(|v| json_page(&v))
        }
        Route::Requests => {
            control.admit(request)?;
            let filter = RequestFilter {
                operation: query.get("operation").map(str::to_owned),
                errors_only: query.get("errorsOnly") == Some("true"),
            };
            Ok(json_page(&json!({
                "enabled": console.requests.is_enabled(),
                "requests": console.requests.recent(&filter, REQUESTS_SHOWN),
                "operations": console.requests.operations(),
            })))
        }
        Route::Request(id) => {
            control.admit(request)?;
            let Some(entry) = console.requests.get(id) else {
                return Err(ApiError::ResourceNotFound(format!(
                    "Request {id} is not in the request log (it keeps the most recent ones only)."
                )));
            };
            let mut shown = serde_json::to_value(&entry).map_err(|_| ApiError::internal())?;
            if let Value::Object(members) = &mut shown {
                members.insert("requestBody".into(), json!(entry.request_body));
                members.insert("responseBody".into(), json!(entry.response_body));
            }
            Ok(json_page(&shown))
        }
    }
}

/// The session of this browser: its CSRF token. A local caller of a server on the built-in key is given
/// one on first sight, or when its cookie has gone stale, unless the request comes from another site's
/// page; with a credentials file only a login link opens one.
fn session(
    console: &Console,
    control: &Control<'_>,
    request: &ControlRequest<'_>,
) -> Result<Reply, ApiError> {
    let access = match control.access {
        Access::LocalCallers => "local",
        Access::Administrators => "administrators",
    };
    let answer = |session: &sessions::Session| json!({ "csrfToken": session.csrf_token, "account": session.account, "access": access });
    match console.sessions.admit(request.method, request.headers) {
        Some(Ok(session)) => {
            control.admit(request)?;
            return Ok(json_page(&answer(&session)));
        }
        // A cookie gone stale (evicted, expired, or from before a restart) is replaced below when the
        // access rule opens sessions without a login.
        Some(Err(SessionError::UnknownSession)) | None => {}
        Some(Err(refused)) => return Err(refused.into()),
    }
    if control.access == Access::Administrators {
        return Err(ApiError::AccessDenied(
            "This server uses a credentials file: open the console through a login link from \
             `sagemaker-images console-link --endpoint URL`, run with an administrator's key."
                .to_owned(),
        ));
    }
    control.admit_new_session(request)?;
    let opened = console.sessions.open(DEFAULT_ACCOUNT_ID);
    let mut page = json_page(&answer(&opened.session));
    if let Ok(cookie) = HeaderValue::from_str(&opened.cookie()) {
        page.headers.push((header::SET_COOKIE, cookie));
    }
    Ok(page)
}

/// A refused login, as a browser opening the link shows it: the AWS-shaped error as JSON a browser
/// displays (the API's own content type would make it a download).
fn refused_login(refused: SessionError) -> Reply {
    let error = ApiError::from(refused);
    Reply {
        status: error.status(),
        content_type: "application/json",
        headers: Vec::new(),
        body: protocol::error_body(&error, error.message()).into(),
    }
}

fn redirect(location: &str, cookie: Option<String>) -> Reply {
    let mut headers = Vec::new();
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.push((header::LOCATION, location));
    }
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.push((header::SET_COOKIE, cookie));
    }
    Reply {
        status: StatusCode::SEE_OTHER,
        content_type: "text/plain; charset=utf-8",
        headers,
        body: Bytes::new(),
    }
}

/// Runs one operation of the API for the console, as a caller in `scope` would; its output as the page
/// reads it.
async fn call(
    control: &Control<'_>,
    scope: &Scope,
    operation: Operation,
) -> Result<Value, ApiError> {
    let output = control.service.call(scope, operation).await?;
    serde_json::from_slice(&output.into_bytes()).map_err(|_| ApiError::internal())
}

/// The page's request as the input `T`, from `{"Key": value}` with the members whose value is given:
/// what the page sends (a filter, a token, a name) is checked as the API checks it.
fn page_request<T: Read>(members: &[(&str, Option<Value>)]) -> Result<T, ApiError> {
    let members: Map<String, Value> = members
        .iter()
        .filter_map(|(name, value)| Some(((*name).to_owned(), value.clone()?)))
        .collect();
    Ok(model::from_json(&Value::Object(members))?)
}

/// The tags of `arn`, or none if it has gone since the page was read.
async fn tags_of(control: &Control<'_>, scope: &Scope, arn: &Value) -> Value {
    let request = ListTagsInput {
        resource_arn: arn.as_str().unwrap_or_default().to_owned(),
        max_results: None,
        next_token: None,
    };
    call(control, scope, Operation::ListTags(request))
        .await
        .map(|answer| answer["Tags"].clone())
        .unwrap_or_else(|_| json!([]))
}

/// One page of ListImages, newest first, each image with its role and tags.
async fn images(control: &Control<'_>, query: &Query) -> Result<Value, ApiError> {
    let scope = query.scope()?;
    let request = page_request(&[
        ("MaxResults", Some(PAGE_SIZE.into())),
        ("SortBy", Some("CREATION_TIME".into())),
        ("SortOrder", Some("DESCENDING".into())),
        ("NameContains", query.get("nameContains").map(Value::from)),
        ("NextToken", query.get("nextToken").map(Value::from)),
    ])?;
    let page = call(control, &scope, Operation::ListImages(request)).await?;
    let mut images = Vec::new();
    for mut image in page["Images"].as_array().cloned().unwrap_or_default() {
        let describe = DescribeImageRequest {
            image_name: image["ImageName"].as_str().unwrap_or_default().to_owned(),
        };
        if let Ok(described) = call(control, &scope, Operation::DescribeImage(describe)).await {
            image["RoleArn"] = described["RoleArn"].clone();
        }
        image["Tags"] = tags_of(control, &scope, &image["ImageArn"]).await;
        images.push(image);
    }
    Ok(json!({ "images": images, "nextToken": page["NextToken"] }))
}

/// An image with its tags and one page of its versions, each with its aliases.
async fn image(control: &Control<'_>, query: &Query) -> Result<Value, ApiError> {
    let scope = query.scope()?;
    let name = query
        .get("name")
        .ok_or_else(|| ApiError::Validation("name is required.".to_owned()))?;
    let request = page_request(&[
        ("ImageName", Some(name.into())),
        ("MaxResults", Some(PAGE_SIZE.into())),
        ("NextToken", query.get("nextToken").map(Value::from)),
    ])?;
    let describe = DescribeImageRequest {
        image_name: name.to_owned(),
    };
    let mut image = call(control, &scope, Operation::DescribeImage(describe)).await?;
    image["Tags"] = tags_of(control, &scope, &image["ImageArn"]).await;
    let page = call(control, &scope, Operation::ListImageVersions(request)).await?;
    let mut versions = Vec::new();
    for listed in page["ImageVersions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let number = listed["Version"]
            .as_i64()
            .and_then(|n| i32::try_from(n).ok());
        let describe = DescribeImageVersionRequest {
            image_name: name.to_owned(),
            version: number,
            alias: None,
        };
        let aliases = ListAliasesRequest {
            image_name: name.to_owned(),
            version: number,
            alias: None,
            max_results: None,
            next_token: None,
        };
        let mut version = call(control, &scope, Operation::DescribeImageVersion(describe))
            .await
            .unwrap_or(listed);
        version["Aliases"] = call(control, &scope, Operation::ListAliases(aliases))
            .await
            .map(|answer| answer["SageMakerImageVersionAliases"].clone())
            .unwrap_or_else(|_| json!([]));
        version["Tags"] = tags_of(control, &scope, &version["ImageVersionArn"]).await;
        versions.push(version);
    }
    Ok(json!({ "image": image, "versions": versions, "nextToken": page["NextToken"] }))
}

/// One page of ListAppImageConfigs, newest first, each with its tags.
async fn app_image_configs(control: &Control<'_>, query: &Query) -> Result<Value, ApiError> {
    let scope = query.scope()?;
    let request = page_request(&[
        ("MaxResults", Some(PAGE_SIZE.into())),
        ("SortBy", Some("CreationTime".into())),
        ("SortOrder", Some("Descending".into())),
        ("NameContains", query.get("nameContains").map(Value::from)),
        ("NextToken", query.get("nextToken").map(Value::from)),
    ])?;
    let page = call(control, &scope, Operation::ListAppImageConfigs(request)).await?;
    let mut configs = Vec::new();
    for mut config in page["AppImageConfigs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        config["Tags"] = tags_of(control, &scope, &config["AppImageConfigArn"]).await;
        configs.push(config);
    }
    Ok(json!({ "appImageConfigs": configs, "nextToken": page["NextToken"] }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_parsed_from_method_and_path() {
        let get = Method::GET;
        let cases = [
            (&get, "/_sagemaker-images/console", Some(Route::Bare)),
            (
                &get,
                "/_sagemaker-images/console/",
                Some(Route::Asset(&ASSETS[0])),
            ),
            (
                &get,
                "/_sagemaker-images/console/console.js",
                Some(Route::Asset(&ASSETS[2])),
            ),
            (
                &get,
                "/_sagemaker-images/console/api/requests/7",
                Some(Route::Request(7)),
            ),
            (&get, "/_sagemaker-images/console/api/requests/x", None),
            (&get, "/_sagemaker-images/console/../reset", None),
            (
                &Method::POST,
                "/_sagemaker-images/console/api/login-links",
                Some(Route::LoginLinks),
            ),
            (&Method::POST, "/_sagemaker-images/console/api/images", None),
        ];
        for (method, path, expected) in cases {
            assert_eq!(Route::parse(method, path), expected, "{method} {path}");
        }
        assert!(!is_console_path("/_sagemaker-images/consoles"));
    }

    #[test]
    fn query_parameters_are_decoded() {
        let params = query_params("/x?account=000000000000&nextToken=a%2Bb%3D&empty=");
        assert_eq!(params[1], ("nextToken".to_owned(), "a+b=".to_owned()));
        assert!(query_params("/x?bad=%zz").is_empty());
    }
}
