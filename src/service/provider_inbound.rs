//! Inbound messages from cloud providers through the façade: what the HTTP layer read
//! from a provider's (signature-checked) incoming-message webhook becomes an inbox message
//! like a modem's — numbers in their international form, the encoding named, the opt-out
//! keywords applied, stored once per provider id.
//!
//! Never imports axum, SQL or AT. Invariants: the provider's id, the numbers and the part
//! numbers are checked here, and a bad one is an `Invalid` naming the provider's own
//! parameter (the caller passes the names); a number that is `+`/7–15 digits is stored as
//! `+` and digits, anything else (an alphanumeric sender, a short code) as sent; logs
//! carry the provider, a masked sender and the id — never the text.

use super::{Service, ServiceError};
use crate::inbound::inbox::{mask, Rules};
use crate::message::Millis;
use crate::store::provider_inbox::{ProviderConcat, ProviderInbound};
use std::sync::Arc;
use tracing::info;

/// Longest provider message id we keep.
pub const MAX_PROVIDER_ID_CHARS: usize = 128;
/// Longest sender or recipient (numbers are at most 16; alphanumeric senders 11).
pub const MAX_ADDRESS_CHARS: usize = 32;
/// Most characters of one inbound text (255 segments of 160 characters).
pub const MAX_INBOUND_TEXT_CHARS: usize = 255 * 160;

/// How a provider says its text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundTextKind {
    /// Text; GSM-7 when every character fits it, else UCS-2.
    Text,
    /// Text the handset sent in UCS-2 (Vonage `type=unicode`).
    Unicode,
    /// Binary data, as hex (Vonage `type=binary`).
    Binary,
}

/// The names of the provider's parameters, for errors that name the offending field.
#[derive(Debug, Clone, Copy)]
pub struct InboundFields {
    /// The message id (`MessageSid`, `messageId`, `MessageUUID`).
    pub id: &'static str,
    /// The sender (`From`, `msisdn`).
    pub from: &'static str,
    /// Our number (`To`, `to`).
    pub to: &'static str,
    /// The text (`Body`, `text`, `Text`).
    pub text: &'static str,
}

/// A message (or one part of one) a provider says it received for us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMessage {
    /// The provider route's name (`twilio`, `vonage`, `plivo`).
    pub provider: &'static str,
    /// The provider's id of it.
    pub provider_message_id: String,
    /// The sender as the provider wrote it.
    pub from: String,
    /// Our number the person wrote to, as the provider wrote it.
    pub to: String,
    /// The text (hex for binary data).
    pub text: String,
    /// How the text is written.
    pub kind: InboundTextKind,
    /// Segments it took, when the provider says (`NumSegments`, `Units`).
    pub segments: Option<u8>,
    /// When it was sent, when the provider says.
    pub sent_at: Option<Millis>,
    /// `(reference, total, part)` of a part handed over on its own.
    pub concat: Option<(String, u8, u8)>,
}

/// What became of a provider's inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderInboundOutcome {
    /// Stored as inbound message `id`.
    Stored {
        /// The inbox id.
        id: i64,
    },
    /// One part of a longer message stored; the message waits for the rest.
    PartStored {
        /// Parts held now.
        received: usize,
        /// Parts the message has.
        total: u8,
    },
    /// Already stored (the provider retried its webhook): nothing changed.
    Duplicate,
}

fn bounded(field: &str, value: &str, max: usize) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ServiceError::invalid(field, "is required"));
    }
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            format!("at most {max} printable characters"),
        ));
    }
    Ok(value.to_string())
}

/// The encoding name the inbox stores, and the text in its stored form.
fn encoded(
    kind: InboundTextKind,
    text: String,
    field: &str,
) -> Result<(String, String), ServiceError> {
    match kind {
        InboundTextKind::Text if crate::pdu::Charset::DEFAULT.can_encode(&text) => {
            Ok(("gsm7".into(), text))
        }
        InboundTextKind::Text | InboundTextKind::Unicode => Ok(("ucs2".into(), text)),
        InboundTextKind::Binary => {
            let hex = text.trim();
            if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ServiceError::invalid(field, "binary data must be hex"));
            }
            Ok(("8bit".into(), hex.to_ascii_uppercase()))
        }
    }
}

