//! The automatic-reply worker: takes inbound messages the inbox left `pending` (oldest
//! first, in batches), decides whether and how to answer, has the answer queued as an
//! ordinary message, and marks the inbound message `done` with a note (`replied:<id>`,
//! `skipped:<reason>`).
//!
//! Order of decisions: never answer an incomplete message, an alphanumeric sender (not
//! E.164 digits), a sender on `[auto_replies] deny_senders`, a short code (fewer than 7
//! digits), an opted-out number, or a message that was itself an opt-out keyword (STOP
//! must never get an answer beyond the opt-out); then the per-number cool-down (at most one
//! automatic reply per `cooldown_secs`, so two automatic systems can never loop); then a
//! HELP keyword (`[keywords] help_text`), then the rules in order (`[[auto_reply]]` and
//! `/api/auto-replies`), then the AI (`[ai]`, see [`super::ai`]).
//!
//! Never imports HTTP or the service: replies go out through a [`ReplySink`] (the service
//! implements it), so this layer-3 module stays below the façade.
//!
//! Invariants:
//! - **Nothing lost, nothing twice.** The inbox commits a message `pending`; only
//!   [`Store::auto_reply_finish`] makes it `done`. A reply is queued under the idempotency
//!   key [`reply_key`]`(inbound id)`, and before deciding, the worker asks whether that key
//!   already holds a message: a crash between the enqueue and the finish is found on the
//!   next pass and only the bookkeeping is completed — the same reply is never queued twice
//!   (the key makes even a racing second enqueue a replay).
//! - At most one AI call in flight per conversation; later messages of that conversation
//!   wait for it (and then meet the cool-down).
//! - The AI call and every send happen outside any store transaction.
//! - Logs name the inbound message and the conversation, never the text or the AI key.

use super::ai::{clamp_to_segments, AiClient, ChatMessage, Role};
use crate::config::{compile_pattern, AutoReplyRuleConfig, RuleMatch};
use crate::message::Millis;
use crate::store::auto_reply::{LogEntry, MatchKind, PendingInbound, ReplyKind, Rule};
use crate::store::{Store, StoreError};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// The idempotency scope automatic replies are queued in (no API key can be named so: API
/// key names have no `:`).
pub const REPLY_SCOPE: &str = "auto-reply:";

/// The idempotency key of the automatic reply to inbound message `inbound_id`.
pub fn reply_key(inbound_id: i64) -> String {
    format!("inbound:{inbound_id}")
}

/// A reply to be queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRequest {
    /// The remote number (E.164).
    pub to: String,
    /// The modem or provider the inbound message came through: the reply leaves by it.
    pub route: String,
    /// The conversation.
    pub conversation_id: i64,
    /// The inbound message answered.
    pub inbound_id: i64,
    /// The text…
    pub text: Option<String>,
    /// …or the template to render.
    pub template_id: Option<String>,
    /// The template's variables: `from`, `to`, `text`, and a regex rule's named groups.
    pub variables: BTreeMap<String, String>,
    /// `rule`, `keyword` or `ai` (the batch's name, so a replay knows who answered).
    pub kind: ReplyKind,
}

/// What became of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// Queued (or found queued already) as this message.
    Queued(i64),
    /// Refused for good (`opted_out`, `duplicate`, `rate_limited`, an invalid template…).
    Refused(String),
}

/// A boxed future, for the object-safe [`ReplySink`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where replies are queued (the service: durable queue, templates, pinned route).
pub trait ReplySink: Send + Sync + 'static {
    /// Queues `reply` under [`REPLY_SCOPE`] / [`reply_key`]; `Err` for a failure worth
    /// retrying (the store), `Refused` for one that is not.
    fn send_reply(&self, reply: ReplyRequest) -> BoxFuture<'_, Result<ReplyOutcome, String>>;
}

