//! The API token: a string that must never be printed.
//!
//! [`Token`] owns the secret and nothing else. Its `Debug` and `Display` both print `***`, so
//! a token that ends up in an error, a `{:?}` or a debug log is masked by construction; the
//! only way to the text is [`Token::expose`], which the HTTP client calls once per request
//! to build the `Authorization` header.

use std::fmt;

/// What `Debug` and `Display` print in place of a token.
pub const MASK: &str = "***";

/// A Heroku API token (an OAuth authorization's access token, or the API key).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps `secret`; surrounding whitespace (a trailing newline from a file) is dropped.
    /// `None` when nothing is left.
    pub fn new(secret: &str) -> Option<Token> {
        let trimmed = secret.trim();
        (!trimmed.is_empty()).then(|| Token(trimmed.to_owned()))
    }

    /// The secret itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_mask_the_secret() {
        let token = Token::new("hrku-secret-value").expect("a token");
        for (from, rendered) in [
            ("Display", format!("{token}")),
            ("Debug", format!("{token:?}")),
            ("Debug in a struct", format!("{:?}", Some(&token))),
        ] {
            assert!(
                !rendered.contains("secret"),
                "{from} leaked the token: {rendered}"
            );
            assert!(
                rendered.contains(MASK),
                "{from} did not print the mask: {rendered}"
            );
        }
        assert_eq!(token.expose(), "hrku-secret-value");
    }

    #[test]
    fn blank_secrets_are_no_token() {
        for (from, expected) in [("", None), ("  \n", None), (" abc\n", Some("abc"))] {
            assert_eq!(
                Token::new(from).as_ref().map(Token::expose),
                expected,
                "from {from:?}"
            );
        }
    }
}
