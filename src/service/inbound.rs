//! Inbound messages through the façade: list (by sender, since a time, paged) and show.
//!
//! Never imports axum, SQL or AT. Invariant: a `from` that looks like a phone number is
//! compared in E.164, as the inbox stores senders; anything else (an alphanumeric sender,
//! a short code) is compared as given.

use super::{Service, ServiceError};
use crate::message::Millis;
use crate::store::inbox::{InboundDetail, InboundFilter, InboundPage};

/// Longest page of inbound messages.
pub const INBOUND_LIMIT_MAX: usize = 1000;

/// What `GET /api/inbound` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundQuery {
    /// Only from this sender.
    pub from: Option<String>,
    /// Only messages that entered the inbox at or after this time.
    pub since: Option<Millis>,
    /// Page size (1–1000).
    pub limit: usize,
    /// Messages skipped.
    pub offset: usize,
}

/// `+…` in E.164: normalised when the numbering plan knows it, else compacted (a sender
/// the network wrote as `+` and digits is stored so even when no plan knows it).
fn international(from: &str) -> Result<String, ServiceError> {
    crate::phone::E164::parse_or_lenient(from, None)
        .map(String::from)
        .map_err(|_| ServiceError::invalid("from", "not a phone number: + and 7–15 digits"))
}

impl Service {
    /// Inbound messages, newest first, and how many match in all.
    pub async fn inbound(&self, query: InboundQuery) -> Result<InboundPage, ServiceError> {
        if query.limit == 0 || query.limit > INBOUND_LIMIT_MAX {
            return Err(ServiceError::invalid(
                "limit",
                format!("1–{INBOUND_LIMIT_MAX}"),
            ));
        }
        let sender = match query.from.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(from) if from.starts_with('+') => Some(international(from)?),
            // A national number when a default region reads it; else as the sender wrote
            // itself (`MyBank`, a short code).
            Some(from) => Some(
                crate::phone::E164::parse(from, self.settings().default_region.as_deref())
                    .map_or_else(|_| from.to_string(), String::from),
            ),
        };
        let filter = InboundFilter {
            sender,
            since: query.since,
            limit: query.limit,
            offset: query.offset,
        };
        Ok(self.store.inbound_list(filter).await?)
    }

    /// One inbound message with its parts.
    pub async fn inbound_message(&self, id: i64) -> Result<InboundDetail, ServiceError> {
        self.store
            .inbound_get(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("inbound message {id}")))
    }
}