/// `[ai]` as the worker uses it.
#[derive(Debug, Clone)]
pub struct AiSettings {
    /// The endpoint's client.
    pub client: AiClient,
    /// Messages of the conversation sent as context.
    pub context_messages: usize,
    /// The answer is cut to this many segments.
    pub max_segments: usize,
    /// Sent when the AI gives no answer.
    pub fallback_text: Option<String>,
    /// AI calls per number per hour.
    pub per_number_hourly: u64,
    /// AI calls per hour in all.
    pub global_hourly: u64,
}

/// The worker's settings.
#[derive(Debug, Clone)]
pub struct AutoReplySettings {
    /// HELP keywords.
    pub help_keywords: Vec<String>,
    /// The answer to them (none: not answered).
    pub help_text: Option<String>,
    /// `[[auto_reply]]`, in file order.
    pub config_rules: Vec<AutoReplyRuleConfig>,
    /// Per-number cool-down.
    pub cooldown: Duration,
    /// Senders never answered (exact, or a prefix ending in `*`).
    pub deny_senders: Vec<String>,
    /// Fallback poll interval.
    pub poll_interval: Duration,
    /// Messages older than this are not answered (`skipped:stale`).
    pub max_age: Duration,
    /// Pending messages read per pass.
    pub batch: usize,
    /// AI calls in flight at once (over all conversations).
    pub ai_concurrency: usize,
    /// `[ai]` when enabled.
    pub ai: Option<AiSettings>,
}

impl Default for AutoReplySettings {
    fn default() -> Self {
        Self {
            help_keywords: vec!["HELP".into(), "INFO".into()],
            help_text: None,
            config_rules: Vec::new(),
            cooldown: Duration::from_secs(300),
            deny_senders: Vec::new(),
            max_age: Duration::from_secs(3_600),
            poll_interval: Duration::from_secs(1),
            batch: 50,
            ai_concurrency: 8,
            ai: None,
        }
    }
}

/// Where a rule comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleSource {
    /// `[[auto_reply]]` (read-only).
    Config,
    /// `/api/auto-replies`, with its id.
    Api(i64),
}

/// What a rule answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// This text.
    Text(String),
    /// This template, rendered.
    Template(String),
}

#[derive(Debug, Clone)]
enum Matcher {
    Keyword(String),
    Prefix(String),
    Regex(regex::Regex),
}

/// A rule ready to match.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Its name.
    pub name: String,
    /// Where it comes from.
    pub source: RuleSource,
    matcher: Matcher,
    route: Option<String>,
    local_number: Option<String>,
    answer: Answer,
}

fn matcher(kind: MatchKind, pattern: &str) -> Result<Matcher, String> {
    Ok(match kind {
        MatchKind::Keyword => Matcher::Keyword(pattern.trim().to_uppercase()),
        MatchKind::Prefix => Matcher::Prefix(pattern.trim().to_uppercase()),
        MatchKind::Regex => Matcher::Regex(compile_pattern(pattern)?),
    })
}

/// The kind of a config rule's `match`.
pub fn config_kind(kind: RuleMatch) -> MatchKind {
    match kind {
        RuleMatch::Keyword => MatchKind::Keyword,
        RuleMatch::Prefix => MatchKind::Prefix,
        RuleMatch::Regex => MatchKind::Regex,
    }
}

