//! Wires the automatic-reply worker (`crate::inbound::auto_reply`): its settings from
//! `[keywords]`, `[[auto_reply]]`, `[auto_replies]` and `[ai]`, the service as its reply
//! sink, and the inbox's commit signal as its wake-up.

use super::tasks::Tasks;
use crate::config::Config;
use crate::inbound::ai::AiClient;
use crate::inbound::auto_reply::{AiSettings, AutoReplier, AutoReplySettings};
use crate::service::{Clock, Service};
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The worker's settings from the config (`[ai]` left out when disabled or when its
/// client cannot be built).
pub fn settings(config: &Config) -> AutoReplySettings {
    let ai = if config.ai.enabled {
        match AiClient::new(&config.ai) {
            Ok(client) => Some(AiSettings {
                client,
                context_messages: config.ai.context_messages,
                max_segments: config.ai.max_segments,
                fallback_text: config.ai.fallback_text.clone(),
                per_number_hourly: config.ai.per_number_hourly,
                global_hourly: config.ai.global_hourly,
            }),
            Err(e) => {
                warn!("AI replies disabled: {e}");
                None
            }
        }
    } else {
        None
    };
    AutoReplySettings {
        help_keywords: config.keywords.help.clone(),
        help_text: config.keywords.help_text.clone(),
        config_rules: config.auto_reply.clone(),
        cooldown: Duration::from_secs(config.auto_replies.cooldown_secs),
        deny_senders: config.auto_replies.deny_senders.clone(),
        poll_interval: Duration::from_millis(config.auto_replies.poll_interval_ms),
        max_age: Duration::from_secs(config.auto_replies.max_age_secs),
        ai,
        ..AutoReplySettings::default()
    }
}

/// Starts the worker on `tasks` when `[auto_replies] enabled`.
pub fn spawn(
    config: &Config,
    store: Store,
    service: &Service,
    clock: Clock,
    wake: Arc<Notify>,
    tasks: &Tasks,
    cancel: CancellationToken,
) {
    if !config.auto_replies.enabled {
        info!("automatic replies are disabled ([auto_replies] enabled = false)");
        return;
    }
    let settings = settings(config);
    info!(
        rules = settings.config_rules.len(),
        help = settings.help_text.is_some(),
        ai = settings.ai.is_some(),
        "automatic replies on"
    );
    let worker = AutoReplier::new(
        store,
        Arc::new(service.clone()),
        settings,
        Arc::new(move || clock.now()),
    );
    tasks.spawn("auto replies", worker.run(wake, cancel));
}
