//! Provider status callbacks through the façade: each provider's status names mapped to
//! what they mean for us ([`ProviderOutcome`]), the generic webhook's values checked, and
//! the result recorded by `store::provider_status`.
//!
//! Never imports axum, SQL or AT; signatures are checked by the HTTP layer before a
//! callback gets here. Invariants: a provider's unknown status name is recorded as an
//! intermediate one (providers add names without notice), while the generic webhook — our
//! own API — refuses anything but its documented values, naming the field; every value is
//! bounded in length before it is stored; logs carry ids and status names only.

use super::{Service, ServiceError};
use crate::message::{MessageId, MessageStatus, Millis};
use crate::store::provider_status::{ProviderOutcome, ProviderStatus, Recorded, Verdict};
use crate::store::StoreError;

/// Who sent a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackSource {
    /// `POST /webhooks/twilio/status`.
    Twilio,
    /// `/webhooks/vonage/status`.
    Vonage,
    /// `POST /webhooks/plivo/status`.
    Plivo,
    /// `POST /api/sms/{id}/webhook`, with the `provider` it named (if any).
    Generic(Option<String>),
}

/// One status callback, as the HTTP layer read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderCallback {
    /// Who sent it.
    pub source: CallbackSource,
    /// Our message id (from the callback URL, or the path).
    pub message_id: Option<MessageId>,
    /// The provider's message id (`MessageSid`, `messageId`, `MessageUUID`).
    pub provider_id: Option<String>,
    /// The provider's status name.
    pub status: String,
    /// The provider's error code, if any.
    pub error_code: Option<String>,
    /// The price it reports, if any.
    pub price: Option<String>,
    /// The time it gives, if any.
    pub reported_at: Option<Millis>,
}

/// Provider names the generic webhook accepts (the seed's), `nexmo` being `vonage`.
pub const GENERIC_PROVIDERS: &[&str] = &[
    "twilio",
    "aws_sns",
    "vonage",
    "nexmo",
    "plivo",
    "clickatell",
];

/// Status names the generic webhook accepts.
pub const GENERIC_STATUSES: &[&str] = &[
    "queued",
    "sending",
    "accepted",
    "buffered",
    "sent",
    "delivered",
    "undelivered",
    "expired",
    "failed",
];

/// Twilio's `MessageStatus`.
pub fn twilio_outcome(status: &str) -> ProviderOutcome {
    match status {
        "sent" => ProviderOutcome::Sent,
        "delivered" | "read" | "partially_delivered" => ProviderOutcome::Delivered,
        "undelivered" => ProviderOutcome::Undelivered,
        "failed" | "canceled" => ProviderOutcome::Failed,
        // queued, accepted, scheduled, sending, and names Twilio may add.
        _ => ProviderOutcome::Progress,
    }
}

/// A Vonage delivery receipt's `status`.
pub fn vonage_outcome(status: &str) -> ProviderOutcome {
    match status {
        "delivered" => ProviderOutcome::Delivered,
        "expired" | "failed" => ProviderOutcome::Undelivered,
        "rejected" => ProviderOutcome::Failed,
        // accepted, buffered, unknown: not final.
        _ => ProviderOutcome::Progress,
    }
}

/// Plivo's `Status`.
pub fn plivo_outcome(status: &str) -> ProviderOutcome {
    match status {
        "sent" => ProviderOutcome::Sent,
        "delivered" | "read" => ProviderOutcome::Delivered,
        "undelivered" => ProviderOutcome::Undelivered,
        "failed" => ProviderOutcome::Failed,
        // queued, and names Plivo may add.
        _ => ProviderOutcome::Progress,
    }
}

/// The generic webhook's `status`, or `None` when it is not one of [`GENERIC_STATUSES`].
pub fn generic_outcome(status: &str) -> Option<ProviderOutcome> {
    match status {
        "queued" | "sending" | "accepted" | "buffered" => Some(ProviderOutcome::Progress),
        "sent" => Some(ProviderOutcome::Sent),
        "delivered" => Some(ProviderOutcome::Delivered),
        "undelivered" | "expired" => Some(ProviderOutcome::Undelivered),
        "failed" => Some(ProviderOutcome::Failed),
        _ => None,
    }
}

/// A trimmed optional value of at most `max` characters (empty counts as absent).
fn bounded(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, ServiceError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => Err(
            ServiceError::invalid(field, format!("at most {max} printable characters")),
        ),
        Some(v) => Ok(Some(v.to_string())),
    }
}