/// Every enabled rule in the order it is tried: by priority, config rules before API rules
/// of the same priority, then in file / id order. A rule whose pattern does not compile
/// (impossible after validation) is left out with a warning.
pub fn compile_rules(config: &[AutoReplyRuleConfig], api: &[Rule]) -> Vec<CompiledRule> {
    let mut ordered: Vec<(i64, u8, i64, CompiledRule)> = Vec::new();
    for (i, rule) in config.iter().enumerate() {
        let answer = match (&rule.text, &rule.template_id) {
            (Some(text), _) => Answer::Text(text.clone()),
            (None, Some(id)) => Answer::Template(id.clone()),
            (None, None) => continue,
        };
        match matcher(config_kind(rule.match_kind), &rule.pattern) {
            Ok(m) => ordered.push((
                rule.priority,
                0,
                i64::try_from(i).unwrap_or(i64::MAX),
                CompiledRule {
                    name: rule.name.clone(),
                    source: RuleSource::Config,
                    matcher: m,
                    route: rule.modem.clone(),
                    local_number: rule.local_number.clone(),
                    answer,
                },
            )),
            Err(e) => warn!(rule = %rule.name, "automatic-reply rule left out: {e}"),
        }
    }
    for rule in api.iter().filter(|r| r.rule.enabled) {
        let answer = match (&rule.rule.reply_text, &rule.rule.template_id) {
            (Some(text), _) => Answer::Text(text.clone()),
            (None, Some(id)) => Answer::Template(id.clone()),
            (None, None) => continue,
        };
        match matcher(rule.rule.match_kind, &rule.rule.pattern) {
            Ok(m) => ordered.push((
                rule.rule.priority,
                1,
                rule.id,
                CompiledRule {
                    name: rule.rule.name.clone(),
                    source: RuleSource::Api(rule.id),
                    matcher: m,
                    route: rule.rule.route.clone(),
                    local_number: rule.rule.local_number.clone(),
                    answer,
                },
            )),
            Err(e) => warn!(rule = rule.id, "automatic-reply rule left out: {e}"),
        }
    }
    ordered.sort_by_key(|(priority, source, order, _)| (*priority, *source, *order));
    ordered.into_iter().map(|(_, _, _, rule)| rule).collect()
}

impl CompiledRule {
    /// The template variables when this rule matches `message`.
    fn matches(&self, message: &PendingInbound) -> Option<BTreeMap<String, String>> {
        if self.route.as_ref().is_some_and(|r| *r != message.route) {
            return None;
        }
        if self
            .local_number
            .as_ref()
            .is_some_and(|n| *n != message.local_number)
        {
            return None;
        }
        let text = message.text.trim();
        let mut variables = BTreeMap::new();
        match &self.matcher {
            Matcher::Keyword(k) => (text.to_uppercase() == *k).then_some(())?,
            Matcher::Prefix(p) => text.to_uppercase().starts_with(p.as_str()).then_some(())?,
            Matcher::Regex(re) => {
                let captures = re.captures(text)?;
                for name in re.capture_names().flatten() {
                    if let Some(m) = captures.name(name) {
                        variables.insert(name.to_string(), m.as_str().to_string());
                    }
                }
            }
        }
        variables.insert("from".into(), message.sender.clone());
        variables.insert("to".into(), message.local_number.clone());
        variables.insert("text".into(), text.to_string());
        Some(variables)
    }
}

/// Why a message gets no answer whatever it says (the checks that need no store), or
/// `None`.
pub fn screen(message: &PendingInbound, deny_senders: &[String]) -> Option<&'static str> {
    if !message.complete {
        return Some("incomplete");
    }
    let digits = message.sender.strip_prefix('+').unwrap_or(&message.sender);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some("alphanumeric_sender");
    }
    let denied = deny_senders.iter().any(|d| {
        let d = d.trim();
        match d.strip_suffix('*') {
            Some(prefix) => message.sender.starts_with(prefix),
            None => message.sender == d,
        }
    });
    if denied {
        return Some("denied_sender");
    }
    if digits.len() < 7 {
        return Some("short_code");
    }
    None
}

/// How often old automatic-reply log rows are purged.
const LOG_PURGE_EVERY: Duration = Duration::from_secs(3600);

/// How long a conversation waits before its AI reply is tried again after the answer could
/// not be queued.
const AI_RETRY_AFTER: Duration = Duration::from_secs(30);

/// What to do with a message that passed the screening and the cool-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Answer with this.
    Reply {
        /// Who answers.
        kind: ReplyKind,
        /// The answer.
        answer: Answer,
        /// The rule's name (for the log), if a rule answered.
        rule: Option<String>,
        /// Template variables.
        variables: BTreeMap<String, String>,
    },
    /// Ask the AI.
    Ai,
    /// Nothing applies.
    NoMatch,
}

