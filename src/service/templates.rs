//! SMS templates in the façade: create, read, list, update (with version history), delete,
//! preview; render one for a send, and count its uses.
//!
//! Every rule on a template's fields lives here and names the request field it concerns
//! (`content`, `variables`, `template_variables.code`); parsing and rendering are the pure
//! `crate::templates`, storage is `store::templates`. Never imports axum, SQL or AT.
//!
//! Invariants:
//! - A stored template always parses, lists exactly its placeholders in `variables` (in
//!   order of first appearance), and has a non-empty name and content of at most
//!   [`MAX_CONTENT_CHARS`] characters.
//! - Sending renders with the same function as preview: what preview shows is what send
//!   stores, and a missing variable is the same 400 in both.
//! - Only an active template renders for a send ([`Service::render_template`]); a deleted
//!   one is unknown. Preview works on inactive templates too (to check one before
//!   activating it).
//! - `usage_count` counts messages accepted with the template; an idempotent replay counts
//!   nothing.

use super::{SendRequest, Service, ServiceError};
use crate::message::{MessageType, SmsType};
use crate::store::templates::TemplateFields;
use crate::store::StoreError;
use crate::templates::{check_variables, is_valid_id, parse, MAX_CONTENT_CHARS, MAX_ID_CHARS};
use serde::Serialize;
use std::collections::BTreeMap;

pub use crate::store::templates::{
    TemplateFilter, TemplatePage, TemplateRecord, TemplateVersion, TEMPLATE_LIST_MAX,
};

/// Longest template name, in characters.
pub const MAX_TEMPLATE_NAME_CHARS: usize = 200;
/// Longest category, in characters.
pub const MAX_CATEGORY_CHARS: usize = 100;
/// How often an update computed from a version that moved on meanwhile is recomputed.
const UPDATE_ATTEMPTS: usize = 3;

/// A template to create.
#[derive(Debug, Clone, Default)]
pub struct NewTemplate {
    /// A client slug `[A-Za-z0-9_-]{1,64}`; generated (`tpl_` + 16 hex) when absent.
    pub id: Option<String>,
    /// Display name.
    pub name: String,
    /// Text with `{{variable}}` placeholders.
    pub content: String,
    /// The placeholders, if the client lists them (must match the content exactly).
    pub variables: Option<Vec<String>>,
    /// A free label to group templates by (`marketing`, `alerts`).
    pub category: Option<String>,
    /// Default SMS type of its messages.
    pub sms_type: SmsType,
    /// Whether it may be used to send.
    pub is_active: bool,
}

/// A change to a template: `None` keeps a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TemplateChange {
    /// New name.
    pub name: Option<String>,
    /// New content.
    pub content: Option<String>,
    /// New variables list (checked against the content after the change).
    pub variables: Option<Vec<String>>,
    /// New category; `Some(None)` clears it.
    pub category: Option<Option<String>>,
    /// New default SMS type.
    pub sms_type: Option<SmsType>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}

/// A template rendered for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedTemplate {
    /// The template's id.
    pub template_id: String,
    /// The version rendered.
    pub version: i64,
    /// The text to send.
    pub text: String,
    /// The template's SMS type.
    pub sms_type: SmsType,
}

/// What `preview` shows: the text and how it would be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplatePreview {
    /// The rendered text.
    pub text: String,
    /// `gsm7` or `ucs2`.
    pub encoding: String,
    /// Segments it takes.
    pub segments: usize,
    /// Characters in it.
    pub characters: usize,
    /// Variables without a value: always empty here, since a missing variable is an error
    /// (kept for the seed API's shape).
    pub missing: Vec<String>,
}

/// A template's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateHistory {
    /// The template.
    pub template_id: String,
    /// Its current version (not in `versions`).
    pub current_version: i64,
    /// The versions it replaced, newest first.
    pub versions: Vec<TemplateVersion>,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn not_found(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("template {id}"))
}

fn store_error(id: &str, e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => not_found(id),
        other => other.into(),
    }
}

