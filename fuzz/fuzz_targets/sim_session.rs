//! Fuzz target: any bytes a host writes to a simulated modem's port — command lines,
//! prompts, bodies, control characters, invalid UTF-8 — never panic the simulator, and the
//! modem still answers `AT` afterwards (after ESC leaves any prompt and a reopen clears a
//! hang or reboot).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::sim::{InboundOptions, SimNetwork};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let net = SimNetwork::with_modems(2);
        let _ = net.inject_inbound(0, "+4477009001", "stored before", InboundOptions::default());
        let mut port = net.connect(0);
        let _ = port.write_all(data).await;
        // Let timers (latency, reboot, +CNMA) run, and drain whatever came back.
        let mut sink = vec![0u8; 64 * 1024];
        while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(20), port.read(&mut sink)).await {
            if n == 0 {
                break;
            }
        }
        let mut port = net.connect(0);
        port.write_all(b"\x1b\rAT\r").await.expect("the port is open");
        let mut answer = Vec::new();
        while !answer.windows(4).any(|w| w == b"OK\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(5), port.read(&mut sink))
                .await
                .expect("the modem answers after a reopen")
                .expect("read");
            assert!(n > 0, "port closed");
            answer.extend_from_slice(&sink[..n]);
        }
    });
});
