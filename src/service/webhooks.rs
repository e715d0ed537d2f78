//! Webhook subscriptions through the façade: create (URL checked against `[webhooks]`'s
//! network rule, event types against `store::events::EVENT_TYPES`, the secret generated
//! from the OS CSPRNG when not given), list, show, delete, rotate the secret, and the
//! delivery history of one.
//!
//! Never imports axum, SQL or AT. Invariants: a subscription reaches the store only with a
//! URL the rule allows, at least one known event type (duplicates dropped) and a secret of
//! [`MIN_SECRET_LEN`]–[`MAX_SECRET_LEN`] visible ASCII characters; the secret is returned
//! only by [`Service::create_webhook`] and [`Service::rotate_webhook_secret`].

use super::{bounds, Service, ServiceError};
use crate::store::events::EVENT_TYPES;
use crate::store::subscriptions::{Delivery, NewSubscription, Subscription, PAGE_MAX};

/// Shortest secret a client may choose.
pub const MIN_SECRET_LEN: usize = 16;
/// Longest secret a client may choose.
pub const MAX_SECRET_LEN: usize = 256;
/// Most subscriptions an installation may have (each event is fanned out to every one).
pub const MAX_SUBSCRIPTIONS: usize = 100;

/// What `POST /api/webhooks` asks for.
#[derive(Clone, Default)]
pub struct NewWebhook {
    /// The receiver.
    pub url: String,
    /// Event types wanted.
    pub events: Vec<String>,
    /// The signing key (none: generated).
    pub secret: Option<String>,
    /// A note for people.
    pub description: Option<String>,
}

/// A subscription just made, with its secret (shown this once).
#[derive(Clone)]
pub struct CreatedSubscription {
    /// The subscription.
    pub subscription: Subscription,
    /// Its signing key.
    pub secret: String,
}

// A secret never reaches a log, not even through `{:?}`.
impl std::fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("events", &self.events)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CreatedSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedSubscription")
            .field("subscription", &self.subscription)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A new secret: `whsec_` and 32 bytes of the OS CSPRNG in hex.
fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", hex::encode(bytes))
}

/// A new subscription id: `wh_` and 12 random bytes in hex.
fn generate_id() -> String {
    let bytes: [u8; 12] = rand::random();
    format!("wh_{}", hex::encode(bytes))
}

/// The event types, known and without duplicates, in the order given.
fn event_types(events: &[String]) -> Result<Vec<String>, ServiceError> {
    if events.is_empty() {
        return Err(ServiceError::invalid(
            "events",
            format!("name at least one event type: {}", EVENT_TYPES.join(", ")),
        ));
    }
    let mut wanted: Vec<String> = Vec::new();
    for event in events {
        if !EVENT_TYPES.contains(&event.as_str()) {
            let shown: String = event.chars().take(64).collect();
            return Err(ServiceError::invalid(
                "events",
                format!(
                    "unknown event type {shown:?}; known: {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        if !wanted.contains(event) {
            wanted.push(event.clone());
        }
    }
    Ok(wanted)
}

fn client_secret(secret: &str) -> Result<(), ServiceError> {
    let len = secret.len();
    if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&len) {
        return Err(ServiceError::invalid(
            "secret",
            format!("{MIN_SECRET_LEN}–{MAX_SECRET_LEN} characters"),
        ));
    }
    if !secret.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ServiceError::invalid(
            "secret",
            "only visible ASCII characters (no spaces)",
        ));
    }
    Ok(())
}

impl Service {
    /// The rule subscription URLs are checked with, naming the `url` field and the
    /// `[webhooks]` keys that relax it.
    fn webhook_url(&self, url: &str) -> Result<(), ServiceError> {
        self.settings()
            .webhook_policy
            .check(url)
            .map(|_| ())
            .map_err(|why| {
                let why = why.replace(
                    "[callbacks] allowed_hosts or allow_private_networks",
                    "[webhooks] allowed_hosts or allow_private",
                );
                ServiceError::invalid("url", why)
            })
    }