impl Service {
    /// Records a provider's status callback for a message: see `store::provider_status`
    /// for what it changes, ignores or keeps until the send is recorded.
    pub async fn provider_callback(
        &self,
        callback: ProviderCallback,
    ) -> Result<Recorded, ServiceError> {
        let status = callback.status.trim().to_string();
        if status.is_empty() || status.chars().count() > 64 {
            return Err(ServiceError::invalid("status", "1–64 characters"));
        }
        let (provider, outcome) = match &callback.source {
            CallbackSource::Twilio => (Some("twilio".to_string()), twilio_outcome(&status)),
            CallbackSource::Vonage => (Some("vonage".to_string()), vonage_outcome(&status)),
            CallbackSource::Plivo => (Some("plivo".to_string()), plivo_outcome(&status)),
            CallbackSource::Generic(named) => {
                let provider = match named.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some("nexmo") => Some("vonage".to_string()),
                    Some(p) if GENERIC_PROVIDERS.contains(&p) => Some(p.to_string()),
                    Some(_) => {
                        return Err(ServiceError::invalid(
                            "provider",
                            format!("one of {}", GENERIC_PROVIDERS.join(", ")),
                        ))
                    }
                };
                let outcome = generic_outcome(&status).ok_or_else(|| {
                    ServiceError::invalid(
                        "status",
                        format!("one of {}", GENERIC_STATUSES.join(", ")),
                    )
                })?;
                (provider, outcome)
            }
        };
        if callback.message_id.is_none() && callback.provider_id.is_none() {
            return Err(ServiceError::invalid(
                "message_id",
                "the callback names neither our message id nor the provider's",
            ));
        }
        let record = ProviderStatus {
            provider,
            provider_id: bounded("provider_id", callback.provider_id, 200)?,
            outcome,
            raw_status: status,
            error_code: bounded("error_code", callback.error_code, 64)?,
            price: bounded("price", callback.price, 32)?,
            reported_at: callback.reported_at,
        };
        let provider = record.provider.clone().unwrap_or_else(|| "webhook".into());
        let raw = record.raw_status.clone();
        let recorded = self
            .store
            .record_provider_status(callback.message_id, record, self.now())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound(match callback.message_id {
                    Some(id) => format!("message {id}"),
                    None => "message with that provider id".to_string(),
                }),
                other => other.into(),
            })?;
        tracing::info!(
            message_id = %recorded.message_id,
            %provider,
            status = %raw,
            verdict = ?recorded.verdict,
            after = %recorded.status,
            "provider status callback"
        );
        // A final verdict the callback applied counts like a modem's status report.
        let final_status = matches!(
            recorded.status,
            MessageStatus::Delivered | MessageStatus::Undelivered | MessageStatus::Failed
        );
        if recorded.verdict == Verdict::Applied && final_status {
            self.metrics()
                .delivery_report(&provider, recorded.status.as_str());
        }
        Ok(recorded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_statuses_map_as_documented() {
        use ProviderOutcome::*;
        for (name, want) in [
            ("queued", Progress),
            ("accepted", Progress),
            ("sending", Progress),
            ("sent", Sent),
            ("delivered", Delivered),
            ("read", Delivered),
            ("undelivered", Undelivered),
            ("failed", Failed),
            ("canceled", Failed),
            ("something_new", Progress),
        ] {
            assert_eq!(twilio_outcome(name), want, "twilio {name}");
        }
        for (name, want) in [
            ("delivered", Delivered),
            ("expired", Undelivered),
            ("failed", Undelivered),
            ("rejected", Failed),
            ("accepted", Progress),
            ("buffered", Progress),
            ("unknown", Progress),
        ] {
            assert_eq!(vonage_outcome(name), want, "vonage {name}");
        }
        for (name, want) in [
            ("queued", Progress),
            ("sent", Sent),
            ("delivered", Delivered),
            ("undelivered", Undelivered),
            ("failed", Failed),
        ] {
            assert_eq!(plivo_outcome(name), want, "plivo {name}");
        }
        for name in GENERIC_STATUSES {
            assert!(generic_outcome(name).is_some(), "{name}");
        }
        assert_eq!(generic_outcome("Delivered"), None);
        assert_eq!(generic_outcome("read"), None);
    }

    #[test]
    fn bounded_values() {
        assert_eq!(bounded("f", Some("  ".into()), 3), Ok(None));
        assert_eq!(bounded("f", Some(" ab ".into()), 3), Ok(Some("ab".into())));
        assert!(matches!(
            bounded("f", Some("abcd".into()), 3),
            Err(ServiceError::Invalid { field, .. }) if field == "f"
        ));
        assert!(bounded("f", Some("a\nb".into()), 3).is_err());
    }
}
