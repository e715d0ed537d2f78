//! Request and response bodies of the SMS endpoints, in the shapes of the seed API
//! (`shared/seeds/004`), and their conversion to the service's types.

use super::error::ApiError;
use crate::message::{parse_rfc3339, MessageType, Millis, RawJson, SmsType};
use crate::service::{CallbackFormat, RecipientInput, SendRequest};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `to`: a list of `{number, country_code?, name?}`, a list of strings, or one string.
#[derive(Debug)]
pub enum Recipients {
    /// `"+49151…"`
    One(String),
    /// `["+49151…", {"number": "…"}]`
    Many(Vec<RecipientDto>),
}

/// `to` as the deserializer above reads it: a string, or a list of strings and objects.
impl utoipa::PartialSchema for Recipients {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder};
        OneOfBuilder::new()
            .item(<String as utoipa::PartialSchema>::schema())
            .item(ArrayBuilder::new().items(<RecipientDto as utoipa::PartialSchema>::schema()))
            .description(Some(
                "One number, or a list of numbers and recipient objects",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Recipients {}

/// A recipient as the deserializer below reads it: a string or `{number, country_code?, name?}`.
impl utoipa::PartialSchema for RecipientDto {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let text = || ObjectBuilder::new().schema_type(Type::String);
        OneOfBuilder::new()
            .item(text())
            .item(
                ObjectBuilder::new()
                    .property("number", text())
                    .property(
                        "country_code",
                        text().description(Some("ISO region of a national number")),
                    )
                    .property("name", text())
                    .required("number"),
            )
            .into()
    }
}

impl utoipa::ToSchema for RecipientDto {}

/// One recipient: a string or an object.
#[derive(Debug)]
pub enum RecipientDto {
    /// `"+49151…"`
    Number(String),
    /// `{"number": "…", "country_code": "DE", "name": "…"}`
    Full {
        /// The number.
        number: String,
        /// ISO region for a national number.
        country_code: Option<String>,
        /// Display name.
        name: Option<String>,
    },
}

// Hand-written rather than `#[serde(untagged)]`, whose error ("data did not match any
// variant") tells a caller nothing about what to send instead.
impl<'de> Deserialize<'de> for Recipients {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Recipients::One(s)),
            serde_json::Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| RecipientDto::from_value(item).map_err(|m| D::Error::custom(format!("[{i}]: {m}"))))
                .collect::<Result<_, _>>()
                .map(Recipients::Many),
            _ => Err(D::Error::custom(
                "expected a number string, or a list of number strings or {\"number\", \"country_code\"?, \"name\"?} objects",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for RecipientDto {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RecipientDto::from_value(serde_json::Value::deserialize(d)?)
            .map_err(serde::de::Error::custom)
    }
}

impl RecipientDto {
    fn from_value(value: serde_json::Value) -> Result<Self, String> {
        use serde_json::Value;
        let optional =
            |map: &serde_json::Map<String, Value>, key: &str| -> Result<Option<String>, String> {
                match map.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(_) => Err(format!("{key} must be a string")),
                }
            };
        match value {
            Value::String(number) => Ok(RecipientDto::Number(number)),
            Value::Object(map) => {
                let number = match map.get("number") {
                    Some(Value::String(s)) => s.clone(),
                    Some(_) => {
                        return Err("number must be a string such as \"+4915112345678\"".into())
                    }
                    None => return Err("number is required".into()),
                };
                Ok(RecipientDto::Full {
                    number,
                    country_code: optional(&map, "country_code")?,
                    name: optional(&map, "name")?,
                })
            }
            _ => {
                Err("expected a number string or {\"number\", \"country_code\"?, \"name\"?}".into())
            }
        }
    }
}

impl From<RecipientDto> for RecipientInput {
    fn from(r: RecipientDto) -> Self {
        match r {
            RecipientDto::Number(number) => RecipientInput {
                number,
                ..RecipientInput::default()
            },
            RecipientDto::Full {
                number,
                country_code,
                name,
            } => RecipientInput {
                number,
                country_code,
                name,
            },
        }
    }
}

/// `POST /api/sms/send`. The seed's `from_number` is accepted and ignored (like any unknown
/// field): the sender is the modem's SIM, or the provider's configured `from`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SendBody {
    /// Who the message goes to: one number, or a list of numbers and `{number, …}` objects.
    pub to: Recipients,
    /// The text (absent or empty with `template_id`).
    #[serde(default)]
    pub message: String,
    /// `text` | `unicode` | `binary` | `flash`.
    #[serde(default)]
    #[schema(value_type = String, example = "text")]
    pub message_type: MessageType,
    /// `transactional` | `promotional` (`marketing`) | `otp`; default `transactional`, or
    /// the template's.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "transactional")]
    pub sms_type: Option<SmsType>,
    /// Send this template's text instead of `message`.
    #[serde(default)]
    pub template_id: Option<String>,
    /// The template's variables: strings, numbers or booleans.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub template_variables: Option<serde_json::Map<String, serde_json::Value>>,
    /// An explicit route (a modem name, or a provider).
    #[serde(default)]
    pub provider: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub schedule_at: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub expire_at: Option<String>,
    /// Higher first.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Status callbacks.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// The caller's label for the message.
    #[serde(default)]
    pub custom_id: Option<String>,
    /// Returned as given.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Box<serde_json::value::RawValue>>,
}

