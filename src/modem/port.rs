//! Where a modem is reached: a serial device (`/dev/ttyUSB2`, `/dev/serial/by-id/…@115200`)
//! or a TCP endpoint (`tcp://127.0.0.1:7000`: ser2net, network modem pools, the
//! simulator), and opening it as one byte stream for the AT engine.
//!
//! The only place in the crate that opens a serial port.

use std::fmt;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream to a modem.
pub trait Link: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Link for T {}

/// The default serial speed: what nearly every USB modem's AT port accepts.
pub const DEFAULT_BAUD: u32 = 115_200;

/// Hardware flow control on a serial port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowControl {
    /// None (USB modems ignore it).
    #[default]
    None,
    /// RTS/CTS, for real RS-232 modems.
    Hardware,
}

/// A parsed port specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// A serial device.
    Serial {
        /// Device path.
        path: String,
        /// Line speed in bits per second.
        baud: u32,
        /// Flow control.
        flow: FlowControl,
    },
    /// A TCP endpoint (`host:port`).
    Tcp(String),
}

/// Why a port could not be used.
#[derive(Debug, Error)]
pub enum PortError {
    /// The specification does not parse.
    #[error("invalid port {spec:?}: {why}")]
    Invalid {
        /// As given.
        spec: String,
        /// What is wrong.
        why: &'static str,
    },
    /// Opening failed (no such device, busy — often ModemManager holding it —, refused).
    #[error("cannot open {port}: {source}")]
    Open {
        /// The port.
        port: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl PortSpec {
    /// Parses `tcp://host:port`, or `PATH[@BAUD]`.
    pub fn parse(spec: &str) -> Result<Self, PortError> {
        let invalid = |why| PortError::Invalid {
            spec: spec.to_string(),
            why,
        };
        let spec_trimmed = spec.trim();
        if let Some(addr) = spec_trimmed.strip_prefix("tcp://") {
            let (host, port) = addr
                .rsplit_once(':')
                .ok_or_else(|| invalid("expected tcp://host:port"))?;
            if host.is_empty() || port.parse::<u16>().is_err() {
                return Err(invalid("expected tcp://host:port with a port number"));
            }
            return Ok(PortSpec::Tcp(addr.to_string()));
        }
        if spec_trimmed.is_empty() {
            return Err(invalid("empty"));
        }
        let (path, baud) = match spec_trimmed.rsplit_once('@') {
            Some((path, baud)) => (
                path,
                baud.parse()
                    .map_err(|_| invalid("the speed after @ is a number"))?,
            ),
            None => (spec_trimmed, DEFAULT_BAUD),
        };
        Ok(PortSpec::Serial {
            path: path.to_string(),
            baud,
            flow: FlowControl::None,
        })
    }

    /// Opens the port.
    pub async fn open(&self, timeout: Duration) -> Result<Box<dyn Link>, PortError> {
        let fail = |source| PortError::Open {
            port: self.to_string(),
            source,
        };
        match self {
            PortSpec::Tcp(addr) => {
                let connect = tokio::net::TcpStream::connect(addr.as_str());
                let stream = tokio::time::timeout(timeout, connect)
                    .await
                    .map_err(|_| fail(std::io::ErrorKind::TimedOut.into()))?
                    .map_err(fail)?;
                let _ = stream.set_nodelay(true);
                Ok(Box::new(stream))
            }
            PortSpec::Serial { path, baud, flow } => {
                use tokio_serial::SerialPortBuilderExt;
                let flow = match flow {
                    FlowControl::None => tokio_serial::FlowControl::None,
                    FlowControl::Hardware => tokio_serial::FlowControl::Hardware,
                };
                let mut port = tokio_serial::new(path, *baud)
                    .flow_control(flow)
                    .timeout(timeout)
                    .open_native_async()
                    .map_err(|e| fail(e.into()))?;
                // Another process must not open the same port and steal our answers.
                #[cfg(unix)]
                let _ = port.set_exclusive(true);
                Ok(Box::new(port))
            }
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Tcp(addr) => write!(f, "tcp://{addr}"),
            PortSpec::Serial { path, baud, .. } => write!(f, "{path}@{baud}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_port_forms() {
        assert_eq!(
            PortSpec::parse("tcp://127.0.0.1:7000").unwrap(),
            PortSpec::Tcp("127.0.0.1:7000".into())
        );
        assert_eq!(
            PortSpec::parse("/dev/ttyUSB2@9600").unwrap(),
            PortSpec::Serial {
                path: "/dev/ttyUSB2".into(),
                baud: 9600,
                flow: FlowControl::None
            }
        );
        assert!(matches!(
            PortSpec::parse("/dev/ttyUSB2").unwrap(),
            PortSpec::Serial { baud: 115_200, .. }
        ));
        assert!(PortSpec::parse("tcp://nohost").is_err());
        assert!(PortSpec::parse("tcp://:80").is_err());
        assert!(PortSpec::parse("/dev/x@fast").is_err());
        assert!(PortSpec::parse("").is_err());
    }
}
