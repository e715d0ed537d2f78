//! SMS templates in the store: the current version of each template, the history of the
//! versions it replaced, and its usage count.
//!
//! Owns the tables `templates` and `template_versions` (migration 0004). Stores what it is
//! given: parsing and the rules on content, ids and variables live in `crate::templates`
//! and `service::templates`. Never imports anything above `message`.
//!
//! Invariants:
//! - **A version is never lost.** An update that changes anything writes the replaced
//!   version to `template_versions` and bumps `version` by one, in one transaction; an
//!   update that changes nothing writes nothing.
//! - **No lost update.** An update names the version it was computed from; if the template
//!   moved on meanwhile it is refused with [`StoreError::Conflict`] and nothing is written.
//! - Deleting a template deletes its history (`ON DELETE CASCADE`); its id may be reused.
//! - Lists are newest first (`created_at DESC, id`), never longer than
//!   [`TEMPLATE_LIST_MAX`]; filters are bound parameters, never SQL text.

use super::sql::{params, Connection, OptionalExtension, Row};
use super::types::{parse_sms_type, StoreError};
use super::{writer, Store};
use crate::message::{Millis, SmsType};
use serde::Serialize;

/// Longest page of templates.
pub const TEMPLATE_LIST_MAX: usize = 500;

/// What one version of a template consists of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFields {
    /// Display name.
    pub name: String,
    /// Text with `{{variable}}` placeholders.
    pub content: String,
    /// The placeholders, in order of first appearance.
    pub variables: Vec<String>,
    /// Free-form grouping (`onboarding`).
    pub category: Option<String>,
    /// The SMS type messages sent with it get by default.
    pub sms_type: SmsType,
    /// Whether it may be used to send.
    pub is_active: bool,
}

/// A template as stored: its current version and its counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateRecord {
    /// The id (a client slug or `tpl_…`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Text with `{{variable}}` placeholders.
    pub content: String,
    /// The placeholders.
    pub variables: Vec<String>,
    /// A free label to group templates by (`marketing`, `alerts`).
    pub category: Option<String>,
    /// Default SMS type of its messages.
    pub sms_type: SmsType,
    /// Whether it may be used to send.
    pub is_active: bool,
    /// 1 when created, + 1 per update that changed something.
    pub version: i64,
    /// Messages accepted with it.
    pub usage_count: i64,
    /// Creation (Unix ms).
    pub created_at: Millis,
    /// When the current version was made (Unix ms).
    pub updated_at: Millis,
    /// When a message was last accepted with it.
    pub last_used_at: Option<Millis>,
}

impl TemplateRecord {
    /// The versioned part.
    pub fn fields(&self) -> TemplateFields {
        TemplateFields {
            name: self.name.clone(),
            content: self.content.clone(),
            variables: self.variables.clone(),
            category: self.category.clone(),
            sms_type: self.sms_type,
            is_active: self.is_active,
        }
    }
}

/// A version an update replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateVersion {
    /// Its number.
    pub version: i64,
    /// Display name then.
    pub name: String,
    /// Content then.
    pub content: String,
    /// Placeholders then.
    pub variables: Vec<String>,
    /// Category then.
    pub category: Option<String>,
    /// SMS type then.
    pub sms_type: SmsType,
    /// Active then.
    pub is_active: bool,
    /// When this version was made.
    pub created_at: Millis,
    /// When the next version replaced it.
    pub replaced_at: Millis,
}

/// Which templates to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only this SMS type.
    pub sms_type: Option<SmsType>,
    /// Only active (or only inactive) ones.
    pub is_active: Option<bool>,
    /// Page size (capped at [`TEMPLATE_LIST_MAX`]).
    pub limit: usize,
    /// Rows to skip.
    pub offset: usize,
}

impl Default for TemplateFilter {
    fn default() -> Self {
        Self {
            category: None,
            sms_type: None,
            is_active: None,
            limit: 50,
            offset: 0,
        }
    }
}

/// One page of a template list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplatePage {
    /// The page, newest first.
    pub templates: Vec<TemplateRecord>,
    /// How many match the filter in all.
    pub total: u64,
}

const COLUMNS: &str = "id, name, content, variables, category, sms_type, is_active, version,
    usage_count, created_at, updated_at, last_used_at";

fn variables_json(variables: &[String]) -> String {
    serde_json::Value::from(variables.to_vec()).to_string()
}

