//! Console sessions, in this process's memory: one-time login tokens (minted by an admitted control call,
//! `sagemaker-images console-link`), the sessions they open, and the CSRF token of each.
//!
//! They live beside admission, which they are part of: the control plane admits a request by its session,
//! and the console, which mints and shows sessions, calls the control plane (never the other way round).
//!
//! A restart forgets every session (a new link is minted then), and a session opened on one process is
//! unknown to another sharing the same PostgreSQL database: these are a person's look at one process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method};
use subtle::ConstantTimeEq;

/// How long a login link may wait to be opened.
pub const LOGIN_TOKEN_LIFETIME: Duration = Duration::from_secs(120);
/// How long a session lasts from the login (the cookie's Max-Age).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);
/// The session cookie's name.
pub const COOKIE_NAME: &str = "sagemaker_images_console";
/// The header that carries a session's CSRF token on every state-changing request.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The most sessions, and the most unused login tokens, kept at once. Past it, a new session takes the
/// place of the one nearest its end, and a new token's minting forgets the unused ones.
pub const MAX_SESSIONS: usize = 1024;

/// Why a login or a session's request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("This login link is unknown, was used already, or has expired; mint a new one with `sagemaker-images console-link`.")]
    UnknownLoginToken,
    #[error("The console session has expired or this server has restarted since; open a new login link.")]
    UnknownSession,
    #[error("A state-changing console request must carry the session's CSRF token in the {CSRF_HEADER} header.")]
    CsrfMismatch,
}

/// What a session lets its holder do: act as an administrator of `account`.
#[derive(Debug, Clone)]
pub struct Session {
    pub csrf_token: String,
    pub account: String,
    expires: Instant,
}

/// A session as the login hands it to the browser.
pub struct Opened {
    pub id: String,
    pub session: Session,
}

impl Opened {
    /// The `Set-Cookie` value: script cannot read it, no other site's request carries it, it is sent only
    /// to the control plane's paths, and it ends with the session.
    pub fn cookie(&self) -> String {
        format!(
            "{COOKIE_NAME}={}; HttpOnly; SameSite=Strict; Path=/_sagemaker-images; Max-Age={}",
            self.id,
            SESSION_LIFETIME.as_secs()
        )
    }
}

struct LoginToken {
    account: String,
    expires: Instant,
}

#[derive(Default)]
struct Kept {
    login_tokens: HashMap<String, LoginToken>,
    sessions: HashMap<String, Session>,
}

#[derive(Default)]
pub struct Sessions {
    kept: Mutex<Kept>,
}

/// 244 random bits, as two v4 UUIDs (whose generator is a CSPRNG), in hex.
fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

impl Sessions {
    /// A one-time token that opens a session acting in `account`.
    pub fn mint_login_token(&self, account: &str) -> String {
        let token = random_token();
        let mut kept = self.lock();
        kept.forget_expired();
        if kept.login_tokens.len() >= MAX_SESSIONS {
            kept.login_tokens.clear();
        }
        kept.login_tokens.insert(
            token.clone(),
            LoginToken {
                account: account.to_owned(),
                expires: Instant::now() + LOGIN_TOKEN_LIFETIME,
            },
        );
        token
    }

    /// Uses a login token (once) and opens its session.
    pub fn log_in(&self, token: &str) -> Result<Opened, SessionError> {
        let mut kept = self.lock();
        kept.forget_expired();
        let login = kept
            .login_tokens
            .remove(token)
            .ok_or(SessionError::UnknownLoginToken)?;
        Ok(kept.open(login.account))
    }

    /// Opens a session with no login, for a local caller the control plane admits as it is.
    pub fn open(&self, account: &str) -> Opened {
        self.lock().open(account.to_owned())
    }

    /// The session whose cookie the request carries: `None` without the cookie; refused for an unknown or
    /// expired session, and, for a state-changing method, without its CSRF token. (Where the request came
    /// from is the control plane's check, which knows the server's authority.)
    pub fn admit(
        &self,
        method: &Method,
        headers: &HeaderMap,
    ) -> Option<Result<Session, SessionError>> {
        let id = session_cookie(headers)?;
        let session = {
            let mut kept = self.lock();
            kept.forget_expired();
            kept.sessions.get(id).cloned()
        };
        let Some(session) = session else {
            return Some(Err(SessionError::UnknownSession));
        };
        if *method == Method::GET || *method == Method::HEAD {
            return Some(Ok(session));
        }
        let given = headers
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !bool::from(given.ct_eq(session.csrf_token.as_bytes())) {
            return Some(Err(SessionError::CsrfMismatch));
        }
        Some(Ok(session))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Kept {
    fn forget_expired(&mut self) {
        let now = Instant::now();
        self.login_tokens.retain(|_, token| token.expires > now);
        self.sessions.retain(|_, session| session.expires > now);
    }

    fn open(&mut self, account: String) -> Opened {
        if self.sessions.len() >= MAX_SESSIONS {
            let nearest_end = self
                .sessions
                .iter()
                .min_by_key(|(_, session)| session.expires)
                .map(|(id, _)| id.clone());
            if let Some(id) = nearest_end {
                self.sessions.remove(&id);
            }
        }
        let id = random_token();
        let session = Session {
            csrf_token: random_token(),
            account,
            expires: Instant::now() + SESSION_LIFETIME,
        };
        self.sessions.insert(id.clone(), session.clone());
        Opened { id, session }
    }
}

/// The value of the session cookie, if the request carries it.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_cookie(id: &str, extra: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            HeaderValue::from_str(&format!("other=1; {COOKIE_NAME}={id}"))
                .expect("a cookie is text"),
        );
        headers.insert("host", HeaderValue::from_static("127.0.0.1:7447"));
        for (name, value) in extra {
            headers.insert(
                *name,
                HeaderValue::from_str(value).expect("test values are text"),
            );
        }
        headers
    }

    #[test]
    fn a_login_token_opens_one_session_once() {
        let sessions = Sessions::default();
        let token = sessions.mint_login_token("123456789012");
        let opened = sessions.log_in(&token).expect("first use");
        assert_eq!(opened.session.account, "123456789012");
        assert!(matches!(
            sessions.log_in(&token),
            Err(SessionError::UnknownLoginToken)
        ));
    }

    #[test]
    fn changes_need_the_csrf_token() {
        let sessions = Sessions::default();
        let opened = sessions.open("000000000000");
        let csrf = opened.session.csrf_token.clone();
        let read = with_cookie(&opened.id, &[]);
        assert!(matches!(sessions.admit(&Method::GET, &read), Some(Ok(_))));
        assert!(matches!(
            sessions.admit(&Method::POST, &read),
            Some(Err(SessionError::CsrfMismatch))
        ));
        let own = with_cookie(&opened.id, &[(CSRF_HEADER, &csrf)]);
        assert!(matches!(sessions.admit(&Method::POST, &own), Some(Ok(_))));
        assert!(sessions.admit(&Method::GET, &HeaderMap::new()).is_none());
        assert!(matches!(
            sessions.admit(&Method::GET, &with_cookie("forged", &[])),
            Some(Err(SessionError::UnknownSession))
        ));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_expires() {
        let cookie = Sessions::default().open("000000000000").cookie();
        for attribute in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/_sagemaker-images",
            "Max-Age=28800",
        ] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
    }
}
