//! AI replies: one call to an OpenAI-compatible chat-completions endpoint
//! (`POST {base_url}/chat/completions`), and the answer cut to fit the configured number of
//! SMS segments.
//!
//! Owns the request and response shapes, the timeout and the clamp. Never imports the
//! store, the service or HTTP server code; the caller (`auto_reply`) gives the context and
//! decides what a failure means (the fallback text).
//!
//! Invariants: the API key goes only into the `Authorization` header — never into an error,
//! a `Debug` output or a log; an error says what failed (timeout, status, malformed JSON,
//! empty answer), never the message text; [`clamp_to_segments`] cuts at a character
//! boundary and its result always fits the limit, GSM-7 or UCS-2.

use crate::config::{AiConfig, Secret};
use crate::pdu::{Payload, SegmentPlan, SegmentPolicy};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use thiserror::Error;

/// Who said a message of the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The system prompt.
    System,
    /// The person texting (inbound messages).
    User,
    /// smsgate (outbound messages).
    Assistant,
}

/// One message of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

/// Why the AI gave no usable answer.
#[derive(Debug, Error)]
pub enum AiError {
    /// The call took longer than `timeout_secs`.
    #[error("the AI endpoint did not answer within {0:?}")]
    Timeout(Duration),
    /// The endpoint could not be reached.
    #[error("the AI endpoint could not be reached: {0}")]
    Unreachable(String),
    /// It answered with an error status.
    #[error("the AI endpoint answered HTTP {0}")]
    Status(u16),
    /// Its body was not a chat completion.
    #[error("the AI endpoint's answer is not a chat completion: {0}")]
    Malformed(String),
    /// The completion had no text.
    #[error("the AI answered nothing")]
    Empty,
}

/// A client for the configured endpoint.
#[derive(Clone)]
pub struct AiClient {
    http: reqwest::Client,
    url: String,
    model: String,
    api_key: Option<Secret>,
    system_prompt: String,
    max_tokens: u32,
    temperature: f64,
    timeout: Duration,
}

impl std::fmt::Debug for AiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No key, not even redacted: nothing about it belongs in a log.
        f.debug_struct("AiClient")
            .field("url", &self.url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    max_tokens: u32,
    temperature: f64,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
}

#[derive(Deserialize)]
struct AnswerMessage {
    #[serde(default)]
    content: Option<String>,
}

/// The largest response body read (a chat completion for an SMS is a few kilobytes).
const BODY_MAX: usize = 1024 * 1024;

impl AiClient {
    /// A client for `[ai]`.
    pub fn new(config: &AiConfig) -> Result<Self, AiError> {
        let timeout = Duration::from_secs(config.timeout_secs);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AiError::Unreachable(e.to_string()))?;
        Ok(Self {
            http,
            url: format!("{}/chat/completions", config.base_url.trim_end_matches('/')),
            model: config.model.clone(),
            api_key: config.api_key.clone(),
            system_prompt: config.system_prompt.clone(),
            max_tokens: config.max_tokens,
            temperature: config.temperature,
            timeout,
        })
    }

    /// The messages of a request: the system prompt, then `context` in order.
    pub fn messages(&self, context: Vec<ChatMessage>) -> Vec<ChatMessage> {
        let mut messages = Vec::with_capacity(context.len() + 1);
        messages.push(ChatMessage {
            role: Role::System,
            content: self.system_prompt.clone(),
        });
        messages.extend(context);
        messages
    }

    /// Asks for an answer to `context` (oldest first); the answer's text, trimmed.
    pub async fn answer(&self, context: Vec<ChatMessage>) -> Result<String, AiError> {
        let messages = self.messages(context);
        let body = Request {
            model: &self.model,
            messages: &messages,
            max_tokens: self.max_tokens,
            temperature: self.temperature,
        };
        let mut request = self.http.post(&self.url).json(&body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key.expose());
        }
        // The whole exchange, body included, is bounded by the timeout.
        let call = async {
            let response = request.send().await.map_err(|e| self.transport(&e))?;
            let status = response.status();
            if !status.is_success() {
                return Err(AiError::Status(status.as_u16()));
            }
            // Read in chunks and stop at the limit: a broken or hostile endpoint streaming
            // hundreds of megabytes within the timeout must not have them all in memory.
            let too_big =
                |n: usize| AiError::Malformed(format!("body of {n}+ bytes is over {BODY_MAX}"));
            if let Some(length) = response.content_length() {
                if usize::try_from(length).unwrap_or(usize::MAX) > BODY_MAX {
                    return Err(too_big(usize::try_from(length).unwrap_or(usize::MAX)));
                }
            }
            let mut response = response;
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(&e))? {
                if bytes.len() + chunk.len() > BODY_MAX {
                    return Err(too_big(bytes.len() + chunk.len()));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(bytes)
        };
        let bytes = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| AiError::Timeout(self.timeout))??;
        let completion: Completion = serde_json::from_slice(&bytes)
            // serde_json's message names the position, not the content.
            .map_err(|e| AiError::Malformed(e.to_string()))?;
        let text = completion
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        if text.is_empty() {
            return Err(AiError::Empty);
        }
        Ok(text)
    }

    fn transport(&self, e: &reqwest::Error) -> AiError {
        if e.is_timeout() {
            AiError::Timeout(self.timeout)
        } else {
            // Without the URL: reqwest's text is enough, and a URL could carry a token.
            AiError::Unreachable(e.without_url_ref().to_string())
        }
    }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(url.as_str(), "<ai endpoint>");
        }
        text
    }
}

