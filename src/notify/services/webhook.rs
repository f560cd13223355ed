//! The generic webhook: `POST {url}` with the JSON of
//! [`crate::notify::message::Report::webhook_json`], signed per Standard Webhooks when the
//! channel has a `secret` (delivery signs each attempt; the `webhook-id` made here stays
//! the same across them).

use super::super::message::Report;
use super::super::request::{Body, Method, Request, Signing};
use super::super::secret::{SecretUrl, new_uuid};
use crate::credential::SigningKey;

pub fn message(url: &SecretUrl, key: Option<&SigningKey>, report: &Report) -> Request {
    let mut request = Request::new(
        Method::Post,
        url.clone(),
        Body::Json(report.webhook_json().to_string()),
        report.kind.event_type(),
    )
    .for_job(&report.job);
    request.signing = key.map(|key| Signing {
        key: key.clone(),
        id: format!("msg_{}", new_uuid().replace('-', "")),
    });
    request
}
