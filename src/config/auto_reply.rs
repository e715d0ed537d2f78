//! `[keywords]`, `[[auto_reply]]`, `[auto_replies]` and `[ai]`: which inbound messages get an
//! automatic answer, and how (a HELP text, a rule's text or template, an AI's answer).
//!
//! Layer 0 like the rest of the config; imports only `regex` (a rule's pattern is compiled
//! here, with [`compile_pattern`], so a bad one is refused at load, naming the rule).
//!
//! Invariants of a validated config: every rule has a name, a non-empty pattern that
//! compiles within [`REGEX_SIZE_LIMIT`] when it is a regex, and exactly one of `text` and
//! `template_id`; HELP keywords are non-empty; `[ai]` when enabled has a `base_url` that is
//! http(s), a model, `context_messages` 1–50, `max_segments` 1–10, `timeout_secs` 1–300 and
//! a temperature 0–2. The AI key is a [`Secret`] (never printed).

use super::{ConfigError, Secret};
use serde::Deserialize;

/// The compiled size a rule's regex may reach (bytes of the `regex` crate's program): big
/// enough for any sensible pattern, small enough that no pattern costs real memory or time.
pub const REGEX_SIZE_LIMIT: usize = 64 * 1024;

/// Longest pattern, in characters.
pub const PATTERN_MAX: usize = 512;

/// Compiles a rule's regex, case-insensitively, within [`REGEX_SIZE_LIMIT`] (the `regex`
/// crate runs in linear time: no pattern can make matching explode).
pub fn compile_pattern(pattern: &str) -> Result<regex::Regex, String> {
    if pattern.chars().count() > PATTERN_MAX {
        return Err(format!("longer than {PATTERN_MAX} characters"));
    }
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("not a valid regular expression: {e}"))
}

/// `[keywords]`: keywords with a configured answer (besides the opt-out ones of
/// `[optout]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeywordsConfig {
    /// Texts (trimmed, any case) answered with `help_text`.
    pub help: Vec<String>,
    /// The answer to a HELP keyword (unset: HELP is not answered).
    pub help_text: Option<String>,
}

impl Default for KeywordsConfig {
    fn default() -> Self {
        Self {
            help: vec!["HELP".into(), "INFO".into()],
            help_text: None,
        }
    }
}

/// How a `[[auto_reply]]` pattern matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleMatch {
    /// The whole trimmed text, any case.
    Keyword,
    /// The start of the trimmed text, any case.
    Prefix,
    /// A regular expression (case-insensitive).
    Regex,
}

/// One `[[auto_reply]]` rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoReplyRuleConfig {
    /// A name (unique among the config's rules).
    pub name: String,
    /// `keyword`, `prefix` or `regex`.
    #[serde(rename = "match")]
    pub match_kind: RuleMatch,
    /// The keyword, prefix or regular expression.
    pub pattern: String,
    /// Only for messages this modem (or provider) received.
    #[serde(default)]
    pub modem: Option<String>,
    /// Only for messages sent to this local number.
    #[serde(default)]
    pub local_number: Option<String>,
    /// Reply with this template…
    #[serde(default)]
    pub template_id: Option<String>,
    /// …or with this text.
    #[serde(default)]
    pub text: Option<String>,
    /// Lower first (0); config rules go before API rules of the same priority.
    #[serde(default)]
    pub priority: i64,
}

/// `[auto_replies]`: what guards every automatic answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutoRepliesConfig {
    /// Whether the worker runs at all (true; with no rule, no HELP text and no AI it
    /// answers nothing anyway).
    pub enabled: bool,
    /// At most one automatic reply per remote number in this many seconds (300): two
    /// automatic systems answering each other stop after one exchange.
    pub cooldown_secs: u64,
    /// Senders never answered: exact numbers, or prefixes ending in `*` (`"+1555*"`).
    pub deny_senders: Vec<String>,
    /// How often the worker looks for pending messages when nothing woke it, in ms (1000).
    pub poll_interval_ms: u64,
    /// A message older than this when the worker gets to it (after an outage, or once the
    /// worker is turned on) is not answered, in seconds (3600).
    pub max_age_secs: u64,
}