/// `POST /api/sms/send-batch`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BatchBody {
    /// Batch name.
    #[serde(default)]
    pub name: Option<String>,
    /// Recipients (up to 10 000).
    pub recipients: Vec<RecipientDto>,
    /// The text (absent or empty with `template_id`).
    #[serde(default)]
    pub message: String,
    /// See [`SendBody`].
    #[serde(default)]
    #[schema(value_type = String, example = "text")]
    pub message_type: MessageType,
    /// See [`SendBody`].
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "transactional")]
    pub sms_type: Option<SmsType>,
    /// See [`SendBody`].
    #[serde(default)]
    pub template_id: Option<String>,
    /// See [`SendBody`].
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub template_variables: Option<serde_json::Map<String, serde_json::Value>>,
    /// RFC 3339.
    #[serde(default)]
    pub schedule_at: Option<String>,
    /// When false and `schedule_at` is set, the batch waits for it (the default).
    #[serde(default)]
    pub send_immediately: Option<bool>,
    /// Status callbacks.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub expire_at: Option<String>,
    /// Higher first.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Returned as given.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Box<serde_json::value::RawValue>>,
}

/// The metadata as sent; JSON `null` is no metadata.
fn metadata(raw: Option<Box<serde_json::value::RawValue>>) -> Option<RawJson> {
    raw.filter(|r| r.get() != "null").map(RawJson::from)
}

pub(crate) fn time_field(field: &str, value: Option<&str>) -> Result<Option<Millis>, ApiError> {
    value
        .map(|v| {
            parse_rfc3339(v)
                .ok_or_else(|| ApiError::invalid(field, format!("{v:?} is not an RFC 3339 time")))
        })
        .transpose()
}

/// Template variables as strings: a string as it is, a number or boolean as JSON writes
/// it; anything else is a 400 naming `{field}.{name}`.
pub(crate) fn template_variables(
    field: &str,
    values: Option<serde_json::Map<String, serde_json::Value>>,
) -> Result<BTreeMap<String, String>, ApiError> {
    use serde_json::Value;
    values
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| match value {
            Value::String(s) => Ok((name, s)),
            Value::Number(n) => Ok((name, n.to_string())),
            Value::Bool(b) => Ok((name, b.to_string())),
            _ => Err(ApiError::invalid(
                format!("{field}.{name}"),
                "must be a string, number or boolean",
            )),
        })
        .collect()
}

impl SendBody {
    /// The service request.
    pub fn into_request(
        self,
        idempotency_key: Option<String>,
        api_key: Option<String>,
    ) -> Result<SendRequest, ApiError> {
        let to = match self.to {
            Recipients::One(number) => vec![RecipientInput {
                number,
                ..RecipientInput::default()
            }],
            Recipients::Many(list) => list.into_iter().map(RecipientInput::from).collect(),
        };
        Ok(SendRequest {
            to,
            message: self.message,
            message_type: self.message_type,
            sms_type: self.sms_type.unwrap_or_default(),
            sms_type_given: self.sms_type.is_some(),
            template_variables: template_variables("template_variables", self.template_variables)?,
            template_id: self.template_id,
            provider: self.provider,
            schedule_at: time_field("schedule_at", self.schedule_at.as_deref())?,
            expire_at: time_field("expire_at", self.expire_at.as_deref())?,
            priority: self.priority,
            callback_url: self.callback_url,
            custom_id: self.custom_id,
            metadata: metadata(self.metadata),
            idempotency_key,
            api_key,
            batch_name: None,
            secret: None,
            callback_format: CallbackFormat::Smsgate,
            reply: None,
        })
    }
}

impl BatchBody {
    /// The service request.
    pub fn into_request(
        self,
        idempotency_key: Option<String>,
        api_key: Option<String>,
    ) -> Result<SendRequest, ApiError> {
        let schedule_at = match self.send_immediately {
            Some(true) => None,
            _ => time_field("schedule_at", self.schedule_at.as_deref())?,
        };
        Ok(SendRequest {
            to: self
                .recipients
                .into_iter()
                .map(RecipientInput::from)
                .collect(),
            message: self.message,
            message_type: self.message_type,
            sms_type: self.sms_type.unwrap_or_default(),
            sms_type_given: self.sms_type.is_some(),
            template_variables: template_variables("template_variables", self.template_variables)?,
            template_id: self.template_id,
            provider: None,
            schedule_at,
            expire_at: time_field("expire_at", self.expire_at.as_deref())?,
            priority: self.priority,
            callback_url: self.callback_url,
            custom_id: None,
            metadata: metadata(self.metadata),
            idempotency_key,
            api_key,
            batch_name: self.name,
            secret: None,
            callback_format: CallbackFormat::Smsgate,
            reply: None,
        })
    }
}