fn parse_variables(json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Sqlite(format!("template variables {json:?}: {e}")))
}

/// Reads a row of [`COLUMNS`]; the text columns are parsed by [`RawRecord::parse`].
struct RawRecord {
    record: TemplateRecord,
    variables: String,
    sms_type: String,
}

fn record_from_row(r: &Row<'_>) -> super::sql::Result<RawRecord> {
    Ok(RawRecord {
        record: TemplateRecord {
            id: r.get(0)?,
            name: r.get(1)?,
            content: r.get(2)?,
            variables: Vec::new(),
            category: r.get(4)?,
            sms_type: SmsType::Transactional,
            is_active: r.get(6)?,
            version: r.get(7)?,
            usage_count: r.get(8)?,
            created_at: r.get(9)?,
            updated_at: r.get(10)?,
            last_used_at: r.get(11)?,
        },
        variables: r.get(3)?,
        sms_type: r.get(5)?,
    })
}

impl RawRecord {
    fn parse(self) -> Result<TemplateRecord, StoreError> {
        Ok(TemplateRecord {
            variables: parse_variables(&self.variables)?,
            sms_type: parse_sms_type(&self.sms_type)?,
            ..self.record
        })
    }
}

fn get(conn: &Connection, id: &str) -> Result<Option<TemplateRecord>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM templates WHERE id = ?1"))?
        .query_row([id], record_from_row)
        .optional()?
        .map(RawRecord::parse)
        .transpose()
}

fn create(
    conn: &Connection,
    id: &str,
    fields: &TemplateFields,
    now: Millis,
) -> Result<TemplateRecord, StoreError> {
    if get(conn, id)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "template {id} already exists"
        )));
    }
    conn.prepare_cached(
        "INSERT INTO templates (id, name, content, variables, category, sms_type, is_active,
                                version, usage_count, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, 0, ?8, ?8)",
    )?
    .execute(params![
        id,
        fields.name,
        fields.content,
        variables_json(&fields.variables),
        fields.category,
        fields.sms_type.as_str(),
        fields.is_active,
        now
    ])?;
    get(conn, id)?.ok_or(StoreError::NotFound)
}

fn update(
    conn: &Connection,
    id: &str,
    expected_version: i64,
    fields: &TemplateFields,
    now: Millis,
) -> Result<TemplateRecord, StoreError> {
    let current = get(conn, id)?.ok_or(StoreError::NotFound)?;
    if current.version != expected_version {
        return Err(StoreError::Conflict(format!(
            "template {id} changed meanwhile (now version {})",
            current.version
        )));
    }
    if current.fields() == *fields {
        return Ok(current);
    }
    conn.prepare_cached(
        "INSERT INTO template_versions (template_id, version, name, content, variables,
                                        category, sms_type, is_active, created_at, replaced_at)
         SELECT id, version, name, content, variables, category, sms_type, is_active,
                updated_at, ?2
         FROM templates WHERE id = ?1",
    )?
    .execute(params![id, now])?;
    conn.prepare_cached(
        "UPDATE templates SET name = ?2, content = ?3, variables = ?4, category = ?5,
                              sms_type = ?6, is_active = ?7, version = version + 1,
                              updated_at = ?8
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        fields.name,
        fields.content,
        variables_json(&fields.variables),
        fields.category,
        fields.sms_type.as_str(),
        fields.is_active,
        now
    ])?;
    get(conn, id)?.ok_or(StoreError::NotFound)
}

fn list(conn: &Connection, filter: &TemplateFilter) -> Result<TemplatePage, StoreError> {
    const WHERE: &str = "(category = ?1 OR ?1 IS NULL) AND (sms_type = ?2 OR ?2 IS NULL)
                         AND (is_active = ?3 OR ?3 IS NULL)";
    let sms_type = filter.sms_type.map(SmsType::as_str);
    let limit = i64::try_from(filter.limit.min(TEMPLATE_LIST_MAX)).unwrap_or(0);
    let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM templates WHERE {WHERE}"))?
        .query_row(params![filter.category, sms_type, filter.is_active], |r| {
            r.get(0)
        })?;
    let templates = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM templates WHERE {WHERE}
             ORDER BY created_at DESC, id LIMIT ?4 OFFSET ?5"
        ))?
        .query_map(
            params![filter.category, sms_type, filter.is_active, limit, offset],
            record_from_row,
        )?
        .map(|raw| raw.map_err(StoreError::from).and_then(RawRecord::parse))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TemplatePage {
        templates,
        total: u64::try_from(total).unwrap_or(0),
    })
}