/// Checks a template's fields and derives its variables from the content.
fn validated(
    name: &str,
    content: String,
    variables: Option<&[String]>,
    category: Option<String>,
    sms_type: SmsType,
    is_active: bool,
) -> Result<TemplateFields, ServiceError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "must not be empty"));
    }
    if name.chars().count() > MAX_TEMPLATE_NAME_CHARS {
        return Err(invalid(
            "name",
            format!("at most {MAX_TEMPLATE_NAME_CHARS} characters"),
        ));
    }
    super::bounds::printable("name", name)?;
    if content.trim().is_empty() {
        return Err(invalid("content", "must not be empty"));
    }
    let length = content.chars().count();
    if length > MAX_CONTENT_CHARS {
        return Err(invalid(
            "content",
            format!("{length} characters; at most {MAX_CONTENT_CHARS} are allowed"),
        ));
    }
    let parsed = parse(&content).map_err(|e| invalid("content", e.to_string()))?;
    let placeholders = parsed.placeholders();
    if let Some(given) = variables {
        check_variables(given, &placeholders).map_err(|why| invalid("variables", why))?;
    }
    let variables = placeholders.iter().map(|p| p.to_string()).collect();
    let category = match category {
        None => None,
        Some(c) if c.trim().is_empty() => {
            return Err(invalid(
                "category",
                "must not be empty (omit it, or null, for none)",
            ))
        }
        Some(c) if c.trim().chars().count() > MAX_CATEGORY_CHARS => {
            return Err(invalid(
                "category",
                format!("at most {MAX_CATEGORY_CHARS} characters"),
            ))
        }
        Some(c) => {
            super::bounds::printable("category", c.trim())?;
            Some(c.trim().to_string())
        }
    };
    Ok(TemplateFields {
        name: name.to_string(),
        content,
        variables,
        category,
        sms_type,
        is_active,
    })
}

