//! The `smsgate pdu` command line as external tools use it: JSON on stdout, a non-zero
//! exit and one line on stderr naming the field and offset on bad input.

use serde_json::Value;
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn smsgate(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .args(args)
        .output()
        .expect("run smsgate");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn json(args: &[&str]) -> Value {
    let run = smsgate(args);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

fn pdus(args: &[&str]) -> Vec<(String, u64)> {
    json(args)["pdus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["hex"].as_str().unwrap().to_string(),
                p["tpdu_length"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn encode_single_gsm7_segment_exactly() {
    let out = pdus(&[
        "pdu",
        "encode",
        "--to",
        "+31641600986",
        "--text",
        "hellohello",
    ]);
    // SMSC 00 | 01 SUBMIT | MR 00 | DA | PID 00 | DCS 00 | UDL 0A | packed text.
    assert_eq!(
        out,
        vec![(
            "0001000B911346610089F600000AE8329BFD4697D9EC37".to_string(),
            22
        )]
    );
}

#[test]
fn encode_options_set_their_bits() {
    let out = pdus(&[
        "pdu",
        "encode",
        "--to",
        "+31641600986",
        "--smsc",
        "+31624000000",
        "--class",
        "0",
        "--status-report",
        "--validity",
        "60",
        "--text",
        "hi",
    ]);
    let (hex, len) = &out[0];
    // SMSC prefix, then first octet 0x31 = SUBMIT | VPF relative | SRR; DCS 0x10; VP 0x0B (60 min).
    assert!(
        hex.starts_with("07911326040000F031000B911346610089F600100B02"),
        "{hex}"
    );
    assert_eq!(*len as usize, hex.len() / 2 - 8);
    let decoded = json(&["pdu", "decode", hex]);
    assert_eq!(decoded["type"], "submit");
    assert_eq!(decoded["smsc"], "+31624000000");
    assert_eq!(decoded["recipient"], "+31641600986");
    assert_eq!(decoded["class"], 0);
    assert_eq!(decoded["text"], "hi");
    assert_eq!(decoded["status_report"], true);
    assert_eq!(decoded["validity_minutes"], 60);
}

#[test]
fn ref_up_to_255_uses_the_8_bit_ie_and_above_the_16_bit_ie() {
    let text = "x".repeat(200);
    let small = pdus(&[
        "pdu",
        "encode",
        "--to",
        "+15551234567",
        "--ref",
        "7",
        "--text",
        &text,
    ]);
    assert_eq!(small.len(), 2);
    for (i, (hex, _)) in small.iter().enumerate() {
        let d = json(&["pdu", "decode", hex]);
        assert_eq!(
            d["concat"],
            serde_json::json!({"ref": 7, "total": 2, "seq": i + 1})
        );
        // UDH begins right after UDL: 05 00 03 07 02 seq.
        assert!(hex.contains(&format!("050003070{}", 2)), "{hex}");
    }
    let big = pdus(&[
        "pdu",
        "encode",
        "--to",
        "+15551234567",
        "--ref",
        "300",
        "--text",
        &text,
    ]);
    let d = json(&["pdu", "decode", &big[1].0]);
    assert_eq!(
        d["concat"],
        serde_json::json!({"ref": 300, "total": 2, "seq": 2})
    );
    assert!(big[1].0.contains("060804012C0202"), "{}", big[1].0);
}

#[test]
fn without_ref_a_16_bit_reference_is_shared_by_all_segments() {
    let text = "y".repeat(400);
    let out = pdus(&["pdu", "encode", "--to", "+15551234567", "--text", &text]);
    assert_eq!(out.len(), 3); // 152 + 152 + 96 septets
    let refs: Vec<Value> = out
        .iter()
        .map(|(h, _)| json(&["pdu", "decode", h])["concat"]["ref"].clone())
        .collect();
    assert!(refs.iter().all(|r| *r == refs[0]));
    assert!(
        out[0].0.contains("060804"),
        "16-bit IE expected: {}",
        out[0].0
    );
}

#[test]
fn ucs2_and_8bit_encodings() {
    let out = pdus(&["pdu", "encode", "--to", "+15551234567", "--text", "Hi 😀"]);
    let d = json(&["pdu", "decode", &out[0].0]);
    assert_eq!(
        (d["encoding"].as_str(), d["text"].as_str()),
        (Some("ucs2"), Some("Hi 😀"))
    );
    let out = pdus(&[
        "pdu",
        "encode",
        "--to",
        "+15551234567",
        "--encoding",
        "ucs2",
        "--text",
        "abc",
    ]);
    assert_eq!(json(&["pdu", "decode", &out[0].0])["encoding"], "ucs2");
    let out = pdus(&["pdu", "encode", "--to", "+15551234567", "--hex", "C0FFEE"]);
    let d = json(&["pdu", "decode", &out[0].0]);
    assert_eq!(
        (d["encoding"].as_str(), d["text"].as_str()),
        (Some("8bit"), Some("c0ffee"))
    );
}

#[test]
fn decode_deliver_status_report_fields() {
    let d = json(&[
        "pdu",
        "decode",
        "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
    ]);
    assert_eq!(d["type"], "deliver");
    assert_eq!(d["smsc"], "+27381000015");
    assert_eq!(d["sender"], "27838890001");
    assert_eq!(d["text"], "hellohello");
    assert_eq!(d["encoding"], "gsm7");
    assert_eq!(d["class"], Value::Null);
    assert_eq!(d["concat"], Value::Null);
    assert_eq!(d["timestamp"], "1999-03-29T15:16:59+02:00");

    let r = json(&[
        "pdu",
        "decode",
        "0006D60B911326880736F4111011719551401110117195714000",
    ]);
    assert_eq!(r["type"], "status-report");
    assert_eq!(r["smsc"], Value::Null);
    assert_eq!(r["recipient"], "+31628870634");
    assert_eq!(r["message_ref"], 0xD6);
    assert_eq!(r["status"], 0);
    assert_eq!(r["delivery_status"], "delivered");
    assert_eq!(r["timestamp"], "2011-01-11T17:59:15+01:00");
    assert_eq!(r["discharge_time"], "2011-01-11T17:59:17+01:00");
}

#[test]
fn bad_input_exits_non_zero_with_one_line_naming_field_and_offset() {
    let run = smsgate(&["pdu", "decode", "07917283010010F5040BC872388809"]);
    assert_ne!(run.code, 0);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("TP-OA") && run.stderr.contains("octet 11"),
        "{}",
        run.stderr
    );

    let run = smsgate(&["pdu", "decode", "07ZZ"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("hex at octet 1"), "{}", run.stderr);

    let run = smsgate(&[
        "pdu",
        "encode",
        "--to",
        "+1",
        "--encoding",
        "gsm7",
        "--text",
        "naïve",
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("position 2"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1);

    let run = smsgate(&["pdu", "encode", "--to", "+12ab", "--text", "x"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("--to"), "{}", run.stderr);
}

#[test]
fn count_is_the_segment_calculator() {
    let v = json(&["pdu", "count", "--text", &"a".repeat(161)]);
    assert_eq!(v["encoding"], "gsm7");
    assert_eq!(v["segments"], 2);
    assert_eq!(v["units_per_segment"], 152);
    assert_eq!(v["units_remaining"], 143);
}