impl Service {
    /// Stores a provider's inbound message once, with its opt-out keyword, conversation and
    /// `sms.received` event; a part of a longer message waits in the store for the rest.
    pub async fn provider_inbound(
        &self,
        message: ProviderMessage,
        fields: InboundFields,
    ) -> Result<ProviderInboundOutcome, ServiceError> {
        let id = bounded(
            fields.id,
            &message.provider_message_id,
            MAX_PROVIDER_ID_CHARS,
        )?;
        let from = crate::phone::international_or_as_sent(&bounded(
            fields.from,
            &message.from,
            MAX_ADDRESS_CHARS,
        )?);
        let to = crate::phone::international_or_as_sent(&bounded(
            fields.to,
            &message.to,
            MAX_ADDRESS_CHARS,
        )?);
        if message.text.chars().count() > MAX_INBOUND_TEXT_CHARS {
            return Err(ServiceError::invalid(
                fields.text,
                format!("at most {MAX_INBOUND_TEXT_CHARS} characters"),
            ));
        }
        let (encoding, text) = encoded(message.kind, message.text, fields.text)?;
        let concat = match message.concat {
            None => None,
            Some((reference, total, seq)) => {
                if total == 0 || seq == 0 || seq > total {
                    return Err(ServiceError::invalid(
                        "concat-part",
                        format!("part {seq} of {total}: parts are numbered 1 to their total"),
                    ));
                }
                Some(ProviderConcat {
                    reference: bounded("concat-ref", &reference, MAX_PROVIDER_ID_CHARS)?,
                    total,
                    seq,
                })
            }
        };
        let rules = Rules::new(
            &self.settings().stop_keywords,
            &self.settings().start_keywords,
        );
        let inbound = ProviderInbound {
            provider: message.provider.to_string(),
            provider_message_id: id.clone(),
            from,
            to,
            text,
            encoding,
            parts: message.segments.unwrap_or(1).max(1),
            sent_at: message.sent_at,
            concat,
        };
        let masked = mask(&inbound.from);
        let receipt = self
            .store
            .receive_provider_inbound(inbound, Arc::new(rules), self.now())
            .await?;
        let provider = message.provider;
        if !receipt.duplicate {
            self.metrics().inbound_received();
        }
        if receipt.duplicate {
            info!(%provider, id = %id, from = %masked, "inbound message from a provider already stored; ignored");
            return Ok(ProviderInboundOutcome::Duplicate);
        }
        if let Some(old) = &receipt.superseded {
            info!(%provider, from = %masked, inbound_id = old.id, "a reused concatenation reference closed an older set as incomplete");
        }
        match receipt.completed {
            Some(created) => {
                if let Some(applied) = &created.optout {
                    info!(%provider, from = %masked, action = applied.request.action.as_str(), changed = applied.changed, "opt-out keyword from a provider's inbound message");
                }
                info!(%provider, id = %id, from = %masked, inbound_id = created.id, "inbound message from a provider stored");
                Ok(ProviderInboundOutcome::Stored { id: created.id })
            }
            None => Ok(ProviderInboundOutcome::PartStored {
                received: receipt.received,
                total: receipt.total,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_the_text_and_the_providers_word() {
        let e = |k, t: &str| encoded(k, t.to_string(), "text").unwrap();
        assert_eq!(
            e(InboundTextKind::Text, "Hello €"),
            ("gsm7".into(), "Hello €".into())
        );
        assert_eq!(
            e(InboundTextKind::Text, "Hi 😀"),
            ("ucs2".into(), "Hi 😀".into())
        );
        assert_eq!(
            e(InboundTextKind::Unicode, "plain"),
            ("ucs2".into(), "plain".into())
        );
        assert_eq!(
            e(InboundTextKind::Binary, "0a0B"),
            ("8bit".into(), "0A0B".into())
        );
        let bad = encoded(InboundTextKind::Binary, "0g".into(), "data").unwrap_err();
        assert!(matches!(bad, ServiceError::Invalid { field, .. } if field == "data"));
    }

    #[test]
    fn addresses_are_required_and_bounded() {
        assert!(bounded("From", "  ", 32).is_err());
        assert!(bounded("From", &"1".repeat(33), 32).is_err());
        assert!(bounded("From", "a\u{0}b", 32).is_err());
        assert_eq!(bounded("From", " +1415 ", 32).unwrap(), "+1415");
    }
}
