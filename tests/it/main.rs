//! The one integration-test binary (see Cargo.toml `[[test]]`). Modules:
// Test code: a panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod analytics; // the analytics API on the simulator: counts, segment costs, countries, filters, route health, dashboard, timeline buckets around midnight UTC, bad input
mod api; // the HTTP API as a client calls it in process: a request, a bounded poll
mod at_clients; // smsgate simulate driven by Debian's gammu, smstools3 smsd and Kannel (bearerbox + smsbox) on ptys: send, receive, identify
mod at_engine; // the AT engine against byte-exact scripts, URCs mid-command, deadlines
mod audit; // the audit log on a real smsgate serve: webhook, opt-out, template changes and reloads (API and SIGHUP) by key name, never a key; filters, cursor, admin only
mod auto_reply; // automatic replies on the simulator: keyword/HELP/regex rules by the receiving modem, screening, the loop guard, crash safety, AI against a fake OpenAI-compatible server
mod cli_ops; // the operator CLI (status, send, modems, ussd, reload) against a real smsgate serve: aligned tables, --json, address from the config, key from the env, daemon not running, 401/403
mod cli_pdu; // `smsgate pdu encode|decode|count`: the JSON contract, exit codes, stderr
mod cli_simulate; // `smsgate simulate` as a process: stdout lines, TCP, pty links, log, SIGTERM, bad arguments
mod cluster; // several smsgate serve nodes on one PostgreSQL: one queue over both and SIGKILL of one (leases taken over), OTP codes and limits across nodes, a webhook event delivered once, a database restart under load (503, recovery, nothing lost)
mod config; // `smsgate check-config` and `smsgate api-key create` as processes: ok line, exit 78 naming the key, keys that parse back
mod console; // the web console in headless Chromium (selenium) against a real daemon on `smsgate simulate`: login, modems ready, send with the live count → delivered without reload, an injected reply in its thread, reply and close, a template created and edited, the overview = /api/analytics/stats, XSS texts as text, no JS error or CSP violation, a read-only key without send buttons, 401 → login; screenshots at 1280/360 px in target/console-shots/
mod console_http; // the web console's server side in process: embedded files, media types, ETag/304, security headers on every console response (redirects, 404, 405), [console] enabled = false; GET /api/auth/whoami; POST /api/sms/count = `smsgate pdu count`
mod conversations; // conversations on the simulator: multipart inbound (UCS-2 out of order) → one conversation and its history, replies by the receiving modem (network log), waiting or a stand-in when it is down, close/reopen/idle close/retention, seed 003 stats, paging, bad input
mod crash; // SIGKILL of a real smsgate serve while clients send: nothing accepted is lost
mod daemon; // the daemon the in-process modules drive: config, start, clock, simulator, stop
mod e2e_simulate; // real processes: smsgate simulate on ptys, driven by smsgate modem send/listen
mod encryption; // encryption at rest on a real smsgate serve: outbound texts and PDUs sealed in the SQLite file, clear through the API; no key or another key refuses to start
mod fleet; // the fleet in process: reconcile adds, removes (after the send in flight), restarts changed entries, is idempotent, leaves identity entries to discovery; the dispatcher, /api/routes, /api/modems and metrics follow modems joining and leaving
mod hardening; // regressions of the hardening review: bounded requests, SSRF, concurrent callbacks, slow clients, CORS, idempotency per key, no 408 after commit, JSON errors, Host rule, file modes, no secrets in logs, verbatim metadata
mod hardware; // hardware tests (ignored without SMSGATE_TEST_MODEM) and their simulator twins
mod hotplug; // identity and hot-plug with real processes: modems named by IMEI found on simulate's ptys, unplugged mid-batch (nothing lost, at most the in-flight one twice), found again at a new path; adopt_unknown; non-AT ports skipped
mod http_api; // the HTTP API end to end on the simulator: states, batch, schedule, cancel, expiry, idempotency, failover, hang, bad input, auth, restart
mod inbox; // the inbox and opt-outs end to end on the simulator: 3-part reassembly, STOP/START, the API, scopes, incomplete timeout, nothing uncommitted leaves the SIM
mod logs; // what reaches the logs: a capture, and a test run in a process of its own
mod metrics; // GET /metrics on the simulator: parsed in Rust and by Python's prometheus_client, values moving as messages are sent, fail and are delivered, the metrics scope and [metrics] public, the Grafana dashboard's names
mod modem_admin; // modem administration on the simulator: GET /api/modems/{name} (identity, signal history, counters), disable/enable across a restart, reset, USSD (text, UCS-2, packed; session; timeout → 504; interleaved with sends), balance → API, metrics, modem.balance_low and hold, SIM quotas (skip, wait for the reset, multipart fit, restart)
mod modem_driver; // the modem driver against the simulated network: send, receive, reports, faults, recovery
mod openapi; // the OpenAPI document: served, equal to docs/openapi.json, exactly the routers' routes (read from src/http), valid by openapi-spec-validator
mod ops_support; // the operations tests' helpers: a keyed config on the simulator, an HTTP call with a key, a bounded poll, SIGHUP
mod otp; // OTP, 2FA, phone validation, send limits and opt-outs over HTTP, codes read from the simulated handset; no plain code in the database or logs
mod pdu_boundaries; // segment boundaries: 160/161, 153·k, 152·k, 70/71, 67·k, 66·k, escapes, emoji
mod pdu_properties; // property tests: round trips, segment sizes, minimal counts
mod pdu_robustness; // random and mutated bytes never panic the decoder
mod pdu_vectors; // real PDU vectors, hex ⇄ fields, from tests/it/data/pdu_vectors.json
mod process; // a real `smsgate serve` process: start on a config, a minimal HTTP client, peak RSS
mod provider_callbacks; // provider status callbacks on a daemon over the simulator: Twilio/Vonage/Plivo signatures (valid, forged, stale, missing → 403), forward-only statuses, ignored duplicates and late ones, early callbacks adopted, the generic webhook's 400s
mod provider_inbound; // inbound messages from Twilio, Vonage and Plivo on a daemon over the simulator: signed (the Twilio SDK's signature when installed) → inbox, conversation, sms.received; duplicates store nothing; forged/stale → 403; STOP/START; Vonage parts reassembled; unconfigured → 404
mod providers; // Twilio, AWS SNS, Vonage, Plivo routes against local fakes checking each request as documented (SigV4 recomputed): ids, costs, error classes, 429, 401, hang → ambiguous, refused
mod reload; // live reload of a real smsgate serve: SIGHUP and the API swap keys without losing queued messages; a bad file is refused with check-config's text
mod routing; // the routing policy on the simulator with a fake Twilio: modems down → provider, provider refused → modem, hang → an OTP never resent, explicit provider, fallback after N modem failures
mod seed_api; // the seed API's small differences on the simulator: 200 on send paths, sms_type alert kept and filtered, default priority 1 under the OTP bands, total in GET /api/sms
mod seed_client; // the seed's Python client (004) unchanged but for base URL and numbers, with python3 against a real smsgate serve on the simulator
mod serve_process; // smsgate serve under systemd: READY/STATUS/STOPPING over NOTIFY_SOCKET, SIGTERM exit 0, bad config exit 78
mod sim; // the simulated modem network in raw AT bytes: dialogue, routing, reports, faults, pty, TCP, control API
mod sns_moto; // the AWS SNS route against moto in server mode with SigV4 checking on: publish read back from /moto-api/data.json, wrong secret → RouteBroken, a daemon routing to aws_sns
mod store; // the store: lease order, outcomes and events, idempotency, report correlation, recovery, durability, SIGKILL mid-enqueue
mod support; // helpers shared by the modules above
mod templates; // SMS templates over HTTP on the simulator: CRUD, filters, versions, preview, send with a template (text at the handset), usage counts, bad input, scopes
mod twilio_compat; // the Twilio-compatible API on the simulator: create/fetch/list paging/delete, Basic auth, Twilio error JSON, signed status callbacks, the official Python SDK
mod webhook_subscriptions; // webhook subscriptions on the simulator: real loopback receivers checking the HMAC with the secret handed out, events and payload shapes, a dead receiver retried in order without holding others up, SSRF refusals naming `url`, deliveries history, rotate-secret, delete, modem.up/down
