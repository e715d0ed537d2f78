//! Conversations through the façade: list, show, history, close, reply, statistics and the
//! upkeep (idle close, retention, the numbers routes send from).
//!
//! Never imports axum, SQL or AT. Invariants: a reply leaves by the route the person wrote
//! to — pinned to it, so it waits while that route is down — unless `[conversations]
//! interchangeable` names a ready stand-in; it is an ordinary queued message (durable before
//! the answer), joined to the conversation from its acceptance and linked to the last
//! message the person sent.

use super::{SendOutcome, SendRequest, Service, ServiceError};
use crate::message::{Millis, SmsType};
use crate::service::RecipientInput;
use crate::store::conversations::{
    Conversation, ConversationFilter, ConversationPage, ConversationStats, ConversationStatus,
    HistoryEntry,
};
use crate::store::types::ReplyLink;
use serde::Serialize;
use std::collections::BTreeMap;

/// Longest page of conversations (and of a history).
pub const CONVERSATION_LIMIT_MAX: usize = 1000;

/// What `GET /api/sms/conversations` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationQuery {
    /// `active` or `closed`.
    pub status: Option<String>,
    /// Only with this person.
    pub remote_number: Option<String>,
    /// Only on this local number.
    pub local_number: Option<String>,
    /// Only carried by this modem or provider.
    pub route: Option<String>,
    /// Only with activity at or after this time.
    pub updated_since: Option<Millis>,
    /// Keyset paging: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// A reply's text: given, or from a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyRequest {
    /// The text (empty with a template).
    pub message: String,
    /// Render this template.
    pub template_id: Option<String>,
    /// Its variables.
    pub template_variables: BTreeMap<String, String>,
    /// `Idempotency-Key`: a retried request is answered with the first reply.
    pub idempotency_key: Option<String>,
    /// The caller's API key name (idempotency keys are per key).
    pub api_key: Option<String>,
}

/// What a reply became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyOutcome {
    /// The accepted message.
    #[serde(flatten)]
    pub outcome: SendOutcome,
    /// The conversation.
    pub conversation_id: i64,
    /// The route it is pinned to.
    pub route: String,
    /// Whether that is a stand-in for the conversation's own route, which is down.
    pub stand_in: bool,
    /// Whether the route is down now: the reply waits in the queue until it is back.
    pub waiting: bool,
}

/// The cursor of a page's last row: `updated_at.id`.
fn cursor_of(c: &Conversation) -> String {
    format!("{}.{}", c.updated_at, c.id)
}

fn parse_cursor(cursor: &str) -> Option<(Millis, i64)> {
    let (at, id) = cursor.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// A page of conversations and the cursor of the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationList {
    /// The page.
    #[serde(flatten)]
    pub page: ConversationPage,
    /// Pass as `cursor` for the next page (`None` on the last one).
    pub next_cursor: Option<String>,
}