    /// Creates a subscription; its secret is in the answer and never shown again.
    pub async fn create_webhook(
        &self,
        request: NewWebhook,
    ) -> Result<CreatedSubscription, ServiceError> {
        self.webhook_url(&request.url)?;
        let events = event_types(&request.events)?;
        if let Some(secret) = &request.secret {
            client_secret(secret)?;
        }
        let description = match request.description.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => {
                bounds::label("description", d)?;
                Some(d.to_string())
            }
        };
        if self.store.subscription_list().await?.len() >= MAX_SUBSCRIPTIONS {
            return Err(ServiceError::Conflict(format!(
                "at most {MAX_SUBSCRIPTIONS} webhook subscriptions; delete one first"
            )));
        }
        let secret = request.secret.unwrap_or_else(generate_secret);
        let id = generate_id();
        self.store
            .subscription_create(
                NewSubscription {
                    id: id.clone(),
                    url: request.url,
                    events,
                    secret: secret.clone(),
                    description,
                },
                self.now(),
            )
            .await?;
        let subscription = self.webhook(&id).await?;
        Ok(CreatedSubscription {
            subscription,
            secret,
        })
    }

    /// Every subscription (without secrets).
    pub async fn webhooks(&self) -> Result<Vec<Subscription>, ServiceError> {
        Ok(self.store.subscription_list().await?)
    }

    /// One subscription (without its secret).
    pub async fn webhook(&self, id: &str) -> Result<Subscription, ServiceError> {
        self.store
            .subscription_get(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Deletes a subscription; what it had not delivered is dropped with it.
    pub async fn delete_webhook(&self, id: &str) -> Result<(), ServiceError> {
        if self.store.subscription_delete(id).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// Gives a subscription a new generated secret (returned, shown this once); what is
    /// delivered from now on is signed with it.
    pub async fn rotate_webhook_secret(&self, id: &str) -> Result<String, ServiceError> {
        let secret = generate_secret();
        if self
            .store
            .subscription_rotate_secret(id, secret.clone(), self.now())
            .await?
        {
            Ok(secret)
        } else {
            Err(not_found(id))
        }
    }

    /// A subscription's deliveries, newest first, and how many it has in all.
    pub async fn webhook_deliveries(
        &self,
        id: &str,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Delivery>, i64), ServiceError> {
        if limit == 0 || limit > PAGE_MAX {
            return Err(ServiceError::invalid("limit", format!("1–{PAGE_MAX}")));
        }
        self.webhook(id).await?;
        Ok(self
            .store
            .subscription_deliveries(id, limit, offset)
            .await?)
    }
}

fn not_found(id: &str) -> ServiceError {
    let shown: String = id.chars().take(64).collect();
    ServiceError::NotFound(format!("webhook subscription {shown:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_checked_and_deduplicated() {
        let e =
            |list: &[&str]| event_types(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            e(&["sms.sent", "modem.up", "sms.sent"]).unwrap(),
            ["sms.sent", "modem.up"]
        );
        for bad in [&[][..], &["sms.sent", "sms.bogus"][..]] {
            match e(bad) {
                Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, "events"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn generated_secrets_and_ids_have_their_shape_and_differ() {
        let (a, b) = (generate_secret(), generate_secret());
        assert!(a.starts_with("whsec_") && a.len() == 6 + 64, "{a}");
        assert_ne!(a, b);
        let id = generate_id();
        assert!(id.starts_with("wh_") && id.len() == 3 + 24, "{id}");
        assert!(client_secret(&a).is_ok());
        assert!(client_secret("short").is_err());
        assert!(client_secret("sixteen chars with spaces").is_err());
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let request = NewWebhook {
            url: "https://hooks.example.com/h".into(),
            events: vec!["sms.sent".into()],
            secret: Some("whsec_do_not_print_me".into()),
            description: None,
        };
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("do_not_print_me") && shown.contains("redacted"),
            "{shown}"
        );
        let job = crate::store::subscriptions::NewSubscription {
            id: "wh_1".into(),
            url: "https://hooks.example.com/h".into(),
            events: vec![],
            secret: "whsec_do_not_print_me".into(),
            description: None,
        };
        assert!(!format!("{job:?}").contains("do_not_print_me"));
    }
}
