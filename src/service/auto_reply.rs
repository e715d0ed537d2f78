//! Automatic replies at the façade: the rules API (`/api/auto-replies`: the config's
//! `[[auto_reply]]` rules read-only, the stored ones editable) and the [`ReplySink`] the
//! worker (`crate::inbound::auto_reply`) queues its replies through.
//!
//! Validation of a rule happens here and names the field (`pattern`, `match`, `text`,
//! `template_id`, `modem`); a regex is compiled with the worker's size limit before it is
//! stored. Never imports axum or SQL.
//!
//! Invariant: a reply goes through [`Service::send`] like any message — transactional,
//! pinned to the route that received the message, linked to its conversation and inbound
//! message, and under the idempotency key of that inbound message, so it is queued at most
//! once whatever happens between the enqueue and the worker's bookkeeping.

use super::{RecipientInput, SendRequest, Service, ServiceError};
use crate::config::{compile_pattern, AutoReplyRuleConfig};
use crate::inbound::auto_reply::{
    config_kind, reply_key, BoxFuture, ReplyOutcome, ReplyRequest, ReplySink, REPLY_SCOPE,
};
use crate::message::{Millis, SmsType};
use crate::store::auto_reply::{MatchKind, NewRule, Rule};
use crate::store::types::ReplyLink;
use crate::store::StoreError;
use serde::Serialize;

/// Longest rule name, reply text or number accepted.
const NAME_MAX: usize = 100;
const TEXT_MAX: usize = 1_600;

/// A rule as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutoReplyRuleView {
    /// The stored rule's id (a number), or `config:<name>` for a config rule.
    pub id: serde_json::Value,
    /// `api` (editable) or `config` (read-only: edit the file).
    pub source: &'static str,
    /// Its name.
    pub name: String,
    /// `keyword`, `prefix` or `regex`.
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
    /// The pattern.
    pub pattern: String,
    /// Only for this modem or provider.
    pub modem: Option<String>,
    /// Only for this local number.
    pub local_number: Option<String>,
    /// The template it answers with…
    pub template_id: Option<String>,
    /// …or the text.
    pub text: Option<String>,
    /// Lower first.
    pub priority: i64,
    /// Whether it applies.
    pub enabled: bool,
    /// When it was created (stored rules).
    pub created_at: Option<Millis>,
    /// When it was last changed (stored rules).
    pub updated_at: Option<Millis>,
}

impl From<Rule> for AutoReplyRuleView {
    fn from(r: Rule) -> Self {
        Self {
            id: r.id.into(),
            source: "api",
            name: r.rule.name,
            match_kind: r.rule.match_kind,
            pattern: r.rule.pattern,
            modem: r.rule.route,
            local_number: r.rule.local_number,
            template_id: r.rule.template_id,
            text: r.rule.reply_text,
            priority: r.rule.priority,
            enabled: r.rule.enabled,
            created_at: Some(r.created_at),
            updated_at: Some(r.updated_at),
        }
    }
}

fn config_view(r: &AutoReplyRuleConfig) -> AutoReplyRuleView {
    AutoReplyRuleView {
        id: format!("config:{}", r.name).into(),
        source: "config",
        name: r.name.clone(),
        match_kind: config_kind(r.match_kind),
        pattern: r.pattern.clone(),
        modem: r.modem.clone(),
        local_number: r.local_number.clone(),
        template_id: r.template_id.clone(),
        text: r.text.clone(),
        priority: r.priority,
        enabled: true,
        created_at: None,
        updated_at: None,
    }
}

/// A rule as the API receives it (create, or replace).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoReplyRuleInput {
    /// Its name.
    pub name: String,
    /// `keyword`, `prefix` or `regex`.
    pub match_kind: String,
    /// The pattern.
    pub pattern: String,
    /// Only for this modem or provider.
    pub modem: Option<String>,
    /// Only for this local number.
    pub local_number: Option<String>,
    /// Answer with this template…
    pub template_id: Option<String>,
    /// …or this text.
    pub text: Option<String>,
    /// Lower first (0).
    pub priority: Option<i64>,
    /// Whether it applies (true).
    pub enabled: Option<bool>,
}

