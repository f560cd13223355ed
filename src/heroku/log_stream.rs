//! Reading a log session's URL: Server-Sent Events (what Heroku sends today) or plain
//! lines (the older streams), into log lines.
//!
//! The URL is a credential of its own (it carries a token), so it is never put in a
//! message: a failure says what failed and its innermost cause only. The stream has no
//! overall timeout, since a run can be silent for hours; TCP keepalive notices a dead
//! peer, and the caller decides when to stop waiting. No API token is sent to the stream.

use std::time::Duration;

use super::client::user_agent;

/// The longest line kept whole; the rest of a longer one is dropped (the lines read here
/// are short platform lines).
const MAX_LINE: usize = 16 * 1024;

/// Turns a stream's bytes into log lines: the `data` of each SSE `message` event (one or
/// more lines each), or every line of a plain stream.
#[derive(Debug)]
pub struct SseDecoder {
    plain: bool,
    partial: Vec<u8>,
    overlong: bool,
    event: String,
    data: Vec<String>,
}

impl SseDecoder {
    /// A decoder for a stream whose `Content-Type` was `content_type`.
    pub fn new(content_type: Option<&str>) -> SseDecoder {
        let plain = !content_type.is_some_and(|t| t.trim_start().starts_with("text/event-stream"));
        SseDecoder {
            plain,
            partial: Vec::new(),
            overlong: false,
            event: String::new(),
            data: Vec::new(),
        }
    }

    /// Feeds a chunk; returns the log lines it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &byte in chunk {
            if byte == b'\n' {
                let raw = std::mem::take(&mut self.partial);
                self.overlong = false;
                let text = String::from_utf8_lossy(&raw);
                self.line(text.trim_end_matches('\r'), &mut out);
            } else if self.partial.len() < MAX_LINE {
                self.partial.push(byte);
            } else {
                self.overlong = true;
            }
        }
        out
    }

    fn line(&mut self, line: &str, out: &mut Vec<String>) {
        if self.plain {
            if !line.is_empty() {
                out.push(line.to_owned());
            }
            return;
        }
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            let data = std::mem::take(&mut self.data);
            if event.is_empty() || event == "message" {
                out.extend(
                    data.iter()
                        .flat_map(|d| d.split('\n'))
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_owned),
                );
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "data" => self.data.push(value.to_owned()),
            "event" => value.clone_into(&mut self.event),
            _ => {}
        }
    }
}

/// Why a stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError(pub String);

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the log stream failed: {}", self.0)
    }
}

/// Opens log session URLs.
#[derive(Debug, Clone)]
pub struct LogStreams {
    http: reqwest::Client,
}

/// One open stream.
#[derive(Debug)]
pub struct LogStream {
    response: reqwest::Response,
    decoder: SseDecoder,
    ready: std::collections::VecDeque<String>,
}

impl LogStreams {
    /// A stream opener.
    ///
    /// # Errors
    /// The HTTP library's message when its TLS setup fails.
    pub fn new() -> Result<LogStreams, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .tcp_keepalive(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| describe(&e))?;
        Ok(LogStreams { http })
    }

    /// Connects to `url` (a log session's `logplex_url`).
    ///
    /// # Errors
    /// [`StreamError`] for a connection failure or a non-success status.
    pub async fn open(&self, url: &str) -> Result<LogStream, StreamError> {
        let response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .header(reqwest::header::USER_AGENT, user_agent())
            .send()
            .await
            .map_err(|e| StreamError(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(StreamError(format!("status {}", status.as_u16())));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(LogStream {
            response,
            decoder: SseDecoder::new(content_type.as_deref()),
            ready: std::collections::VecDeque::new(),
        })
    }
}

impl LogStream {
    /// The next log line; `None` when the stream has ended.
    ///
    /// # Errors
    /// [`StreamError`] when the connection broke.
    pub async fn next_line(&mut self) -> Result<Option<String>, StreamError> {
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Ok(Some(line));
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => self.ready.extend(self.decoder.push(&chunk)),
                Ok(None) => return Ok(None),
                Err(error) => return Err(StreamError(describe(&error))),
            }
        }
    }
}

/// What failed and its innermost cause, without the URL (reqwest's own `Display` of an
/// error includes it).
pub fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "the connection broke"
    } else {
        "request failed"
    };
    let mut innermost = None;
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    match innermost {
        // Some causes repeat the URL; keep only what has none.
        Some(cause) if !cause.contains("://") => format!("{what}: {cause}"),
        _ => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(content_type: Option<&str>, chunks: &[&str]) -> Vec<String> {
        let mut decoder = SseDecoder::new(content_type);
        chunks
            .iter()
            .flat_map(|chunk| decoder.push(chunk.as_bytes()))
            .collect()
    }

    #[test]
    fn server_sent_events_become_lines() {
        let sse = Some("text/event-stream; charset=utf-8");
        let table: &[(&[&str], &[&str])] = &[
            (&["data: a\n\n"], &["a"]),
            (&["data: a\r\n", "\r\n"], &["a"]),
            (&["da", "ta: one\ndata: two\n", "\n"], &["one", "two"]),
            (&["data: x\n"], &[]),
            (&[": keepalive\n\nid: 7\ndata:b\n\n"], &["b"]),
            (&["event: error\ndata: gone\n\ndata: c\n\n"], &["c"]),
            (&["event: message\ndata: d\n\n"], &["d"]),
            (&["data: \n\n"], &[]),
        ];
        for (chunks, expected) in table {
            assert_eq!(decode(sse, chunks), *expected, "chunks {chunks:?}");
        }
    }

    #[test]
    fn plain_streams_are_lines() {
        assert_eq!(
            decode(Some("text/plain"), &["one\ntw", "o\r\n\nthree"]),
            ["one", "two"]
        );
        assert_eq!(decode(None, &["data: x\n"]), ["data: x"]);
    }

    #[test]
    fn an_overlong_line_is_cut() {
        let long = "x".repeat(MAX_LINE + 100);
        let lines = decode(Some("text/plain"), &[&long, "\nnext\n"]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_LINE);
        assert_eq!(lines[1], "next");
    }
}