/// Renders `template` with `values`; a missing value names `{prefix}.{name}`.
fn render(
    template: &TemplateRecord,
    values: &BTreeMap<String, String>,
    prefix: &str,
) -> Result<String, ServiceError> {
    let parsed = parse(&template.content).map_err(|e| {
        ServiceError::Internal(format!(
            "stored template {} does not parse: {e}",
            template.id
        ))
    })?;
    parsed
        .render(|name| values.get(name).map(String::as_str))
        .map_err(|missing| {
            let first = missing.first().cloned().unwrap_or_default();
            invalid(
                format!("{prefix}.{first}"),
                format!(
                    "template {} needs a value for {}",
                    template.id,
                    missing
                        .iter()
                        .map(|m| format!("{{{{{m}}}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

impl Service {
    /// Creates a template (version 1). A duplicate id is a `Conflict`.
    pub async fn create_template(&self, new: NewTemplate) -> Result<TemplateRecord, ServiceError> {
        if let Some(id) = &new.id {
            if !is_valid_id(id) {
                return Err(invalid(
                    "id",
                    format!("1–{MAX_ID_CHARS} characters of A–Z, a–z, 0–9, _ and -"),
                ));
            }
        }
        let fields = validated(
            &new.name,
            new.content,
            new.variables.as_deref(),
            new.category,
            new.sms_type,
            new.is_active,
        )?;
        let now = self.now();
        let Some(id) = new.id else {
            // 64 random bits: a collision is improbable; try again once if it happens.
            let mut last = None;
            for _ in 0..2 {
                let id = format!("tpl_{}", hex::encode(rand::random::<[u8; 8]>()));
                match self.store.create_template(&id, fields.clone(), now).await {
                    Err(StoreError::Conflict(why)) => last = Some(why),
                    other => return other.map_err(|e| store_error(&id, e)),
                }
            }
            return Err(ServiceError::Internal(last.unwrap_or_default()));
        };
        self.store
            .create_template(&id, fields, now)
            .await
            .map_err(|e| store_error(&id, e))
    }

    /// Template `id`.
    pub async fn template(&self, id: &str) -> Result<TemplateRecord, ServiceError> {
        self.store.template(id).await?.ok_or_else(|| not_found(id))
    }

    /// Templates matching `filter` (limit 1 ..= [`TEMPLATE_LIST_MAX`]), newest first.
    pub async fn templates(&self, filter: TemplateFilter) -> Result<TemplatePage, ServiceError> {
        if filter.limit == 0 || filter.limit > TEMPLATE_LIST_MAX {
            return Err(invalid("limit", format!("1–{TEMPLATE_LIST_MAX}")));
        }
        Ok(self.store.templates(filter).await?)
    }

    /// Changes template `id`. A change that changes something keeps the previous version
    /// in the history and bumps `version`; one that changes nothing returns it as it is.
    pub async fn update_template(
        &self,
        id: &str,
        change: TemplateChange,
    ) -> Result<TemplateRecord, ServiceError> {
        for _ in 0..UPDATE_ATTEMPTS {
            let current = self.template(id).await?;
            let fields = validated(
                change.name.as_deref().unwrap_or(&current.name),
                change.content.clone().unwrap_or(current.content.clone()),
                change.variables.as_deref(),
                change.category.clone().unwrap_or(current.category.clone()),
                change.sms_type.unwrap_or(current.sms_type),
                change.is_active.unwrap_or(current.is_active),
            )?;
            match self
                .store
                .update_template(id, current.version, fields, self.now())
                .await
            {
                // Another update won the race: recompute from the version it made.
                Err(StoreError::Conflict(_)) => continue,
                other => return other.map_err(|e| store_error(id, e)),
            }
        }
        Err(ServiceError::Conflict(format!(
            "template {id} is being changed concurrently; try again"
        )))
    }

    /// Deletes template `id` and its history; it can no longer be used to send.
    pub async fn delete_template(&self, id: &str) -> Result<(), ServiceError> {
        if self.store.delete_template(id).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// The versions template `id` replaced, newest first.
    pub async fn template_versions(&self, id: &str) -> Result<TemplateHistory, ServiceError> {
        // Two reads: the history of a template deleted in between is simply not found.
        let current = self.template(id).await?;
        let versions = self
            .store
            .template_versions(id)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(TemplateHistory {
            template_id: current.id,
            current_version: current.version,
            versions,
        })
    }

    /// Renders template `id` with `variables` (errors name `variables.<name>`) and counts
    /// its segments as a send with `message_type` would. Works on inactive templates.
    pub async fn preview_template(
        &self,
        id: &str,
        variables: &BTreeMap<String, String>,
        message_type: MessageType,
    ) -> Result<TemplatePreview, ServiceError> {
        if message_type == MessageType::Binary {
            return Err(invalid(
                "message_type",
                "a template renders text; binary messages cannot use one",
            ));
        }
        let template = self.template(id).await?;
        let text = render(&template, variables, "variables")?;
        let info = self.segments(&text, message_type).map_err(|e| match e {
            ServiceError::Invalid { reason, .. } => invalid("variables", reason),
            other => other,
        })?;
        Ok(TemplatePreview {
            encoding: info.encoding.name().to_string(),
            segments: info.segments,
            characters: info.characters,
            text,
            missing: Vec::new(),
        })
    }

    /// Renders active template `id` for sending. An unknown or inactive template is
    /// `Invalid` naming `template_id`; a missing variable names
    /// `template_variables.<name>`. Extra variables are ignored.
    pub async fn render_template(
        &self,
        id: &str,
        variables: &BTreeMap<String, String>,
    ) -> Result<RenderedTemplate, ServiceError> {
        let template = self
            .store
            .template(id)
            .await?
            .ok_or_else(|| invalid("template_id", format!("no template {id:?}")))?;
        if !template.is_active {
            return Err(invalid("template_id", format!("template {id} is inactive")));
        }
        let text = render(&template, variables, "template_variables")?;
        Ok(RenderedTemplate {
            template_id: template.id,
            version: template.version,
            text,
            sms_type: template.sms_type,
        })
    }

    /// Counts one message accepted with template `id` (`NotFound` if it is gone).
    pub async fn record_template_use(&self, id: &str) -> Result<(), ServiceError> {
        if self.store.record_template_use(id, 1, self.now()).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// `send`'s template step: with `template_id` set, renders it into `message` (which
    /// must be empty) and, unless the caller chose one, takes the template's SMS type.
    /// Returns the template id to count once the messages are accepted.
    pub(super) async fn apply_template(
        &self,
        request: &mut SendRequest,
    ) -> Result<Option<String>, ServiceError> {
        let Some(id) = request.template_id.clone() else {
            if !request.template_variables.is_empty() {
                return Err(invalid("template_variables", "given without template_id"));
            }
            return Ok(None);
        };
        if !request.message.is_empty() {
            return Err(invalid("message", "give message or template_id, not both"));
        }
        if request.message_type == MessageType::Binary {
            return Err(invalid(
                "message_type",
                "a template renders text; binary messages cannot use one",
            ));
        }
        let rendered = self
            .render_template(&id, &request.template_variables)
            .await?;
        // Too long or empty after rendering: the caller's template_id / variables are at
        // fault, not a `message` they never sent.
        let field = if request.template_variables.is_empty() {
            "template_id"
        } else {
            "template_variables"
        };
        if rendered.text.is_empty() {
            return Err(invalid(field, "the rendered text is empty"));
        }
        let info = self
            .segments(&rendered.text, request.message_type)
            .map_err(|e| match e {
                ServiceError::Invalid { reason, .. } => invalid(field, reason),
                other => other,
            })?;
        if info.segments > self.settings().max_segments {
            return Err(invalid(
                field,
                format!(
                    "the rendered text needs {} segments; at most {} are allowed",
                    info.segments,
                    self.settings().max_segments
                ),
            ));
        }
        if !request.sms_type_given {
            request.sms_type = rendered.sms_type;
        }
        request.message = rendered.text;
        Ok(Some(rendered.template_id))
    }

    /// After an accept: counts `messages` uses of the template. The messages are already
    /// durable, so a failure here is logged, not returned.
    pub(super) async fn count_template_use(&self, id: Option<&str>, messages: usize) {
        let Some(id) = id else {
            return;
        };
        let messages = u64::try_from(messages).unwrap_or(u64::MAX);
        match self
            .store
            .record_template_use(id, messages, self.now())
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::info!(template = id, "template deleted while sending with it"),
            Err(e) => tracing::warn!(template = id, error = %e, "could not count template use"),
        }
    }
}
