//! Slack incoming webhooks: `POST {url}` with `{"text": …}`, the short phone text of
//! [`crate::notify::message::Report::phone_text`].

use serde_json::json;

use super::super::message::Report;
use super::super::request::{Body, Method, Request};
use super::super::secret::SecretUrl;

pub fn message(url: &SecretUrl, report: &Report) -> Request {
    let body = json!({ "text": report.phone_text() }).to_string();
    Request::new(
        Method::Post,
        url.clone(),
        Body::Json(body),
        report.kind.event_type(),
    )
    .for_job(&report.job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::tests::failed_report;

    #[test]
    fn posts_the_text_as_json() {
        let url = SecretUrl::parse("https://hooks.slack.com/services/T0/B0/x1y2z3").unwrap();
        let request = message(&url, &failed_report());
        assert_eq!(request.method, Method::Post);
        let Body::Json(body) = request.body else {
            panic!("json")
        };
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body.as_object().unwrap().len(), 1, "only text: {body}");
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .contains("nightly-backup failed")
        );
    }
}
