//! Operator commands against the running daemon, over its HTTP API (see `client.rs`):
//! `smsgate status`, `send`, `modems`, `ussd`, `reload`. Each prints a readable, aligned
//! table or a few lines — or, with `--json`, the API's JSON as it came, for scripts.

use super::client::Connection;
use clap::Args;
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    conn: Connection,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Recipient (E.164); repeat for several.
    #[arg(long, required = true, num_args = 1..)]
    to: Vec<String>,
    /// The text.
    #[arg(long)]
    text: String,
    #[command(flatten)]
    conn: Connection,
}

#[derive(Debug, Args)]
pub struct ModemsArgs {
    #[command(flatten)]
    conn: Connection,
}

#[derive(Debug, Args)]
pub struct UssdArgs {
    /// The modem's name (as `smsgate modems` lists it).
    modem: String,
    /// The USSD code (`*100#`) or, in a session, the answer to the menu.
    code: String,
    /// Continue this USSD session (the `session_id` a previous answer gave).
    #[arg(long)]
    session: Option<String>,
    #[command(flatten)]
    conn: Connection,
}

#[derive(Debug, Args)]
pub struct ReloadArgs {
    #[command(flatten)]
    conn: Connection,
}

/// Rows as columns padded to their widest cell (the last column is not padded).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                let pad = widths.get(i).copied().unwrap_or(0);
                out.push_str(&format!("{cell:<pad$}  "));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// A JSON value as a cell: strings bare, null as `-`.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `v` at the JSON pointer `path` (null when absent).
fn field<'a>(v: &'a Value, path: &str) -> &'a Value {
    v.pointer(path).unwrap_or(&Value::Null)
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn modem_rows(modems: &Value) -> Vec<Vec<String>> {
    modems
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|m| {
            vec![
                cell(field(m, "/name")),
                cell(field(m, "/state")),
                cell(field(m, "/identity/msisdn")),
                cell(field(m, "/network/operator")),
                field(m, "/network/signal_dbm")
                    .as_i64()
                    .map_or("-".into(), |d| format!("{d} dBm")),
                cell(field(m, "/route/in_flight")),
                cell(field(m, "/route/sent_segments")),
            ]
        })
        .collect()
}

const MODEM_HEADER: &[&str] = &[
    "MODEM",
    "STATE",
    "NUMBER",
    "OPERATOR",
    "SIGNAL",
    "IN FLIGHT",
    "SENT",
];

/// `smsgate status`: queue, modems, routes and their rate allowance.
pub fn status(args: StatusArgs) -> anyhow::Result<()> {
    let client = args.conn.connect()?;
    // /readyz answers 503 when no route can send: that is a status too, not an error.
    let ready = client
        .get("/readyz")
        .unwrap_or_else(|_| json!({"ready": false, "queue_depth": null}));
    let modems = client.get("/api/modems")?;
    let routes = client.get("/api/routes")?;
    if args.conn.json {
        return print_json(&json!({
            "ready": field(&ready, "/ready"),
            "queue_depth": field(&ready, "/queue_depth"),
            "modems": field(&modems, "/modems"),
            "routes": field(&routes, "/routes"),
        }));
    }
    println!(
        "ready: {}   queued: {}",
        if field(&ready, "/ready") == true {
            "yes"
        } else {
            "no"
        },
        cell(field(&ready, "/queue_depth"))
    );
    println!();
    println!(
        "{}",
        table(MODEM_HEADER, &modem_rows(field(&modems, "/modems")))
    );
    println!();
    let rows: Vec<Vec<String>> = field(&routes, "/routes")
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            vec![
                cell(field(r, "/name")),
                cell(field(r, "/kind")),
                if field(r, "/ready") == true {
                    "yes"
                } else {
                    "no"
                }
                .into(),
                cell(field(r, "/weight")),
                cell(field(r, "/in_flight")),
                cell(field(r, "/sent_segments")),
                field(r, "/allowance")
                    .as_u64()
                    .map_or("unlimited".into(), |n| format!("{n} segments")),
            ]
        })
        .collect();
    println!(
        "{}",
        table(
            &[
                "ROUTE",
                "KIND",
                "READY",
                "WEIGHT",
                "IN FLIGHT",
                "SENT",
                "RATE ALLOWANCE"
            ],
            &rows
        )
    );
    Ok(())
}

