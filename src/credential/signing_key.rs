//! Standard Webhooks signatures (standardwebhooks.com, version 1.0.0).
//!
//! A request carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature: v1,BASE64`, where the signature is HMAC-SHA256 over
//! `{id}.{timestamp}.{body}` with the key decoded from a `whsec_` secret. The id names the
//! delivery and stays the same across its retries; the timestamp is the attempt's.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A signing key, decoded from its `whsec_BASE64` text.
#[derive(Clone)]
pub struct SigningKey(ring::hmac::Key);

/// Why a secret is not a signing key (never quoting it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    NotBase64,
    Length(usize),
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::NotBase64 => write!(f, "the secret is not whsec_ followed by base64"),
            KeyError::Length(n) => {
                write!(
                    f,
                    "the secret decodes to {n} bytes; Standard Webhooks keys are 24 to 64"
                )
            }
        }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

impl SigningKey {
    /// Decodes `whsec_BASE64` (the prefix is optional).
    ///
    /// # Errors
    /// [`KeyError`] when the text is not base64 or the key's length is out of range.
    pub fn parse(secret: &str) -> Result<SigningKey, KeyError> {
        let encoded = secret.trim();
        let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
        let bytes = STANDARD.decode(encoded).map_err(|_| KeyError::NotBase64)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(KeyError::Length(bytes.len()));
        }
        Ok(SigningKey(ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            &bytes,
        )))
    }

    /// The `webhook-signature` value for one attempt.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut context = ring::hmac::Context::with_key(&self.0);
        context.update(id.as_bytes());
        context.update(b".");
        context.update(timestamp.to_string().as_bytes());
        context.update(b".");
        context.update(body);
        format!("v1,{}", STANDARD.encode(context.sign().as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_test_vector() {
        let key = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key");
        assert_eq!(
            key.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn rejects_bad_secrets_without_quoting_them() {
        assert_eq!(
            SigningKey::parse("whsec_not base64!").err(),
            Some(KeyError::NotBase64)
        );
        assert_eq!(
            SigningKey::parse("whsec_c2hvcnQ=").err(),
            Some(KeyError::Length(5))
        );
        assert!(!KeyError::Length(5).to_string().contains("c2hvcnQ"));
    }
}
