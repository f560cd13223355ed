//! One HTTP request as a protocol builds it, before delivery sends it.
//!
//! Protocols ([`super::services`]) are pure: they turn a moment of a run into a
//! [`Request`], and tests check method, URL and body without a network. Delivery
//! ([`super::deliver`]) sends it, signs it per attempt when it carries a [`Signing`], and
//! cuts a [`Body::Tail`] to what the endpoint said it stores (`Ping-Body-Limit`).

use super::secret::SecretUrl;
use crate::credential::SigningKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Empty,
    /// `application/json`.
    Json(String),
    /// `text/plain`, of which only the end is sent when the endpoint stores less.
    Tail(String),
}

/// Standard Webhooks signing: the key, and the delivery's id (stable across retries).
#[derive(Debug, Clone)]
pub struct Signing {
    pub key: SigningKey,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: SecretUrl,
    pub body: Body,
    pub signing: Option<Signing>,
    /// What it says, for the log line (`job.failed`, `start`, `heartbeat`).
    pub about: String,
    /// The job it is about, for the log line.
    pub job: Option<String>,
}

impl Request {
    pub fn new(method: Method, url: SecretUrl, body: Body, about: impl Into<String>) -> Request {
        Request {
            method,
            url,
            body,
            signing: None,
            about: about.into(),
            job: None,
        }
    }

    pub fn for_job(mut self, job: &str) -> Request {
        self.job = Some(job.to_owned());
        self
    }
}