/// `smsgate modems`.
pub fn modems(args: ModemsArgs) -> anyhow::Result<()> {
    let client = args.conn.connect()?;
    let modems = client.get("/api/modems")?;
    if args.conn.json {
        return print_json(&modems);
    }
    println!(
        "{}",
        table(MODEM_HEADER, &modem_rows(field(&modems, "/modems")))
    );
    Ok(())
}

/// `smsgate send --to … --text …`: one line per message, its id and status.
pub fn send(args: SendArgs) -> anyhow::Result<()> {
    let client = args.conn.connect()?;
    let answer = client.post(
        "/api/sms/send",
        Some(json!({"to": args.to, "message": args.text})),
    )?;
    if args.conn.json {
        return print_json(&answer);
    }
    let rows: Vec<Vec<String>> = field(&answer, "/messages")
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|m| {
            vec![
                cell(field(m, "/id")),
                cell(field(m, "/status")),
                cell(field(m, "/to")),
                cell(field(m, "/segments")),
            ]
        })
        .collect();
    println!("{}", table(&["ID", "STATUS", "TO", "SEGMENTS"], &rows));
    for r in field(&answer, "/rejected")
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        println!("rejected: {r}");
    }
    Ok(())
}

/// `smsgate ussd MODEM CODE [--session ID]`.
pub fn ussd(args: UssdArgs) -> anyhow::Result<()> {
    let client = args.conn.connect()?;
    let mut body = json!({"code": args.code});
    if let (Some(session), Some(map)) = (&args.session, body.as_object_mut()) {
        map.insert("session_id".into(), json!(session));
    }
    let modem: String = url::form_urlencoded::byte_serialize(args.modem.as_bytes()).collect();
    let answer = client.post(&format!("/api/modems/{modem}/ussd"), Some(body))?;
    if args.conn.json {
        return print_json(&answer);
    }
    println!("{}", cell(field(&answer, "/answer")));
    if field(&answer, "/more") == true {
        println!(
            "(the network waits for an answer: smsgate ussd {} REPLY --session {})",
            args.modem,
            cell(field(&answer, "/session_id"))
        );
    }
    Ok(())
}

/// `smsgate reload`: what changed, what needs a restart; an invalid file is an error with
/// `check-config`'s text.
pub fn reload(args: ReloadArgs) -> anyhow::Result<()> {
    let client = args.conn.connect()?;
    let answer = client.post("/api/admin/reload", None)?;
    if args.conn.json {
        return print_json(&answer);
    }
    let list = |v: &Value| -> String {
        let items: Vec<String> = v
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(cell)
            .collect();
        if items.is_empty() {
            "nothing".into()
        } else {
            items.join(", ")
        }
    };
    println!("reloaded: {}", list(field(&answer, "/changed")));
    if field(&answer, "/needs_restart")
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        println!(
            "needs a restart: {}",
            list(field(&answer, "/needs_restart"))
        );
    }
    let m = field(&answer, "/modems");
    for (what, key) in [
        ("added", "/added"),
        ("removed", "/removed"),
        ("changed", "/changed"),
    ] {
        if field(m, key).as_array().is_some_and(|a| !a.is_empty()) {
            println!("modems {what}: {}", list(field(m, key)));
        }
    }
    if let Some(note) = field(&answer, "/modems_note").as_str() {
        println!("note: {note}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_the_widest_cell() {
        let t = table(
            &["A", "LONG HEADER", "C"],
            &[
                vec!["wide cell".into(), "x".into(), "1".into()],
                vec!["b".into(), "yy".into(), "22".into()],
            ],
        );
        assert_eq!(
            t,
            "A          LONG HEADER  C\nwide cell  x            1\nb          yy           22"
        );
    }
}