impl Default for AutoRepliesConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            cooldown_secs: 300,
            deny_senders: Vec::new(),
            poll_interval_ms: 1_000,
            max_age_secs: 3_600,
        }
    }
}

/// `[ai]`: answers from an OpenAI-compatible chat-completions endpoint (off by default).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AiConfig {
    /// Whether messages no rule answered go to the AI (false).
    pub enabled: bool,
    /// The API's base URL; `/chat/completions` is appended
    /// (`https://api.openai.com/v1`, `http://127.0.0.1:8000/v1`).
    pub base_url: String,
    /// The model name.
    pub model: String,
    /// The bearer key (also `SMSGATE_AI_API_KEY`, then `OPENAI_API_KEY`); none for a local
    /// server that wants none.
    pub api_key: Option<Secret>,
    /// The system prompt.
    pub system_prompt: String,
    /// `max_tokens` of the request (200).
    pub max_tokens: u32,
    /// `temperature` of the request (0.7).
    pub temperature: f64,
    /// Time limit of one call, in seconds (15).
    pub timeout_secs: u64,
    /// Messages of the conversation sent as context (10).
    pub context_messages: usize,
    /// The answer is cut to fit this many SMS segments (2).
    pub max_segments: usize,
    /// Sent when the call fails, times out or answers nothing (unset: nothing is sent).
    pub fallback_text: Option<String>,
    /// AI calls per remote number per hour (10).
    pub per_number_hourly: u64,
    /// AI calls per hour over all numbers (500).
    pub global_hourly: u64,
}

impl Default for AiConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key: None,
            system_prompt: "You are a helpful assistant answering SMS messages. Answer briefly, \
                            in plain text."
                .into(),
            max_tokens: 200,
            temperature: 0.7,
            timeout_secs: 15,
            context_messages: 10,
            max_segments: 2,
            fallback_text: None,
            per_number_hourly: 10,
            global_hourly: 500,
        }
    }
}

/// The environment variables the AI key may come from, in order (when the file has none).
pub const AI_KEY_VARIABLES: [&str; 2] = ["SMSGATE_AI_API_KEY", "OPENAI_API_KEY"];

/// Takes `[ai] api_key` from the environment when the file does not set it.
pub(super) fn apply_env(ai: &mut AiConfig, env: &dyn Fn(&str) -> Option<String>) {
    if ai.api_key.is_some() {
        return;
    }
    ai.api_key = AI_KEY_VARIABLES
        .iter()
        .filter_map(|name| env(name))
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .map(Secret::new);
}

/// Checks the four sections.
pub(super) fn validate(
    keywords: &KeywordsConfig,
    rules: &[AutoReplyRuleConfig],
    replies: &AutoRepliesConfig,
    ai: &AiConfig,
) -> Result<(), ConfigError> {
    for (i, keyword) in keywords.help.iter().enumerate() {
        if keyword.trim().is_empty() {
            return Err(ConfigError::new(
                format!("keywords.help[{i}]"),
                "must not be empty",
            ));
        }
    }
    if keywords
        .help_text
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(ConfigError::new(
            "keywords.help_text",
            "must not be empty (leave it out to not answer HELP)",
        ));
    }
    let mut names = std::collections::HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        validate_rule(i, rule)?;
        if let Some(first) = names.insert(rule.name.as_str(), i) {
            return Err(ConfigError::new(
                format!("auto_reply[{i}].name"),
                format!("{:?} is already the name of auto_reply[{first}]", rule.name),
            ));
        }
    }
    for (i, sender) in replies.deny_senders.iter().enumerate() {
        if sender.trim().trim_end_matches('*').is_empty() {
            return Err(ConfigError::new(
                format!("auto_replies.deny_senders[{i}]"),
                "must be a number or a prefix followed by *",
            ));
        }
    }
    if replies.poll_interval_ms == 0 {
        return Err(ConfigError::new(
            "auto_replies.poll_interval_ms",
            "must be at least 1",
        ));
    }
    validate_ai(ai)
}

