//! The AWS SNS route against `moto` in server mode with signature checking on: moto is
//! started (tests/sns_moto/server.py: `moto.server` plus keeping the SMS attributes it
//! parsed) with `INITIAL_NO_AUTH_ACTION_COUNT=3`; tests/sns_moto/setup_iam.py spends those
//! three unauthenticated actions on an IAM user, its `sns:Publish` policy and its access
//! key; from then on moto recomputes every request's SigV4 signature with botocore and
//! refuses a mismatch. What moto recorded is read back from `/moto-api/data.json`
//! (`sns.SMS`). Skipped (printing `SKIPPED: moto not installed`) when `import moto` fails,
//! unless `SMSGATE_REQUIRE_MOTO` is set (as `.ci/run` does): then that is a failure.

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{json, Value};
use smsgate::config::{AwsSnsConfig, Config, Secret};
use smsgate::daemon::Daemon;
use smsgate::message::{MessageId, SmsType};
use smsgate::providers::aws_sns::AwsSnsRoute;
use smsgate::route::{ErrorClass, OutboundMessage, OutboundSegment, Route};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tower::ServiceExt;

const REGION: &str = "eu-west-1";
const PHONE: &str = "+15558675310";
/// A number the daemon's phone validation accepts (a German mobile).
const MOBILE: &str = "+4915112345678";