/// HELP, then the rules, then the AI.
pub fn decide(
    message: &PendingInbound,
    settings: &AutoReplySettings,
    rules: &[CompiledRule],
) -> Decision {
    let folded = message.text.trim().to_uppercase();
    if let Some(help) = &settings.help_text {
        if settings
            .help_keywords
            .iter()
            .any(|k| k.trim().to_uppercase() == folded)
        {
            return Decision::Reply {
                kind: ReplyKind::Keyword,
                answer: Answer::Text(help.clone()),
                rule: None,
                variables: BTreeMap::new(),
            };
        }
    }
    for rule in rules {
        if let Some(variables) = rule.matches(message) {
            return Decision::Reply {
                kind: ReplyKind::Rule,
                answer: rule.answer.clone(),
                rule: Some(rule.name.clone()),
                variables,
            };
        }
    }
    if settings.ai.is_some() {
        Decision::Ai
    } else {
        Decision::NoMatch
    }
}

/// The time, injected (tests move it).
pub type Now = Arc<dyn Fn() -> Millis + Send + Sync>;

/// The worker.
#[derive(Clone)]
pub struct AutoReplier {
    store: Store,
    sink: Arc<dyn ReplySink>,
    settings: Arc<AutoReplySettings>,
    now: Now,
}

enum Handled {
    Done,
    NeedsAi,
}

/// Work in flight: AI calls by task, and what they hold.
#[derive(Default)]
struct Busy {
    tasks: HashMap<tokio::task::Id, (i64, i64)>,
    inbound: HashSet<i64>,
    conversations: HashSet<i64>,
}

impl Busy {
    fn release(&mut self, id: tokio::task::Id) {
        if let Some((inbound, conversation)) = self.tasks.remove(&id) {
            self.inbound.remove(&inbound);
            self.conversations.remove(&conversation);
        }
    }
}

impl AutoReplier {
    /// A worker over `store`, queuing replies through `sink`.
    pub fn new(
        store: Store,
        sink: Arc<dyn ReplySink>,
        settings: AutoReplySettings,
        now: Now,
    ) -> Self {
        Self {
            store,
            sink,
            settings: Arc::new(settings),
            now,
        }
    }

    /// Runs until `cancel`: a pass whenever `wake` is told (the inbox committed a
    /// message), an AI call ends, or `poll_interval` passed. What is pending at the cancel
    /// stays pending and is looked at again after a restart.
    pub async fn run(self, wake: Arc<Notify>, cancel: CancellationToken) {
        let mut ai_tasks: JoinSet<()> = JoinSet::new();
        let mut busy = Busy::default();
        let mut purged_at: Option<tokio::time::Instant> = None;
        loop {
            if purged_at.is_none_or(|at| at.elapsed() >= LOG_PURGE_EVERY) {
                self.purge_log().await;
                purged_at = Some(tokio::time::Instant::now());
            }
            while let Some(done) = ai_tasks.try_join_next_with_id() {
                busy.release(done.map_or_else(|e| e.id(), |(id, ())| id));
            }
            let again = match self.pass(&mut ai_tasks, &mut busy).await {
                Ok(progressed) => progressed,
                Err(e) => {
                    warn!("automatic replies: a pass failed; trying again later: {e}");
                    false
                }
            };
            if again {
                continue;
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
                Some(done) = ai_tasks.join_next_with_id(), if !ai_tasks.is_empty() => {
                    busy.release(done.map_or_else(|e| e.id(), |(id, ())| id));
                }
            }
        }
        // An AI call cut off here leaves its message pending: it is asked again at start.
        ai_tasks.shutdown().await;
    }