fn invalid(field: &str, reason: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn not_found(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("automatic-reply rule {id}"))
}

/// The stored rule `id` names (`None`: not a stored rule's id).
fn stored_id(id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|n| *n > 0)
}

impl Service {
    /// Every rule in the order the worker tries them: by priority, config rules first at
    /// equal priority.
    pub async fn auto_reply_rules(&self) -> Result<Vec<AutoReplyRuleView>, ServiceError> {
        let stored = self.store.auto_reply_rules().await?;
        let mut all: Vec<(i64, u8, AutoReplyRuleView)> = self
            .settings()
            .auto_reply_rules
            .iter()
            .map(|r| (r.priority, 0, config_view(r)))
            .collect();
        all.extend(
            stored
                .into_iter()
                .map(|r| (r.rule.priority, 1, AutoReplyRuleView::from(r))),
        );
        // Stable: file order and id order survive within a priority.
        all.sort_by_key(|(priority, source, _)| (*priority, *source));
        Ok(all.into_iter().map(|(_, _, view)| view).collect())
    }

    /// One rule: a number for a stored rule, `config:<name>` for a config rule.
    pub async fn auto_reply_rule(&self, id: &str) -> Result<AutoReplyRuleView, ServiceError> {
        if let Some(name) = id.strip_prefix("config:") {
            return self
                .settings()
                .auto_reply_rules
                .iter()
                .find(|r| r.name == name)
                .map(config_view)
                .ok_or_else(|| not_found(id));
        }
        let n = stored_id(id).ok_or_else(|| not_found(id))?;
        self.store
            .auto_reply_rule(n)
            .await?
            .map(AutoReplyRuleView::from)
            .ok_or_else(|| not_found(id))
    }

    /// Validates and stores a new rule.
    pub async fn create_auto_reply_rule(
        &self,
        input: AutoReplyRuleInput,
    ) -> Result<AutoReplyRuleView, ServiceError> {
        let rule = self.validate_rule(input).await?;
        Ok(self
            .store
            .auto_reply_rule_insert(rule, self.now())
            .await?
            .into())
    }