fn helper(name: &str) -> String {
    format!("{}/tests/sns_moto/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `false` (after printing why) when moto is missing and not required.
fn moto_available() -> bool {
    let has_moto = Command::new("python3")
        .args(["-c", "import moto.server, boto3"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_moto {
        // `.ci/run` installs moto and sets this: there, a missing moto is a failure.
        assert!(
            std::env::var_os("SMSGATE_REQUIRE_MOTO").is_none(),
            "SMSGATE_REQUIRE_MOTO is set but `import moto` fails (pip install 'moto[server]')"
        );
        eprintln!("SKIPPED: moto not installed (pip install 'moto[server]')");
    }
    has_moto
}

/// A moto server child process; killed (and reaped) on drop, also when a test panics.
struct Moto {
    child: Child,
    url: String,
    access_key_id: String,
    secret_access_key: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts moto on a free loopback port, waits until it answers, creates the IAM user.
    async fn start() -> Moto {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new("python3")
            .arg(helper("server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let mut moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            access_key_id: String::new(),
            secret_access_key: String::new(),
        };
        // Bounded polling until it answers (or has died).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if moto.data().await.is_some() {
                break;
            }
            assert!(
                moto.child.try_wait().unwrap().is_none(),
                "the moto server exited"
            );
            assert!(
                tokio::time::Instant::now() < deadline,
                "moto never answered on {}",
                moto.url
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let url = moto.url.clone();
        let output = tokio::task::spawn_blocking(move || {
            Command::new("python3")
                .arg(helper("setup_iam.py"))
                .arg(url)
                .output()
        })
        .await
        .unwrap()
        .unwrap();
        assert!(
            output.status.success(),
            "IAM set-up failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        let mut words = stdout.split_whitespace();
        moto.access_key_id = words.next().unwrap().to_string();
        moto.secret_access_key = words.next().unwrap().to_string();
        assert!(moto.access_key_id.starts_with("AKIA"), "{stdout}");
        moto
    }

    /// moto's `/moto-api/data.json`, `None` while it does not answer.
    async fn data(&self) -> Option<Value> {
        let answer = reqwest::get(format!("{}/moto-api/data.json", self.url))
            .await
            .ok()?;
        if !answer.status().is_success() {
            return None;
        }
        answer.json().await.ok()
    }

    /// The SMS moto recorded (`sns.SMS`).
    async fn sms(&self) -> Vec<Value> {
        let data = self.data().await.expect("moto answers");
        data["sns"]["SMS"].as_array().cloned().unwrap_or_default()
    }

    fn config(&self, secret: &str, sender_id: Option<&str>) -> AwsSnsConfig {
        AwsSnsConfig {
            region: REGION.into(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: Secret::new(secret),
            endpoint: Some(self.url.clone()),
            sender_id: sender_id.map(str::to_string),
            timeout_ms: 5_000,
            connect_timeout_ms: 1_000,
            ..AwsSnsConfig::default()
        }
    }
}

fn message(body: &str, sms_type: SmsType) -> OutboundMessage {
    OutboundMessage {
        id: MessageId(42),
        recipient: PHONE.into(),
        body: body.into(),
        sms_type,
        expire_at: None,
        segments: vec![OutboundSegment {
            seq: 1,
            pdu_hex: String::new(),
            tpdu_length: 0,
        }],
    }
}

fn attribute<'a>(sms: &'a Value, name: &str) -> &'a Value {
    &sms["message_attributes"][name]["Value"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sns_route_publishes_to_moto_with_a_signature_moto_accepts() {
    if !moto_available() {
        return;
    }
    let moto = Moto::start().await;
    let route = AwsSnsRoute::new(&moto.config(&moto.secret_access_key, Some("ACME"))).unwrap();
    let text = "Hi ✓ & = + % 100 ünïcödé";
    let receipts = route
        .send(&message(text, SmsType::Transactional))
        .await
        .unwrap_or_else(|e| panic!("moto refused the publish: {e}"));
    assert_eq!(receipts.len(), 1);
    let id = receipts[0].provider_id.clone().expect("a MessageId");
    let sms = moto.sms().await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0]["message_id"], id.as_str());
    assert_eq!(sms[0]["phone_number"], PHONE);
    assert_eq!(sms[0]["message"], text);
    assert_eq!(attribute(&sms[0], "AWS.SNS.SMS.SenderID"), "ACME");
    assert_eq!(attribute(&sms[0], "AWS.SNS.SMS.SMSType"), "Transactional");
    assert_eq!(
        sms[0]["message_attributes"]["AWS.SNS.SMS.SMSType"]["Type"],
        "String"
    );

    // A promotional message without a sender id.
    let route = AwsSnsRoute::new(&moto.config(&moto.secret_access_key, None)).unwrap();
    let receipts = route
        .send(&message("Sale", SmsType::Promotional))
        .await
        .unwrap();
    let sms = moto.sms().await;
    assert_eq!(sms.len(), 2, "{sms:?}");
    let promo = sms
        .iter()
        .find(|s| s["message_id"] == receipts[0].provider_id.as_deref().unwrap())
        .unwrap();
    assert_eq!(promo["message"], "Sale");
    assert_eq!(attribute(promo, "AWS.SNS.SMS.SMSType"), "Promotional");
    assert!(
        promo["message_attributes"]
            .get("AWS.SNS.SMS.SenderID")
            .is_none(),
        "{promo}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_refuses_a_wrong_secret_or_an_unknown_key_and_the_route_is_broken() {
    if !moto_available() {
        return;
    }
    let moto = Moto::start().await;
    let mut wrong = moto.secret_access_key.clone();
    wrong.pop();
    wrong.push('x');
    assert_ne!(wrong, moto.secret_access_key);
    let route = AwsSnsRoute::new(&moto.config(&wrong, Some("ACME"))).unwrap();
    let e = route
        .send(&message("never", SmsType::Otp))
        .await
        .expect_err("moto must refuse a wrong signature");
    assert_eq!(e.class, ErrorClass::RouteBroken, "{e}");
    assert!(e.message.contains("SignatureDoesNotMatch"), "{e}");
    assert!(e.message.contains("HTTP 403"), "{e}");
    assert!(!e.message.contains(&wrong), "no secret in errors: {e}");

    let mut unknown = moto.config(&moto.secret_access_key, None);
    unknown.access_key_id = "AKIAUNKNOWNUNKNOWN00".into();
    let e = AwsSnsRoute::new(&unknown)
        .unwrap()
        .send(&message("never", SmsType::Otp))
        .await
        .expect_err("moto must refuse an unknown key");
    assert_eq!(e.class, ErrorClass::RouteBroken, "{e}");
    assert!(e.message.contains("InvalidClientTokenId"), "{e}");
    assert!(moto.sms().await.is_empty(), "nothing was recorded");

    // The right secret on the same server works: the refusals were about the signature.
    let route = AwsSnsRoute::new(&moto.config(&moto.secret_access_key, None)).unwrap();
    route.send(&message("ok", SmsType::Otp)).await.unwrap();
    assert_eq!(moto.sms().await.len(), 1);
}

async fn call(app: &smsgate::http::App, method: &str, path: &str, body: Option<Value>) -> Value {
    let req = axum::http::Request::builder().method(method).uri(path);
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert!(
        status == StatusCode::OK || status == StatusCode::ACCEPTED,
        "{method} {path}: {status} {v}"
    );
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_routing_transactional_to_aws_sns_sends_through_moto() {
    if !moto_available() {
        return;
    }
    let moto = Moto::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.storage.path = dir.path().join("smsgate.db");
    config.simulator.latency_ms = (0, 0);
    config.dispatch.poll_interval_ms = 20;
    config.providers.aws_sns = Some(AwsSnsConfig {
        cost_per_message: Some(0.00645),
        ..moto.config(&moto.secret_access_key, Some("ACME"))
    });
    config.routing.transactional = vec!["aws_sns".into()];
    config.validate().expect("a valid test config");
    let daemon = Daemon::start(&config).await.expect("daemon starts");
    let app = daemon.router();
    let text = "Your parcel is on its way";
    let answer = call(
        &app,
        "POST",
        "/api/sms/send",
        Some(json!({"to": MOBILE, "message": text, "sms_type": "transactional"})),
    )
    .await;
    let id = answer["messages"][0]["id"].clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let detail = loop {
        let v = call(&app, "GET", &format!("/api/sms/{id}"), None).await;
        if v["status"] == "sent" || v["status"] == "failed" {
            break v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never sent; last answer {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(detail["status"], "sent", "{detail}");
    assert_eq!(detail["route"], "aws_sns", "{detail}");
    let segment = &detail["segments_detail"][0];
    assert_eq!(segment["route"], "aws_sns", "{detail}");
    assert_eq!(segment["cost"], json!(0.00645), "{detail}");
    let provider_id = segment["provider_id"].as_str().expect("a provider id");
    let sms = moto.sms().await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0]["message_id"], provider_id, "{detail}");
    assert_eq!(sms[0]["phone_number"], MOBILE);
    assert_eq!(sms[0]["message"], text);
    assert_eq!(attribute(&sms[0], "AWS.SNS.SMS.SMSType"), "Transactional");
    assert_eq!(attribute(&sms[0], "AWS.SNS.SMS.SenderID"), "ACME");
    daemon.stop().await;
}