fn versions(conn: &Connection, id: &str) -> Result<Option<Vec<TemplateVersion>>, StoreError> {
    if get(conn, id)?.is_none() {
        return Ok(None);
    }
    let rows = conn
        .prepare_cached(
            "SELECT version, name, content, variables, category, sms_type, is_active,
                    created_at, replaced_at
             FROM template_versions WHERE template_id = ?1 ORDER BY version DESC",
        )?
        .query_map([id], |r| {
            Ok((
                TemplateVersion {
                    version: r.get(0)?,
                    name: r.get(1)?,
                    content: r.get(2)?,
                    variables: Vec::new(),
                    category: r.get(4)?,
                    sms_type: SmsType::Transactional,
                    is_active: r.get(6)?,
                    created_at: r.get(7)?,
                    replaced_at: r.get(8)?,
                },
                r.get::<_, String>(3)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .map(|row| {
            let (version, variables, sms_type) = row?;
            Ok(TemplateVersion {
                variables: parse_variables(&variables)?,
                sms_type: parse_sms_type(&sms_type)?,
                ..version
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(rows))
}

impl Store {
    /// Creates template `id` at version 1; [`StoreError::Conflict`] if the id exists.
    pub async fn create_template(
        &self,
        id: &str,
        fields: TemplateFields,
        now: Millis,
    ) -> Result<TemplateRecord, StoreError> {
        let id = id.to_owned();
        writer::write(&self.writer, move |c| create(c, &id, &fields, now)).await
    }

    /// Template `id`, if it exists.
    pub async fn template(&self, id: &str) -> Result<Option<TemplateRecord>, StoreError> {
        let id = id.to_owned();
        writer::read(&self.reader, move |c| get(c, &id)).await
    }

    /// A page of templates matching `filter`, newest first, and how many match in all.
    pub async fn templates(&self, filter: TemplateFilter) -> Result<TemplatePage, StoreError> {
        writer::read(&self.reader, move |c| list(c, &filter)).await
    }

    /// Replaces template `id`'s fields, if it is still at `expected_version`: the replaced
    /// version goes to the history and `version` grows by one. Fields equal to the current
    /// ones change nothing. [`StoreError::NotFound`], or [`StoreError::Conflict`] when the
    /// template moved on.
    pub async fn update_template(
        &self,
        id: &str,
        expected_version: i64,
        fields: TemplateFields,
        now: Millis,
    ) -> Result<TemplateRecord, StoreError> {
        let id = id.to_owned();
        writer::write(&self.writer, move |c| {
            update(c, &id, expected_version, &fields, now)
        })
        .await
    }

    /// Deletes template `id` and its history; false if there was none.
    pub async fn delete_template(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        writer::write(&self.writer, move |c| {
            Ok(c.prepare_cached("DELETE FROM templates WHERE id = ?1")?
                .execute([&id])?
                > 0)
        })
        .await
    }

    /// The versions template `id` replaced, newest first (`None`: no such template).
    pub async fn template_versions(
        &self,
        id: &str,
    ) -> Result<Option<Vec<TemplateVersion>>, StoreError> {
        let id = id.to_owned();
        writer::read(&self.reader, move |c| versions(c, &id)).await
    }

    /// Counts `messages` more messages accepted with template `id`; false if there is no
    /// such template (any more).
    pub async fn record_template_use(
        &self,
        id: &str,
        messages: u64,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let messages = i64::try_from(messages).unwrap_or(i64::MAX);
        writer::write(&self.writer, move |c| {
            Ok(c.prepare_cached(
                "UPDATE templates SET usage_count = usage_count + ?2, last_used_at = ?3
                 WHERE id = ?1",
            )?
            .execute(params![id, messages, now])?
                > 0)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(content: &str, variables: &[&str]) -> TemplateFields {
        TemplateFields {
            name: "Welcome".into(),
            content: content.into(),
            variables: variables.iter().map(|v| v.to_string()).collect(),
            category: Some("onboarding".into()),
            sms_type: SmsType::Transactional,
            is_active: true,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn create_update_history_use_and_delete() {
        let store = Store::open_memory().await.unwrap();
        let created = store
            .create_template("welcome", fields("Hi {{name}}", &["name"]), 1_000)
            .await
            .unwrap();
        assert_eq!(created.version, 1);
        assert_eq!(created.variables, vec!["name"]);
        assert_eq!((created.created_at, created.updated_at), (1_000, 1_000));
        assert!(matches!(
            store
                .create_template("welcome", fields("x", &[]), 1_001)
                .await,
            Err(StoreError::Conflict(_))
        ));

        // Nothing changed: no new version.
        let same = store
            .update_template("welcome", 1, created.fields(), 1_500)
            .await
            .unwrap();
        assert_eq!(same, created);

        let v2 = store
            .update_template("welcome", 1, fields("Hello {{name}}", &["name"]), 2_000)
            .await
            .unwrap();
        assert_eq!(
            (v2.version, v2.updated_at, v2.created_at),
            (2, 2_000, 1_000)
        );
        // An update computed from version 1 is refused now.
        assert!(matches!(
            store
                .update_template("welcome", 1, fields("stale", &[]), 2_500)
                .await,
            Err(StoreError::Conflict(_))
        ));
        let mut inactive = fields("Hey {{ name }}", &["name"]);
        inactive.is_active = false;
        inactive.category = None;
        let v3 = store
            .update_template("welcome", 2, inactive, 3_000)
            .await
            .unwrap();
        assert_eq!(v3.version, 3);
        assert!(!v3.is_active);
        assert_eq!(v3.category, None);

        let history = store.template_versions("welcome").await.unwrap().unwrap();
        let summary: Vec<(i64, &str, Millis, Millis)> = history
            .iter()
            .map(|v| (v.version, v.content.as_str(), v.created_at, v.replaced_at))
            .collect();
        assert_eq!(
            summary,
            vec![
                (2, "Hello {{name}}", 2_000, 3_000),
                (1, "Hi {{name}}", 1_000, 2_000)
            ]
        );

        assert!(store
            .record_template_use("welcome", 3, 4_000)
            .await
            .unwrap());
        assert!(!store.record_template_use("nope", 1, 4_000).await.unwrap());
        let used = store.template("welcome").await.unwrap().unwrap();
        assert_eq!((used.usage_count, used.last_used_at), (3, Some(4_000)));
        assert_eq!(used.version, 3, "use is not a new version");

        assert!(matches!(
            store
                .update_template("nope", 1, fields("x", &[]), 5_000)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(store.delete_template("welcome").await.unwrap());
        assert!(!store.delete_template("welcome").await.unwrap());
        assert_eq!(store.template("welcome").await.unwrap(), None);
        assert_eq!(store.template_versions("welcome").await.unwrap(), None);
        // The id is free again, with a fresh history.
        let again = store
            .create_template("welcome", fields("new", &[]), 6_000)
            .await
            .unwrap();
        assert_eq!(again.version, 1);
        assert_eq!(
            store.template_versions("welcome").await.unwrap(),
            Some(vec![])
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lists_filter_count_and_page_newest_first() {
        let store = Store::open_memory().await.unwrap();
        for i in 0..6i64 {
            let mut f = fields("x", &[]);
            f.category = Some(if i % 2 == 0 { "even" } else { "odd" }.into());
            f.sms_type = if i < 3 {
                SmsType::Promotional
            } else {
                SmsType::Otp
            };
            f.is_active = i != 4;
            store
                .create_template(&format!("t{i}"), f, 1_000 + i)
                .await
                .unwrap();
        }
        let ids = |page: &TemplatePage| -> Vec<String> {
            page.templates.iter().map(|t| t.id.clone()).collect()
        };
        let all = store.templates(TemplateFilter::default()).await.unwrap();
        assert_eq!(ids(&all), vec!["t5", "t4", "t3", "t2", "t1", "t0"]);
        assert_eq!(all.total, 6);
        let even = store
            .templates(TemplateFilter {
                category: Some("even".into()),
                ..TemplateFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (ids(&even), even.total),
            (vec!["t4".into(), "t2".into(), "t0".into()], 3)
        );
        let otp_active = store
            .templates(TemplateFilter {
                sms_type: Some(SmsType::Otp),
                is_active: Some(true),
                ..TemplateFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(ids(&otp_active), vec!["t5", "t3"]);
        let page = store
            .templates(TemplateFilter {
                limit: 2,
                offset: 1,
                ..TemplateFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (ids(&page), page.total),
            (vec!["t4".into(), "t3".into()], 6)
        );
    }
}