    /// Replaces stored rule `id` (config rules are read-only: 409).
    pub async fn update_auto_reply_rule(
        &self,
        id: &str,
        input: AutoReplyRuleInput,
    ) -> Result<AutoReplyRuleView, ServiceError> {
        let n = self.editable(id)?;
        let rule = self.validate_rule(input).await?;
        match self.store.auto_reply_rule_update(n, rule, self.now()).await {
            Ok(rule) => Ok(rule.into()),
            Err(StoreError::NotFound) => Err(not_found(id)),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes stored rule `id` (config rules are read-only: 409).
    pub async fn delete_auto_reply_rule(&self, id: &str) -> Result<(), ServiceError> {
        let n = self.editable(id)?;
        if self.store.auto_reply_rule_delete(n).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    fn editable(&self, id: &str) -> Result<i64, ServiceError> {
        if id.starts_with("config:") {
            return Err(ServiceError::Conflict(format!(
                "rule {id} comes from the config file ([[auto_reply]]); change it there"
            )));
        }
        stored_id(id).ok_or_else(|| not_found(id))
    }

    async fn validate_rule(&self, input: AutoReplyRuleInput) -> Result<NewRule, ServiceError> {
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            return Err(invalid(
                "name",
                format!("must be 1 to {NAME_MAX} characters"),
            ));
        }
        let match_kind = MatchKind::parse(&input.match_kind)
            .ok_or_else(|| invalid("match", "must be keyword, prefix or regex"))?;
        if input.pattern.trim().is_empty() {
            return Err(invalid("pattern", "must not be empty"));
        }
        // Compiled now, with the worker's limits: a pattern that is stored works.
        match match_kind {
            MatchKind::Regex => {
                compile_pattern(&input.pattern).map_err(|e| invalid("pattern", e))?;
            }
            MatchKind::Keyword | MatchKind::Prefix => {
                if input.pattern.chars().count() > crate::config::PATTERN_MAX {
                    return Err(invalid(
                        "pattern",
                        format!("longer than {} characters", crate::config::PATTERN_MAX),
                    ));
                }
            }
        }
        if let Some(route) = &input.modem {
            let name = crate::config::canonical_provider(route);
            if !self.has_route(name) {
                let known = self.route_names();
                return Err(invalid(
                    "modem",
                    format!("no route named {route:?}; routes: {}", known.join(", ")),
                ));
            }
        }
        if input
            .local_number
            .as_ref()
            .is_some_and(|n| n.trim().is_empty() || n.len() > 64)
        {
            return Err(invalid("local_number", "must be 1 to 64 characters"));
        }
        match (&input.text, &input.template_id) {
            (Some(_), Some(_)) => {
                return Err(invalid("text", "give text or template_id, not both"));
            }
            (None, None) => return Err(invalid("text", "give text or template_id")),
            (Some(text), None) => {
                if text.trim().is_empty() || text.chars().count() > TEXT_MAX {
                    return Err(invalid(
                        "text",
                        format!("must be 1 to {TEXT_MAX} characters"),
                    ));
                }
            }
            (None, Some(id)) => {
                if let Err(ServiceError::NotFound(_)) = self.template(id).await {
                    return Err(invalid("template_id", format!("no template {id:?}")));
                }
            }
        }
        Ok(NewRule {
            name,
            match_kind,
            pattern: input.pattern,
            route: input
                .modem
                .map(|m| crate::config::canonical_provider(&m).to_string()),
            local_number: input.local_number,
            template_id: input.template_id,
            reply_text: input.text,
            priority: input.priority.unwrap_or(0),
            enabled: input.enabled.unwrap_or(true),
        })
    }
}

impl ReplySink for Service {
    fn send_reply(&self, reply: ReplyRequest) -> BoxFuture<'_, Result<ReplyOutcome, String>> {
        Box::pin(async move {
            // Variables only go with a template (alone they are refused as a mistake).
            let variables = if reply.template_id.is_some() {
                reply.variables
            } else {
                Default::default()
            };
            let request = SendRequest {
                to: vec![RecipientInput {
                    number: reply.to.clone(),
                    ..RecipientInput::default()
                }],
                message: reply.text.unwrap_or_default(),
                template_id: reply.template_id,
                template_variables: variables,
                sms_type: SmsType::Transactional,
                sms_type_given: true,
                provider: Some(reply.route),
                reply: Some(ReplyLink {
                    conversation_id: reply.conversation_id,
                    inbound_id: Some(reply.inbound_id),
                }),
                idempotency_key: Some(reply_key(reply.inbound_id)),
                api_key: Some(REPLY_SCOPE.to_string()),
                batch_name: Some(format!("auto-reply:{}", reply.kind.as_str())),
                ..SendRequest::default()
            };
            match self.send(request).await {
                Ok(outcome) => match (outcome.messages.first(), outcome.rejected.first()) {
                    (Some(message), _) => Ok(ReplyOutcome::Queued(message.id.0)),
                    (None, Some(rejected)) => Ok(ReplyOutcome::Refused(rejected.code.to_string())),
                    (None, None) => Ok(ReplyOutcome::Refused("nothing_accepted".into())),
                },
                // The request itself is wrong (a template gone, a route removed): asking
                // again would not help.
                Err(ServiceError::Invalid { field, .. }) => {
                    Ok(ReplyOutcome::Refused(format!("invalid_{field}")))
                }
                Err(ServiceError::Refused { code, .. }) => Ok(ReplyOutcome::Refused(code.into())),
                Err(ServiceError::RateLimited { scope, .. }) => {
                    Ok(ReplyOutcome::Refused(format!("rate_limited_{scope}")))
                }
                Err(e) => Err(e.to_string()),
            }
        })
    }
}