/// How many segments `text` needs, as the service will send it (automatic encoding,
/// 16-bit concatenation references); `usize::MAX` when it cannot be encoded.
fn segments(text: &str) -> usize {
    SegmentPlan::new(Payload::Text(text), &SegmentPolicy::default())
        .map_or(usize::MAX, |plan| plan.segments.len())
}

/// `text` cut (at a character boundary, trailing space removed) to the longest prefix that
/// fits in `max_segments` SMS segments — GSM-7 when the prefix fits that alphabet, UCS-2
/// otherwise.
pub fn clamp_to_segments(text: &str, max_segments: usize) -> String {
    if segments(text) <= max_segments {
        return text.to_string();
    }
    // The text's first `n` characters.
    let prefix = |n: usize| -> &str {
        text.char_indices()
            .nth(n)
            .and_then(|(at, _)| text.get(..at))
            .unwrap_or(text)
    };
    // Segments only grow as the prefix grows: the longest fitting prefix is found by
    // bisection over character counts.
    let (mut fits, mut too_long) = (0usize, text.chars().count());
    while too_long - fits > 1 {
        let mid = fits + (too_long - fits) / 2;
        if segments(prefix(mid)) <= max_segments {
            fits = mid;
        } else {
            too_long = mid;
        }
    }
    prefix(fits).trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_left_alone() {
        assert_eq!(clamp_to_segments("Hello", 1), "Hello");
    }

    #[test]
    fn gsm7_text_is_cut_to_the_segment_limit() {
        let long = "a".repeat(1000);
        let one = clamp_to_segments(&long, 1);
        assert_eq!(one.len(), 160);
        let two = clamp_to_segments(&long, 2);
        assert_eq!(segments(&two), 2);
        // 16-bit references: 152 septets per part.
        assert_eq!(two.len(), 304);
    }

    #[test]
    fn ucs2_text_is_cut_at_a_character_boundary() {
        // Emoji take two UTF-16 units: a cut must never split one.
        let long = "😀".repeat(200);
        let cut = clamp_to_segments(&long, 1);
        assert_eq!(cut.chars().count(), 35);
        assert!(cut.chars().all(|c| c == '😀'));
        assert_eq!(segments(&cut), 1);
        let cut = clamp_to_segments(&format!("é{}", "ж".repeat(500)), 3);
        assert!(segments(&cut) <= 3);
        assert_eq!(cut.chars().count(), 3 * 66);
    }

    #[test]
    fn the_client_never_shows_its_key() {
        let config = AiConfig {
            api_key: Some(Secret::new("sk-very-secret")),
            ..AiConfig::default()
        };
        let client = AiClient::new(&config).unwrap();
        assert!(!format!("{client:?}").contains("sk-very-secret"));
    }

    #[test]
    fn the_system_prompt_comes_first() {
        let config = AiConfig {
            system_prompt: "be brief".into(),
            ..AiConfig::default()
        };
        let client = AiClient::new(&config).unwrap();
        let messages = client.messages(vec![ChatMessage {
            role: Role::User,
            content: "hi".into(),
        }]);
        assert_eq!(messages[0].role, Role::System);
        assert_eq!(messages[0].content, "be brief");
        assert_eq!(messages[1].content, "hi");
    }
}