    /// Drops log rows older than anything the cool-down or the hourly caps read (with an
    /// hour to spare), so the log does not grow for ever.
    async fn purge_log(&self) {
        let keep =
            self.settings.cooldown.max(Duration::from_secs(3600)) + Duration::from_secs(3600);
        let before =
            (self.now)().saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX));
        loop {
            match self.store.auto_reply_purge_log(before).await {
                Ok(5_000) => tokio::task::yield_now().await,
                Ok(_) => return,
                Err(e) => {
                    warn!("purging the automatic-reply log failed: {e}");
                    return;
                }
            }
        }
    }

    /// One pass over the oldest pending messages; whether any was finished.
    pub async fn pass_once(&self) -> Result<bool, StoreError> {
        let mut tasks = JoinSet::new();
        let mut busy = Busy::default();
        let progressed = self.pass(&mut tasks, &mut busy).await?;
        while tasks.join_next().await.is_some() {}
        Ok(progressed)
    }

    async fn pass(&self, ai_tasks: &mut JoinSet<()>, busy: &mut Busy) -> Result<bool, StoreError> {
        let pending = self
            .store
            .auto_reply_pending(self.settings.batch + busy.inbound.len())
            .await?;
        if pending.is_empty() {
            return Ok(false);
        }
        let api_rules = self.store.auto_reply_rules().await?;
        let rules = compile_rules(&self.settings.config_rules, &api_rules);
        let mut progressed = false;
        for message in pending {
            if busy.inbound.contains(&message.id)
                || busy.conversations.contains(&message.conversation_id)
            {
                // An AI call for this conversation is in flight: this one waits for it.
                continue;
            }
            let handled = match self.handle(&message, &rules).await {
                Ok(handled) => handled,
                // This one stays pending for the next pass; the others are not held up.
                Err(e) => {
                    warn!(
                        inbound = message.id,
                        conversation = message.conversation_id,
                        "automatic reply not decided; it stays pending: {e}"
                    );
                    continue;
                }
            };
            match handled {
                Handled::Done => progressed = true,
                Handled::NeedsAi => {
                    if ai_tasks.len() >= self.settings.ai_concurrency {
                        continue;
                    }
                    let (inbound, conversation) = (message.id, message.conversation_id);
                    let this = self.clone();
                    let handle = ai_tasks.spawn(async move { this.ai_reply(message).await });
                    busy.tasks.insert(handle.id(), (inbound, conversation));
                    busy.inbound.insert(inbound);
                    busy.conversations.insert(conversation);
                }
            }
        }
        Ok(progressed)
    }

    async fn finish(
        &self,
        message: &PendingInbound,
        note: String,
        log: Option<LogEntry>,
    ) -> Result<Handled, StoreError> {
        debug!(inbound = message.id, conversation = message.conversation_id, %note, "automatic reply decided");
        self.store
            .auto_reply_finish(message.id, note, log, (self.now)())
            .await?;
        Ok(Handled::Done)
    }

    async fn skip(&self, message: &PendingInbound, reason: &str) -> Result<Handled, StoreError> {
        self.finish(message, format!("skipped:{reason}"), None)
            .await
    }

    async fn handle(
        &self,
        message: &PendingInbound,
        rules: &[CompiledRule],
    ) -> Result<Handled, StoreError> {
        // A reply queued before a crash cut off the bookkeeping: complete it, send nothing.
        if let Some((kind, id)) = self.already_replied(message.id).await? {
            info!(
                inbound = message.id,
                message = id,
                "automatic reply found queued already; completing its bookkeeping"
            );
            return self.replied(message, kind, id).await;
        }
        if let Some(reason) = screen(message, &self.settings.deny_senders) {
            return self.skip(message, reason).await;
        }
        // After an outage an answer hours late is worse than none.
        let max_age = i64::try_from(self.settings.max_age.as_millis()).unwrap_or(i64::MAX);
        if (self.now)().saturating_sub(message.received_at) > max_age {
            return self.skip(message, "stale").await;
        }
        if self.store.optout_get(&message.sender).await?.is_some() {
            return self.skip(message, "opted_out").await;
        }
        if message.optout.is_some() {
            return self.skip(message, "optout_keyword").await;
        }
        if let Some(last) = self.store.auto_reply_last(message.sender.clone()).await? {
            let cooldown = i64::try_from(self.settings.cooldown.as_millis()).unwrap_or(i64::MAX);
            if (self.now)().saturating_sub(last) < cooldown {
                return self.skip(message, "cooldown").await;
            }
        }
        match decide(message, &self.settings, rules) {
            Decision::NoMatch => self.skip(message, "no_match").await,
            Decision::Reply {
                kind,
                answer,
                rule,
                variables,
            } => {
                if let Some(rule) = rule {
                    debug!(inbound = message.id, %rule, "automatic-reply rule matched");
                }
                let (text, template_id) = match answer {
                    Answer::Text(t) => (Some(t), None),
                    Answer::Template(id) => (None, Some(id)),
                };
                self.send(message, kind, text, template_id, variables).await
            }
            Decision::Ai => self.ai_capped(message).await,
        }
    }

    /// Finishes the message when an hourly AI cap is reached; else `NeedsAi`.
    async fn ai_capped(&self, message: &PendingInbound) -> Result<Handled, StoreError> {
        let Some(ai) = &self.settings.ai else {
            return self.skip(message, "no_match").await;
        };
        let hour_ago = (self.now)().saturating_sub(3_600_000);
        let for_number = self
            .store
            .auto_reply_ai_calls(Some(message.sender.clone()), hour_ago)
            .await?;
        let reason = if for_number >= ai.per_number_hourly {
            "ai_cap_number"
        } else if self.store.auto_reply_ai_calls(None, hour_ago).await? >= ai.global_hourly {
            "ai_cap_global"
        } else {
            return Ok(Handled::NeedsAi);
        };
        warn!(
            inbound = message.id,
            conversation = message.conversation_id,
            reason,
            "AI reply skipped: hourly cap reached"
        );
        let log = LogEntry {
            remote_number: message.sender.clone(),
            kind: ReplyKind::Ai,
            message_id: None,
            skip_reason: Some(reason.into()),
        };
        self.finish(message, format!("skipped:{reason}"), Some(log))
            .await
    }

    async fn already_replied(
        &self,
        inbound_id: i64,
    ) -> Result<Option<(ReplyKind, i64)>, StoreError> {
        let found = self
            .store
            .batch_for_key_with_name(REPLY_SCOPE.into(), reply_key(inbound_id))
            .await?;
        Ok(found.and_then(|(name, ids)| {
            let kind = match name.as_deref() {
                Some("auto-reply:ai") => ReplyKind::Ai,
                Some("auto-reply:keyword") => ReplyKind::Keyword,
                _ => ReplyKind::Rule,
            };
            ids.first().map(|id| (kind, *id))
        }))
    }

    async fn replied(
        &self,
        message: &PendingInbound,
        kind: ReplyKind,
        id: i64,
    ) -> Result<Handled, StoreError> {
        let log = LogEntry {
            remote_number: message.sender.clone(),
            kind,
            message_id: Some(id),
            skip_reason: None,
        };
        self.finish(message, format!("replied:{id}"), Some(log))
            .await
    }

    async fn send(
        &self,
        message: &PendingInbound,
        kind: ReplyKind,
        text: Option<String>,
        template_id: Option<String>,
        variables: BTreeMap<String, String>,
    ) -> Result<Handled, StoreError> {
        let request = ReplyRequest {
            to: message.sender.clone(),
            route: message.route.clone(),
            conversation_id: message.conversation_id,
            inbound_id: message.id,
            text,
            template_id,
            variables,
            kind,
        };
        match self.sink.send_reply(request).await {
            Ok(ReplyOutcome::Queued(id)) => {
                info!(
                    inbound = message.id,
                    conversation = message.conversation_id,
                    message = id,
                    kind = kind.as_str(),
                    route = %message.route,
                    "automatic reply queued"
                );
                self.replied(message, kind, id).await
            }
            Ok(ReplyOutcome::Refused(code)) => {
                warn!(
                    inbound = message.id,
                    conversation = message.conversation_id,
                    %code,
                    "automatic reply refused"
                );
                let log = LogEntry {
                    remote_number: message.sender.clone(),
                    kind,
                    message_id: None,
                    skip_reason: Some(format!("refused:{code}")),
                };
                self.finish(message, format!("skipped:refused:{code}"), Some(log))
                    .await
            }
            // Left pending: the next pass tries again (the key keeps it to one message).
            Err(e) => Err(StoreError::Sqlite(format!("queuing the reply failed: {e}"))),
        }
    }

    async fn ai_reply(self, message: PendingInbound) {
        if let Err(e) = self.try_ai_reply(&message).await {
            warn!(
                inbound = message.id,
                conversation = message.conversation_id,
                "AI reply not finished; it stays pending: {e}"
            );
            // The call was made (and paid for) but the answer could not be queued: hold the
            // conversation's slot a while, so a store that keeps failing does not turn into
            // a paid AI call per pass. The message is asked again after that.
            tokio::time::sleep(AI_RETRY_AFTER).await;
        }
    }

    async fn try_ai_reply(&self, message: &PendingInbound) -> Result<Handled, StoreError> {
        let Some(ai) = &self.settings.ai else {
            return self.skip(message, "no_match").await;
        };
        let history = self
            .store
            .auto_reply_context(message.conversation_id, ai.context_messages)
            .await?;
        let context: Vec<ChatMessage> = history
            .into_iter()
            .filter(|entry| !entry.text.is_empty())
            .map(|entry| ChatMessage {
                role: if entry.direction == "inbound" {
                    Role::User
                } else {
                    Role::Assistant
                },
                content: entry.text,
            })
            .collect();
        let text = match ai.client.answer(context).await {
            Ok(answer) => Some(clamp_to_segments(&answer, ai.max_segments)),
            Err(e) => {
                warn!(
                    inbound = message.id,
                    conversation = message.conversation_id,
                    fallback = ai.fallback_text.is_some(),
                    "AI reply failed: {e}"
                );
                ai.fallback_text
                    .as_deref()
                    .map(|t| clamp_to_segments(t, ai.max_segments))
            }
        };
        match text {
            Some(text) => {
                self.send(message, ReplyKind::Ai, Some(text), None, BTreeMap::new())
                    .await
            }
            None => {
                let log = LogEntry {
                    remote_number: message.sender.clone(),
                    kind: ReplyKind::Ai,
                    message_id: None,
                    skip_reason: Some("ai_failed".into()),
                };
                self.finish(message, "skipped:ai_failed".into(), Some(log))
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbound(sender: &str, text: &str) -> PendingInbound {
        PendingInbound {
            id: 1,
            sender: sender.into(),
            local_number: "+4915100000001".into(),
            route: "sim0".into(),
            conversation_id: 7,
            text: text.into(),
            complete: true,
            optout: None,
            received_at: 0,
        }
    }

    fn rule(name: &str, kind: RuleMatch, pattern: &str, text: &str) -> AutoReplyRuleConfig {
        AutoReplyRuleConfig {
            name: name.into(),
            match_kind: kind,
            pattern: pattern.into(),
            modem: None,
            local_number: None,
            template_id: None,
            text: Some(text.into()),
            priority: 0,
        }
    }

    #[test]
    fn screening_refuses_what_must_never_be_answered() {
        let deny = vec!["+1555*".to_string(), "+4930123456".to_string()];
        assert_eq!(
            screen(&inbound("MyBank", "hi"), &deny),
            Some("alphanumeric_sender")
        );
        assert_eq!(
            screen(&inbound("+15551234567", "hi"), &deny),
            Some("denied_sender")
        );
        assert_eq!(
            screen(&inbound("+4930123456", "hi"), &deny),
            Some("denied_sender")
        );
        assert_eq!(screen(&inbound("72345", "hi"), &deny), Some("short_code"));
        assert_eq!(screen(&inbound("+4915112345678", "hi"), &deny), None);
        let mut partial = inbound("+4915112345678", "hi");
        partial.complete = false;
        assert_eq!(screen(&partial, &deny), Some("incomplete"));
    }

    #[test]
    fn help_comes_before_the_rules_and_only_with_a_text() {
        let rules = compile_rules(&[rule("all", RuleMatch::Regex, ".*", "rule")], &[]);
        let mut settings = AutoReplySettings::default();
        let message = inbound("+4915112345678", " help ");
        assert!(matches!(
            decide(&message, &settings, &rules),
            Decision::Reply {
                kind: ReplyKind::Rule,
                ..
            }
        ));
        settings.help_text = Some("Call us".into());
        assert_eq!(
            decide(&message, &settings, &rules),
            Decision::Reply {
                kind: ReplyKind::Keyword,
                answer: Answer::Text("Call us".into()),
                rule: None,
                variables: BTreeMap::new(),
            }
        );
    }

    #[test]
    fn keyword_prefix_and_regex_match_as_documented() {
        let rules = compile_rules(
            &[
                rule("kw", RuleMatch::Keyword, "hours", "9-17"),
                rule("pre", RuleMatch::Prefix, "price", "cheap"),
                rule(
                    "re",
                    RuleMatch::Regex,
                    r"^order\s+#?(?P<number>\d+)$",
                    "on its way",
                ),
            ],
            &[],
        );
        let settings = AutoReplySettings::default();
        let answer = |text: &str| match decide(&inbound("+4915112345678", text), &settings, &rules)
        {
            Decision::Reply {
                answer: Answer::Text(t),
                variables,
                ..
            } => Some((t, variables.get("number").cloned())),
            _ => None,
        };
        assert_eq!(answer("  Hours "), Some(("9-17".into(), None)));
        // A keyword is the whole text, not a word in it.
        assert_eq!(answer("opening hours"), None);
        assert_eq!(answer("PRICE of apples"), Some(("cheap".into(), None)));
        assert_eq!(
            answer("Order #4711"),
            Some(("on its way".into(), Some("4711".into())))
        );
        assert_eq!(answer("order four"), None);
    }

    #[test]
    fn a_rule_for_one_modem_ignores_the_others() {
        let mut only_m1 = rule("m1", RuleMatch::Keyword, "hi", "from m1");
        only_m1.modem = Some("sim1".into());
        let rules = compile_rules(&[only_m1], &[]);
        let settings = AutoReplySettings::default();
        let mut message = inbound("+4915112345678", "hi");
        assert_eq!(decide(&message, &settings, &rules), Decision::NoMatch);
        message.route = "sim1".into();
        assert!(matches!(
            decide(&message, &settings, &rules),
            Decision::Reply { .. }
        ));
    }

    #[test]
    fn rules_are_ordered_by_priority_then_config_first() {
        let api = Rule {
            id: 3,
            rule: crate::store::auto_reply::NewRule {
                name: "api".into(),
                match_kind: MatchKind::Keyword,
                pattern: "hi".into(),
                route: None,
                local_number: None,
                template_id: None,
                reply_text: Some("api".into()),
                priority: -1,
                enabled: true,
            },
            created_at: 0,
            updated_at: 0,
        };
        let mut disabled = api.clone();
        disabled.id = 1;
        disabled.rule.priority = -5;
        disabled.rule.enabled = false;
        let rules = compile_rules(
            &[rule("cfg", RuleMatch::Keyword, "hi", "cfg")],
            &[api, disabled],
        );
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["api", "cfg"]);
        assert_eq!(rules[0].source, RuleSource::Api(3));
    }
}
