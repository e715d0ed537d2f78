//! What a failed send means for the message and for the modem: the classification of
//! `+CMS ERROR` codes (3GPP TS 27.005 §3.2.5, whose 0–127 are the RP causes of TS 24.011
//! §8.2.5.4 and 128–255 the TP-FCS values of TS 23.040 §9.2.3.22) and of engine failures.
//!
//! The dispatcher decides with this: a permanent error fails the message at once (retrying
//! a barred or unassigned number elsewhere only costs money), "retry here" waits and tries
//! the same modem, "retry elsewhere" moves the message to another route, "modem broken"
//! also takes the modem out of rotation until recovery.

use crate::at::AtError;

pub use crate::route::ErrorClass;

/// Classifies a `+CMS ERROR` code.
pub fn classify_cms(code: u16) -> ErrorClass {
    use ErrorClass::*;
    match code {
        // RP causes: the number or the subscription is the problem.
        1 | 8 | 10 | 21 | 28 | 29 | 30 | 50 | 69 | 95 | 96 | 97 | 98 | 99 | 111 => Permanent,
        // Destination out of service, network out of order, temporary failure, congestion,
        // resources unavailable, interworking: the network is struggling.
        27 | 38 | 41 | 42 | 47 | 127 => RetryElsewhere,
        // TP-FCS: telematic/TP-PID/TP-DCS/command problems with the message itself…
        128..=175 => Permanent,
        // …SC busy, no SC subscription, SC system failure, SC ID invalid: another route.
        192..=195 => RetryElsewhere,
        // ME failure, SIM problems, memory failure.
        300 | 310 | 311 | 312 | 313 | 315 | 316 | 317 | 318 | 320 => RouteBroken,
        // SMS service reserved, SIM busy, unknown error (often transient on USB sticks).
        301 | 314 | 500 => RetryHere,
        // Operation not allowed/supported, SMSC unknown, no network service.
        302 | 303 | 330 | 331 => RetryElsewhere,
        // Network timeout.
        332 => RetryHere,
        // Invalid PDU or text parameter: our message is malformed for this modem.
        304 | 305 => Permanent,
        // Vendor-specific (512+) and everything else: worth one more try here.
        _ => RetryHere,
    }
}

/// Classifies a failed send as the engine reported it.
pub fn classify_send_error(error: &AtError) -> ErrorClass {
    match error {
        AtError::Cms(code) => code.number().map_or(ErrorClass::RetryHere, classify_cms),
        AtError::Cme(code) => match code.number() {
            Some(10..=18) => ErrorClass::RouteBroken,
            Some(30 | 31) => ErrorClass::RetryElsewhere,
            _ => ErrorClass::RetryHere,
        },
        AtError::Error | AtError::CallResult(_) => ErrorClass::RetryHere,
        // No prompt: nothing was sent; the modem is not answering properly.
        AtError::NoPrompt(_) => ErrorClass::RouteBroken,
        // The PDU was written and no answer came.
        AtError::Timeout(_) => ErrorClass::Ambiguous,
        AtError::Closed | AtError::Io(_) => ErrorClass::RouteBroken,
        // The PDU was written and the port vanished before the answer (unplugged mid-send):
        // the network may have it.
        AtError::ClosedAfterBody => ErrorClass::Ambiguous,
        AtError::InvalidCommand(_) => ErrorClass::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::ErrorCode;
    use std::time::Duration;

    #[test]
    fn representative_codes() {
        assert_eq!(classify_cms(1), ErrorClass::Permanent); // unassigned number
        assert_eq!(classify_cms(42), ErrorClass::RetryElsewhere); // congestion
        assert_eq!(classify_cms(500), ErrorClass::RetryHere);
        assert_eq!(classify_cms(310), ErrorClass::RouteBroken); // SIM not inserted
        assert_eq!(classify_cms(331), ErrorClass::RetryElsewhere); // no network service
        assert_eq!(classify_cms(304), ErrorClass::Permanent);
        assert_eq!(classify_cms(600), ErrorClass::RetryHere);
    }

    #[test]
    fn engine_failures() {
        assert_eq!(
            classify_send_error(&AtError::ClosedAfterBody),
            ErrorClass::Ambiguous
        );
        assert_eq!(
            classify_send_error(&AtError::Timeout(Duration::from_secs(1))),
            ErrorClass::Ambiguous
        );
        assert_eq!(
            classify_send_error(&AtError::NoPrompt(Duration::from_secs(1))),
            ErrorClass::RouteBroken
        );
        assert_eq!(
            classify_send_error(&AtError::Cms(ErrorCode::Text(
                "SMSC address unknown".into()
            ))),
            ErrorClass::RetryElsewhere
        );
    }
}