fn validate_rule(i: usize, rule: &AutoReplyRuleConfig) -> Result<(), ConfigError> {
    let key = |k: &str| format!("auto_reply[{i}].{k}");
    if rule.name.trim().is_empty() {
        return Err(ConfigError::new(key("name"), "must not be empty"));
    }
    let named = |reason: String| {
        ConfigError::new(key("pattern"), format!("rule {:?}: {reason}", rule.name))
    };
    if rule.pattern.trim().is_empty() {
        return Err(named("must not be empty".into()));
    }
    if rule.match_kind == RuleMatch::Regex {
        compile_pattern(&rule.pattern).map_err(named)?;
    } else if rule.pattern.chars().count() > PATTERN_MAX {
        return Err(named(format!("longer than {PATTERN_MAX} characters")));
    }
    match (&rule.text, &rule.template_id) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            key("text"),
            format!("rule {:?}: give text or template_id, not both", rule.name),
        )),
        (None, None) => Err(ConfigError::new(
            key("text"),
            format!("rule {:?}: needs text or template_id", rule.name),
        )),
        (Some(text), None) if text.trim().is_empty() => Err(ConfigError::new(
            key("text"),
            format!("rule {:?}: must not be empty", rule.name),
        )),
        _ => Ok(()),
    }
}

