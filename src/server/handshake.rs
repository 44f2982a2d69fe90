//! go-plugin's launch handshake: the magic cookie, protocol version
//! negotiation, the listener and the one line printed to stdout.
//!
//! Terraform starts the provider with a few environment variables and reads
//! exactly one line from its stdout:
//! `CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT`.

use std::io;
use std::path::PathBuf;

use base64::Engine as _;

/// The environment variable Terraform sets to prove it launched us.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value Terraform puts in [`MAGIC_COOKIE_KEY`] (a fixed public constant,
/// not a secret: it only stops the binary from being run by accident).
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's own handshake version.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol major version we speak.
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// What went wrong before the server could start.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The binary was run by hand instead of by Terraform.
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins, which will\n\
         load any plugins automatically (for this one: terraform or tofu).\n\
         To debug the provider, run it with --debug."
    )]
    MissingCookie,
    /// Terraform offered no protocol version we speak.
    #[error(
        "Terraform offered plugin protocol versions [{offered}], but this provider only \
         speaks protocol {APP_PROTOCOL_VERSION}. Use Terraform 1.0 or newer, or OpenTofu."
    )]
    NoCompatibleVersion {
        /// The versions Terraform offered.
        offered: String,
    },
    /// `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` were not usable.
    #[error("invalid plugin port range: {0}")]
    PortRange(String),
    /// The listener could not be created.
    #[error("could not listen for Terraform: {0}")]
    Listen(#[from] io::Error),
}

/// The launch environment, read once so it can be tested without touching
/// the process environment.
#[derive(Clone, Debug, Default)]
pub struct LaunchEnv {
    /// `TF_PLUGIN_MAGIC_COOKIE`.
    pub magic_cookie: Option<String>,
    /// `PLUGIN_PROTOCOL_VERSIONS`, e.g. `5,6`.
    pub protocol_versions: Option<String>,
    /// `PLUGIN_CLIENT_CERT`: the PEM certificate Terraform will present.
    pub client_cert: Option<String>,
    /// `TF_DISABLE_PLUGIN_TLS` set to anything non-empty.
    pub disable_tls: bool,
    /// `PLUGIN_UNIX_SOCKET_DIR`.
    pub unix_socket_dir: Option<PathBuf>,
    /// `PLUGIN_MIN_PORT` (TCP listeners only).
    pub min_port: Option<String>,
    /// `PLUGIN_MAX_PORT` (TCP listeners only).
    pub max_port: Option<String>,
}

impl LaunchEnv {
    /// Reads the launch variables from the process environment.
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self {
            magic_cookie: var(MAGIC_COOKIE_KEY),
            protocol_versions: var("PLUGIN_PROTOCOL_VERSIONS"),
            client_cert: var("PLUGIN_CLIENT_CERT"),
            disable_tls: var("TF_DISABLE_PLUGIN_TLS").is_some(),
            unix_socket_dir: var("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from),
            min_port: var("PLUGIN_MIN_PORT"),
            max_port: var("PLUGIN_MAX_PORT"),
        }
    }

    /// Checks that Terraform launched us.
    pub fn check_cookie(&self) -> Result<(), HandshakeError> {
        match self.magic_cookie.as_deref() {
            Some(MAGIC_COOKIE_VALUE) => Ok(()),
            _ => Err(HandshakeError::MissingCookie),
        }
    }

    /// Picks protocol 6 from the versions Terraform offers. With no list,
    /// go-plugin falls back to the server's own version, which is 6.
    pub fn negotiate_version(&self) -> Result<u32, HandshakeError> {
        let Some(offered) = &self.protocol_versions else {
            return Ok(APP_PROTOCOL_VERSION);
        };
        let speaks_6 = offered
            .split(',')
            .any(|v| v.trim().parse::<u32>() == Ok(APP_PROTOCOL_VERSION));
        if speaks_6 {
            Ok(APP_PROTOCOL_VERSION)
        } else {
            Err(HandshakeError::NoCompatibleVersion {
                offered: offered.clone(),
            })
        }
    }

    /// The TCP port range for platforms without unix sockets.
    pub fn port_range(&self) -> Result<(u16, u16), HandshakeError> {
        let parse = |v: &Option<String>, default: u16, name: &str| match v {
            None => Ok(default),
            Some(s) => s
                .parse::<u16>()
                .map_err(|e| HandshakeError::PortRange(format!("{name}={s:?}: {e}"))),
        };
        let min = parse(&self.min_port, 10000, "PLUGIN_MIN_PORT")?;
        let max = parse(&self.max_port, 25000, "PLUGIN_MAX_PORT")?;
        if min > max {
            return Err(HandshakeError::PortRange(format!(
                "PLUGIN_MIN_PORT {min} is above PLUGIN_MAX_PORT {max}"
            )));
        }
        Ok((min, max))
    }
}

/// The line Terraform reads from our stdout once the listener is bound.
/// `server_cert_der` is empty when TLS is off.
pub fn handshake_line(network: &str, address: &str, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{network}|{address}|grpc|{cert}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> LaunchEnv {
        LaunchEnv {
            magic_cookie: Some(MAGIC_COOKIE_VALUE.into()),
            ..LaunchEnv::default()
        }
    }

    #[test]
    fn cookie_must_match() {
        assert!(env().check_cookie().is_ok());
        let wrong = LaunchEnv {
            magic_cookie: Some("nope".into()),
            ..env()
        };
        assert!(matches!(
            wrong.check_cookie(),
            Err(HandshakeError::MissingCookie)
        ));
        assert!(LaunchEnv::default().check_cookie().is_err());
    }

    #[test]
    fn version_negotiation_decision_table() {
        let cases: &[(Option<&str>, Option<u32>)] = &[
            (None, Some(6)),
            (Some("5,6"), Some(6)),
            (Some("6"), Some(6)),
            (Some(" 4 , 6 "), Some(6)),
            (Some("5"), None),
            (Some("4,5,7"), None),
            (Some("garbage"), None),
        ];
        for (offered, want) in cases {
            let e = LaunchEnv {
                protocol_versions: offered.map(str::to_owned),
                ..env()
            };
            assert_eq!(e.negotiate_version().ok(), *want, "offered {offered:?}");
        }
    }

    #[test]
    fn handshake_line_shapes() {
        assert_eq!(
            handshake_line("unix", "/tmp/x/plugin.sock", None),
            "1|6|unix|/tmp/x/plugin.sock|grpc|"
        );
        // Standard base64 without padding: 4 bytes encode to 6 characters.
        assert_eq!(
            handshake_line("tcp", "127.0.0.1:10000", Some(&[1, 2, 3, 4])),
            "1|6|tcp|127.0.0.1:10000|grpc|AQIDBA"
        );
    }

    #[test]
    fn port_range_validation() {
        assert_eq!(env().port_range().unwrap(), (10000, 25000));
        let bad = LaunchEnv {
            min_port: Some("9".into()),
            max_port: Some("8".into()),
            ..env()
        };
        assert!(bad.port_range().is_err());
    }
}