impl Service {
    fn number_filter(
        &self,
        field: &str,
        value: Option<String>,
    ) -> Result<Option<String>, ServiceError> {
        match value.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(n) if n.starts_with('+') || n.bytes().all(|b| b.is_ascii_digit()) => {
                crate::phone::E164::parse_or_lenient(n, self.settings().default_region.as_deref())
                    .map(|e| Some(String::from(e)))
                    .map_err(|_| ServiceError::invalid(field, "not a phone number"))
            }
            // A route's name stands for its number while the number is unknown.
            Some(n) => Ok(Some(n.to_string())),
        }
    }

    /// Conversations, most recently active first, with the total that match.
    pub async fn conversations(
        &self,
        query: ConversationQuery,
    ) -> Result<ConversationList, ServiceError> {
        if query.limit == 0 || query.limit > CONVERSATION_LIMIT_MAX {
            return Err(ServiceError::invalid(
                "limit",
                format!("1–{CONVERSATION_LIMIT_MAX}"),
            ));
        }
        let status = match query.status.as_deref() {
            None | Some("") | Some("all") => None,
            Some(s) => Some(
                ConversationStatus::parse(s)
                    .ok_or_else(|| ServiceError::invalid("status", "active, closed or all"))?,
            ),
        };
        let before = match query.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(
                parse_cursor(c)
                    .ok_or_else(|| ServiceError::invalid("cursor", "not a cursor of this API"))?,
            ),
        };
        let filter = ConversationFilter {
            status,
            remote_number: self.number_filter("remote_number", query.remote_number)?,
            local_number: self.number_filter("local_number", query.local_number)?,
            route: query.route.filter(|r| !r.trim().is_empty()),
            updated_since: query.updated_since,
            before,
            limit: query.limit,
            offset: query.offset,
        };
        let page = self.store.conversations(filter).await?;
        let next_cursor = (page.conversations.len() == query.limit)
            .then(|| page.conversations.last().map(cursor_of))
            .flatten();
        Ok(ConversationList { page, next_cursor })
    }

    /// One conversation.
    pub async fn conversation(&self, id: i64) -> Result<Conversation, ServiceError> {
        self.store
            .conversation(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("conversation {id}")))
    }

    /// A conversation's newest `limit` messages, both directions, oldest first.
    pub async fn conversation_history(
        &self,
        id: i64,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, ServiceError> {
        if limit == 0 || limit > CONVERSATION_LIMIT_MAX {
            return Err(ServiceError::invalid(
                "limit",
                format!("1–{CONVERSATION_LIMIT_MAX}"),
            ));
        }
        self.store
            .conversation_history(id, limit)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("conversation {id}")))
    }

    /// Closes a conversation; whether it was open.
    pub async fn close_conversation(&self, id: i64) -> Result<bool, ServiceError> {
        self.store
            .close_conversation(id, self.now())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("conversation {id}")))
    }

    /// The route a reply in `conversation` goes by, whether it stands in for the
    /// conversation's own, and whether it is down now.
    fn reply_route(
        &self,
        conversation: &Conversation,
    ) -> Result<(String, bool, bool), ServiceError> {
        let own = conversation.route.clone().ok_or_else(|| {
            ServiceError::Conflict(format!(
                "conversation {} has no route to reply by",
                conversation.id
            ))
        })?;
        let routes = self.routes();
        let ready = |name: &str| routes.iter().any(|r| r.name == name && r.ready);
        let exists = |name: &str| routes.iter().any(|r| r.name == name);
        if ready(&own) {
            return Ok((own, false, false));
        }
        let stand_ins = self.settings().conversations.stand_ins(&own);
        if let Some(stand_in) = stand_ins.iter().find(|r| ready(r)) {
            return Ok((stand_in.clone(), true, false));
        }
        if exists(&own) {
            return Ok((own, false, true));
        }
        match stand_ins.into_iter().find(|r| exists(r)) {
            Some(stand_in) => Ok((stand_in, true, true)),
            None => Err(ServiceError::Conflict(format!(
                "the route {own:?} of conversation {} is no longer configured",
                conversation.id
            ))),
        }
    }

    /// Replies in conversation `id`: queued, pinned to the route the person wrote to.
    pub async fn reply(
        &self,
        id: i64,
        request: ReplyRequest,
    ) -> Result<ReplyOutcome, ServiceError> {
        let conversation = self.conversation(id).await?;
        let (route, stand_in, waiting) = self.reply_route(&conversation)?;
        let inbound_id = self.store.last_inbound_of(id).await?;
        let outcome = self
            .send(SendRequest {
                to: vec![RecipientInput {
                    number: conversation.remote_number.clone(),
                    ..RecipientInput::default()
                }],
                message: request.message,
                sms_type: SmsType::Transactional,
                sms_type_given: false,
                template_id: request.template_id,
                template_variables: request.template_variables,
                idempotency_key: request.idempotency_key,
                api_key: request.api_key,
                provider: Some(route.clone()),
                reply: Some(ReplyLink {
                    conversation_id: id,
                    inbound_id,
                }),
                ..SendRequest::default()
            })
            .await?;
        Ok(ReplyOutcome {
            outcome,
            conversation_id: id,
            route,
            stand_in,
            waiting,
        })
    }

    /// Seed 003's statistics over `[from, to)` (default: everything until now).
    pub async fn conversation_stats(
        &self,
        from: Option<Millis>,
        to: Option<Millis>,
    ) -> Result<ConversationStats, ServiceError> {
        let now = self.now();
        let (from, to) = (from.unwrap_or(0), to.unwrap_or(now.saturating_add(1)));
        if from >= to {
            return Err(ServiceError::invalid("date_to", "must be after date_from"));
        }
        Ok(self.store.conversation_stats(from, to, now).await?)
    }

    /// Closes idle conversations, removes old texts and records the numbers the modems
    /// send from; how many conversations were closed and purged.
    pub async fn conversation_upkeep(&self) -> Result<(usize, usize), ServiceError> {
        let now = self.now();
        let c = &self.settings().conversations;
        let idle = Millis::try_from(c.idle_close_secs.saturating_mul(1000)).unwrap_or(Millis::MAX);
        let purge = (c.retention_days > 0)
            .then(|| now.saturating_sub(Millis::from(c.retention_days) * 24 * 3600 * 1000));
        // Short writes, one after the other, until a pass comes back short: a day of
        // conversations going idle at once never holds the writer for long.
        let (mut closed, mut purged) = (0, 0);
        loop {
            let (c, p) = self
                .store
                .conversation_upkeep(now.saturating_sub(idle), purge, now)
                .await?;
            closed += c;
            purged += p;
            if c < crate::store::conversations::UPKEEP_CLOSE_BATCH
                && p < crate::store::conversations::UPKEEP_PURGE_BATCH
            {
                return Ok((closed, purged));
            }
            tokio::task::yield_now().await;
        }
    }

    /// Records each modem's own number (as its SIM reports it) for the conversations of
    /// its outbound messages; only changes are written (`known` remembers what was).
    pub async fn record_route_numbers(
        &self,
        known: &mut std::collections::HashMap<String, String>,
    ) -> Result<(), ServiceError> {
        for modem in self.modems.snapshot().iter() {
            let name = modem.modem().name().to_string();
            let Some(number) = modem.modem().status().identity.msisdn else {
                continue;
            };
            if known.get(&name) == Some(&number) {
                continue;
            }
            self.store
                .set_route_number(&name, &number, self.now())
                .await?;
            known.insert(name, number);
        }
        Ok(())
    }
}