fn validate_ai(ai: &AiConfig) -> Result<(), ConfigError> {
    if !ai.enabled {
        return Ok(());
    }
    if !(ai.base_url.starts_with("http://") || ai.base_url.starts_with("https://")) {
        return Err(ConfigError::new(
            "ai.base_url",
            "must be an http:// or https:// URL",
        ));
    }
    if ai.model.trim().is_empty() {
        return Err(ConfigError::new("ai.model", "must not be empty"));
    }
    let ranges: [(&str, u64, u64, u64); 4] = [
        ("ai.timeout_secs", ai.timeout_secs, 1, 300),
        (
            "ai.context_messages",
            u64::try_from(ai.context_messages).unwrap_or(u64::MAX),
            1,
            50,
        ),
        (
            "ai.max_segments",
            u64::try_from(ai.max_segments).unwrap_or(u64::MAX),
            1,
            10,
        ),
        ("ai.max_tokens", u64::from(ai.max_tokens), 1, 32_768),
    ];
    for (key, value, min, max) in ranges {
        if !(min..=max).contains(&value) {
            return Err(ConfigError::new(
                key,
                format!("{value} is outside {min}..={max}"),
            ));
        }
    }
    if !(0.0..=2.0).contains(&ai.temperature) {
        return Err(ConfigError::new(
            "ai.temperature",
            format!("{} is outside 0..=2", ai.temperature),
        ));
    }
    if ai
        .fallback_text
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(ConfigError::new(
            "ai.fallback_text",
            "must not be empty (leave it out to send nothing)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, &|_| None)
    }

    #[test]
    fn defaults_answer_nothing_and_keep_ai_off() {
        let c = parse("").unwrap();
        assert_eq!(c.keywords.help, ["HELP", "INFO"]);
        assert_eq!(c.keywords.help_text, None);
        assert!(c.auto_reply.is_empty());
        assert_eq!(c.auto_replies.cooldown_secs, 300);
        assert!(!c.ai.enabled);
        assert_eq!(c.ai.context_messages, 10);
        assert_eq!(c.ai.max_segments, 2);
    }

    #[test]
    fn rules_parse_in_file_order() {
        let c = parse(
            r#"
            [keywords]
            help_text = "Reply STOP to opt out."
            [[auto_reply]]
            name = "hours"
            match = "keyword"
            pattern = "HOURS"
            text = "9-17"
            [[auto_reply]]
            name = "order"
            match = "regex"
            pattern = '^order\s+#?\d+$'
            modem = "m0"
            template_id = "order-status"
            "#,
        )
        .unwrap();
        assert_eq!(c.auto_reply.len(), 2);
        assert_eq!(c.auto_reply[1].match_kind, RuleMatch::Regex);
        assert_eq!(c.auto_reply[1].modem.as_deref(), Some("m0"));
        assert_eq!(
            c.keywords.help_text.as_deref(),
            Some("Reply STOP to opt out.")
        );
    }

    #[test]
    fn a_bad_regex_is_refused_naming_the_rule() {
        let e = parse(
            "[[auto_reply]]\nname = \"broken\"\nmatch = \"regex\"\npattern = \"(unclosed\"\ntext = \"x\"\n",
        )
        .unwrap_err();
        assert_eq!(e.key, "auto_reply[0].pattern");
        assert!(e.reason.contains("broken"), "{e}");
    }

    #[test]
    fn an_oversized_regex_is_refused() {
        // Each counted repetition multiplies the program: far past the size limit.
        let e = compile_pattern(r"(\w{100}){100}").unwrap_err();
        assert!(e.contains("regular expression"), "{e}");
    }

    #[test]
    fn a_rule_needs_exactly_one_answer() {
        let both = "[[auto_reply]]\nname = \"a\"\nmatch = \"keyword\"\npattern = \"X\"\ntext = \"t\"\ntemplate_id = \"t\"\n";
        assert_eq!(parse(both).unwrap_err().key, "auto_reply[0].text");
        let none = "[[auto_reply]]\nname = \"a\"\nmatch = \"keyword\"\npattern = \"X\"\n";
        assert_eq!(parse(none).unwrap_err().key, "auto_reply[0].text");
    }

    #[test]
    fn duplicate_rule_names_are_refused() {
        let rule =
            "[[auto_reply]]\nname = \"a\"\nmatch = \"prefix\"\npattern = \"X\"\ntext = \"t\"\n";
        let e = parse(&format!("{rule}{rule}")).unwrap_err();
        assert_eq!(e.key, "auto_reply[1].name");
    }

    #[test]
    fn ai_limits_are_checked_only_when_enabled() {
        assert!(parse("[ai]\nmax_segments = 0\n").is_ok());
        let e = parse("[ai]\nenabled = true\nmax_segments = 0\n").unwrap_err();
        assert_eq!(e.key, "ai.max_segments");
        let e = parse("[ai]\nenabled = true\nbase_url = \"file:///etc\"\n").unwrap_err();
        assert_eq!(e.key, "ai.base_url");
        let e = parse("[ai]\nenabled = true\ntemperature = 3.0\n").unwrap_err();
        assert_eq!(e.key, "ai.temperature");
    }

    #[test]
    fn the_ai_key_comes_from_the_environment_and_never_prints() {
        let c = Config::from_toml("[ai]\nenabled = true\n", &|name| {
            (name == "OPENAI_API_KEY").then(|| "sk-from-env".to_string())
        })
        .unwrap();
        let key = c.ai.api_key.as_ref().map(Secret::expose);
        assert_eq!(key, Some("sk-from-env"));
        // SMSGATE_AI_API_KEY wins over OPENAI_API_KEY, the file over both.
        let c = Config::from_toml("", &|name| match name {
            "SMSGATE_AI_API_KEY" => Some("sk-smsgate".into()),
            "OPENAI_API_KEY" => Some("sk-openai".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            c.ai.api_key.as_ref().map(Secret::expose),
            Some("sk-smsgate")
        );
        let c = Config::from_toml("[ai]\napi_key = \"sk-file\"\n", &|name| {
            AI_KEY_VARIABLES.contains(&name).then(|| "sk-env".into())
        })
        .unwrap();
        assert_eq!(c.ai.api_key.as_ref().map(Secret::expose), Some("sk-file"));
        assert!(!format!("{c:?}").contains("sk-file"));
    }

    #[test]
    fn every_key_is_documented() {
        let doc = include_str!("../../docs/configuration.md");
        for section in ["[keywords]", "[[auto_reply]]", "[auto_replies]", "[ai]"] {
            assert!(doc.contains(&format!("## `{section}`")), "{section}");
        }
        let keys = [
            "help",
            "help_text",
            "name",
            "match",
            "pattern",
            "modem",
            "local_number",
            "text",
            "template_id",
            "priority",
            "enabled",
            "cooldown_secs",
            "deny_senders",
            "poll_interval_ms",
            "base_url",
            "model",
            "api_key",
            "system_prompt",
            "max_tokens",
            "temperature",
            "timeout_secs",
            "context_messages",
            "max_segments",
            "fallback_text",
            "per_number_hourly",
            "global_hourly",
        ];
        for key in keys {
            assert!(doc.contains(&format!("| `{key}` |")), "{key} has no row");
        }
        for name in AI_KEY_VARIABLES {
            assert!(doc.contains(name), "{name}");
        }
    }
}
