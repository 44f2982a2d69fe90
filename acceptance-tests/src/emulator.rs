//! The local AWS emulator: one process per test, and a blocking client for
//! its control API (`/_emulator/...`, see `notes/emulator-api.md`).
//!
//! Each [`Emulator`] listens on its own ephemeral port, so tests run in
//! parallel; the process is killed when the value is dropped.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::paths;

mod access;
mod health;
pub use access::{CALLER_ACCESS_KEY, CALLER_ACCOUNT};
pub use health::{ClusterIssue, EksGrant};

/// The region used when none is given.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The emulator's account id.
pub const ACCOUNT_ID: &str = "123456789012";

/// Failures starting or talking to the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The venv's Python is missing.
    #[error(
        "the emulator's Python {path} does not exist: run `scripts/install-deps` \
         (creates <repo>/.venv with the emulator's requirements) or set TF_ACC_EMULATOR_PYTHON"
    )]
    PythonMissing {
        /// The Python looked for.
        path: PathBuf,
    },
    /// The process could not be spawned.
    #[error("could not start the emulator ({command}): {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The process did not print `EMULATOR_READY` in time, or exited first.
    #[error(
        "the emulator did not become ready: {reason}\n--- emulator stderr (tail) ---\n{stderr}"
    )]
    NotReady {
        /// Why.
        reason: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// An HTTP request to the emulator failed at the transport level.
    #[error("{method} {url}: {source}")]
    Http {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The ureq error.
        #[source]
        source: Box<ureq::Error>,
    },
    /// The control API answered with an error status.
    #[error("{method} {url} answered {status}: {body}")]
    Status {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The response body.
        body: String,
    },
    /// The control API answered something unexpected.
    #[error("{method} {url}: unexpected response: {reason}")]
    Decode {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// Waiting for an operation to appear in the request log timed out.
    #[error("timed out after {waited:?} waiting for {operation} in the emulator's request log")]
    WaitTimeout {
        /// The operation.
        operation: String,
        /// How long it waited.
        waited: Duration,
    },
}

/// Options for [`Emulator::start_with`].
#[derive(Clone, Debug)]
pub struct EmulatorOptions {
    /// `--update-duration`: how long EKS updates stay InProgress (seconds).
    pub update_duration_seconds: f64,
    /// `--seed`, e.g. `quickstart`.
    pub seed: Option<String>,
    /// How long to wait for `EMULATOR_READY`.
    pub ready_timeout: Duration,
    /// `--https-dir`: also serve HTTPS with a test CA made at start-up (see
    /// [`Emulator::https_url`] and [`Emulator::ca_bundle`]).
    pub https: bool,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            update_duration_seconds: 1.0,
            seed: None,
            ready_timeout: Duration::from_secs(60),
            https: false,
        }
    }
}

/// A running emulator process and a client for it.
pub struct Emulator {
    child: Child,
    url: String,
    https_url: Option<String>,
    agent: ureq::Agent,
    logs: tempfile::TempDir,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url)
            .field("pid", &self.child.id())
            .finish()
    }
}

/// A KMS key to create with [`Emulator::create_key`] (the body of
/// `POST /_emulator/keys`). Build with [`KeySpec::symmetric`] and the setters.
#[derive(Clone, Debug, Serialize)]
pub struct KeySpec {
    /// `alias/name` to point at the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `SYMMETRIC_DEFAULT`, `RSA_2048`, `ECC_NIST_P256`, ...
    pub key_spec: String,
    /// `ENCRYPT_DECRYPT` or `SIGN_VERIFY`.
    pub key_usage: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`, `Unavailable`.
    pub state: String,
    /// Whether DescribeKey reports `KeyManager=AWS`.
    pub aws_managed: bool,
    /// Key rotation.
    pub rotation: bool,
    /// Region.
    pub region: String,
    /// Owning account (default: the emulator's, [`ACCOUNT_ID`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl KeySpec {
    /// An enabled symmetric ENCRYPT_DECRYPT customer managed key in us-east-1.
    pub fn symmetric() -> Self {
        KeySpec {
            alias: None,
            description: None,
            key_spec: "SYMMETRIC_DEFAULT".into(),
            key_usage: "ENCRYPT_DECRYPT".into(),
            state: "Enabled".into(),
            aws_managed: false,
            rotation: true,
            region: DEFAULT_REGION.into(),
            account: None,
        }
    }
    /// Creates the key in another account.
    pub fn account(mut self, account: &str) -> Self {
        self.account = Some(account.into());
        self
    }
    /// Sets the alias (`alias/name`).
    pub fn alias(mut self, alias: &str) -> Self {
        self.alias = Some(alias.into());
        self
    }
    /// Sets the key spec.
    pub fn key_spec(mut self, spec: &str) -> Self {
        self.key_spec = spec.into();
        self
    }
    /// Sets the key usage.
    pub fn key_usage(mut self, usage: &str) -> Self {
        self.key_usage = usage.into();
        self
    }
    /// Sets the key state.
    pub fn state(mut self, state: &str) -> Self {
        self.state = state.into();
        self
    }
    /// Makes the key AWS managed.
    pub fn aws_managed(mut self) -> Self {
        self.aws_managed = true;
        self
    }
    /// Sets the region.
    pub fn region(mut self, region: &str) -> Self {
        self.region = region.into();
        self
    }
}

/// A created key.
#[derive(Clone, Debug, Deserialize)]
pub struct Key {
    /// Key id (UUID).
    pub key_id: String,
    /// Key ARN.
    pub key_arn: String,
    /// Alias ARN, when created with an alias.
    #[serde(default)]
    pub alias_arn: Option<String>,
}

/// An EKS cluster to create with [`Emulator::create_cluster`].
#[derive(Clone, Debug, Serialize)]
pub struct ClusterSpec {
    /// Name.
    pub name: String,
    /// Kubernetes version.
    pub version: String,
    /// Region.
    pub region: String,
    /// Customer managed key already associated (key ARN, alias or alias ARN).
    pub key_arn: Option<String>,
    /// Status (`ACTIVE`, ...).
    pub status: String,
    /// Owning account (default: the emulator's, [`ACCOUNT_ID`]); only callers
    /// whose credentials belong to it see the cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl ClusterSpec {
    /// An ACTIVE 1.31 cluster without a customer managed key in us-east-1.
    pub fn new(name: &str) -> Self {
        ClusterSpec {
            name: name.into(),
            version: "1.31".into(),
            region: DEFAULT_REGION.into(),
            key_arn: None,
            status: "ACTIVE".into(),
            account: None,
        }
    }
    /// Creates the cluster in another account.
    pub fn account(mut self, account: &str) -> Self {
        self.account = Some(account.into());
        self
    }
    /// Sets the Kubernetes version.
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.into();
        self
    }
    /// Sets the region.
    pub fn region(mut self, region: &str) -> Self {
        self.region = region.into();
        self
    }
    /// Associates a key from the start.
    pub fn key_arn(mut self, key: &str) -> Self {
        self.key_arn = Some(key.into());
        self
    }
    /// Sets the status.
    pub fn status(mut self, status: &str) -> Self {
        self.status = status.into();
        self
    }
}

/// A created cluster.
#[derive(Clone, Debug, Deserialize)]
pub struct Cluster {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Kubernetes version.
    #[serde(default)]
    pub version: String,
    /// Status.
    #[serde(default)]
    pub status: String,
}

/// A fault to inject with [`Emulator::add_fault`].
#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    /// Operation name, or `*`.
    pub operation: String,
    /// `throttle`, `server_error`, `drop`, `latency` or `hang`.
    pub kind: String,
    /// How many matching requests it affects.
    pub count: u32,
    /// For `latency` and `hang`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

impl Fault {
    /// `count` faults of `kind` on `operation`.
    pub fn new(operation: &str, kind: &str, count: u32) -> Self {
        Fault {
            operation: operation.into(),
            kind: kind.into(),
            count,
            latency_ms: None,
        }
    }
}

/// One AWS request the emulator answered (an entry of `GET /_emulator/requests`).
#[derive(Clone, Debug, Deserialize)]
pub struct RequestRecord {
    /// Sequence number, from 1 since the last clear.
    #[serde(default)]
    pub seq: u64,
    /// `eks`, `kms` or `sts`.
    #[serde(default)]
    pub service: String,
    /// Operation name, e.g. `AssociateEncryptionConfig`.
    #[serde(default)]
    pub operation: String,
    /// HTTP method.
    #[serde(default)]
    pub method: String,
    /// Path.
    #[serde(default)]
    pub path: String,
    /// HTTP status (None when the connection was dropped).
    #[serde(default)]
    pub status: Option<u16>,
    /// Region.
    #[serde(default)]
    pub region: String,
    /// Request id.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Request body.
    #[serde(default)]
    pub body: Option<Value>,
    /// When the emulator answered (Unix seconds, millisecond precision).
    #[serde(default)]
    pub time: Option<f64>,
    /// The access key id that signed the request (from its SigV4 credential
    /// scope; None when unsigned). Secrets are never logged.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// The account the request was served as.
    #[serde(default)]
    pub account: Option<String>,
}

impl RequestRecord {
    /// Whether the operation changes something: anything that is not
    /// `Describe*`, `List*` or `Get*` (STS `GetCallerIdentity` is a read),
    /// nor a KMS call with `DryRun: true` (which KMS never carries out).
    pub fn is_mutating(&self) -> bool {
        let dry_run = self
            .body
            .as_ref()
            .and_then(|b| b.get("DryRun"))
            .and_then(Value::as_bool)
            == Some(true);
        is_mutating_operation(&self.operation) && !(self.service == "kms" && dry_run)
    }

    /// `#3 eks AssociateEncryptionConfig us-east-1 -> 200`.
    pub fn summary(&self) -> String {
        let status = self
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "dropped".into());
        format!(
            "#{} {} {} {} -> {}",
            self.seq, self.service, self.operation, self.region, status
        )
    }
}

/// Whether an operation name is mutating (not `Describe*`, `List*` or `Get*`).
pub fn is_mutating_operation(operation: &str) -> bool {
    !["Describe", "List", "Get"]
        .iter()
        .any(|p| operation.starts_with(p))
}

impl Emulator {
    /// Starts an emulator with default options (updates take 1 s).
    pub fn start() -> Result<Self, EmulatorError> {
        Self::start_with(&EmulatorOptions::default())
    }

    /// Starts `<venv python> -m eks_emulator --host 127.0.0.1 --port 0 ...` and
    /// waits for its `EMULATOR_READY` line.
    pub fn start_with(opts: &EmulatorOptions) -> Result<Self, EmulatorError> {
        let python = paths::emulator_python();
        if !python.exists() {
            return Err(EmulatorError::PythonMissing { path: python });
        }
        let logs = tempfile::Builder::new()
            .prefix("eks-emulator-")
            .tempdir()
            .map_err(|source| EmulatorError::Spawn {
                command: "tempdir".into(),
                source,
            })?;
        let stderr_path = logs.path().join("stderr.log");
        let stdout_path = logs.path().join("stdout.log");
        let stderr = File::create(&stderr_path).map_err(|source| EmulatorError::Spawn {
            command: format!("create {}", stderr_path.display()),
            source,
        })?;

        let emulator_dir = paths::emulator_dir();
        let mut cmd = Command::new(&python);
        cmd.args(["-m", "eks_emulator", "--host", "127.0.0.1", "--port", "0"])
            .arg("--update-duration")
            .arg(opts.update_duration_seconds.to_string());
        if let Some(seed) = &opts.seed {
            cmd.args(["--seed", seed]);
        }
        if opts.https {
            cmd.arg("--https-dir").arg(logs.path().join("tls"));
        }
        let pythonpath = match std::env::var_os("PYTHONPATH") {
            Some(p) if !p.is_empty() => {
                let mut v = emulator_dir.clone().into_os_string();
                v.push(":");
                v.push(p);
                v
            }
            _ => emulator_dir.clone().into_os_string(),
        };
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(k);
            }
        }
        cmd.current_dir(&emulator_dir)
            .env("PYTHONPATH", pythonpath)
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", DEFAULT_REGION)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let command = format!("{cmd:?}");
        let mut child = cmd
            .spawn()
            .map_err(|source| EmulatorError::Spawn { command, source })?;

        // Read stdout on a thread: report the READY line, then keep draining
        // into stdout.log so the pipe never fills.
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel::<(String, Option<String>)>();
        std::thread::spawn(move || {
            let mut log = File::create(stdout_path).ok();
            let mut tx = Some(tx);
            let mut https = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(log) = log.as_mut() {
                    let _ = writeln!(log, "{line}");
                }
                // EMULATOR_HTTPS comes before EMULATOR_READY.
                if let Some(url) = line.trim().strip_prefix("EMULATOR_HTTPS ") {
                    https = Some(url.trim().to_string());
                }
                if let Some(url) = line.trim().strip_prefix("EMULATOR_READY ") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send((url.trim().to_string(), https.take()));
                    }
                }
            }
        });

        let not_ready = |child: &mut Child, reason: String| {
            let _ = child.kill();
            let _ = child.wait();
            EmulatorError::NotReady {
                reason,
                stderr: tail_file(&stderr_path, 40),
            }
        };
        let (url, https_url) = match rx.recv_timeout(opts.ready_timeout) {
            Ok(urls) => urls,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(not_ready(
                    &mut child,
                    format!("no EMULATOR_READY line within {:?}", opts.ready_timeout),
                ))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().ok();
                return Err(not_ready(
                    &mut child,
                    format!("the process exited ({status:?}) before printing EMULATOR_READY"),
                ));
            }
        };

        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Ok(Emulator {
            child,
            url: url.trim_end_matches('/').to_string(),
            https_url: https_url.map(|u| u.trim_end_matches('/').to_string()),
            agent,
            logs,
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (every AWS service and the control API).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The HTTPS URL, `https://127.0.0.1:PORT`, when started with
    /// [`EmulatorOptions::https`].
    pub fn https_url(&self) -> Option<&str> {
        self.https_url.as_deref()
    }

    /// The test CA that signed the HTTPS listener's certificate (a PEM file),
    /// when started with [`EmulatorOptions::https`].
    pub fn ca_bundle(&self) -> Option<PathBuf> {
        self.https_url
            .as_ref()
            .map(|_| self.logs.path().join("tls").join("ca.pem"))
    }

    /// The emulator process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The file the emulator's stderr goes to.
    pub fn stderr_log(&self) -> PathBuf {
        self.logs.path().join("stderr.log")
    }

    /// The last `lines` lines of the emulator's stderr.
    pub fn stderr_tail(&self, lines: usize) -> String {
        tail_file(&self.stderr_log(), lines)
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, EmulatorError> {
        let url = format!("{}{}", self.url, path);
        let http_err = |source: ureq::Error| EmulatorError::Http {
            method: method.into(),
            url: url.clone(),
            source: Box::new(source),
        };
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            ("POST", Some(b)) => self.agent.post(&url).send_json(b),
            ("POST", None) => self.agent.post(&url).send_json(json!({})),
            _ => unreachable!("unsupported method {method}"),
        }
        .map_err(http_err)?;
        let status = response.status().as_u16();
        let text = response.into_body().read_to_string().map_err(http_err)?;
        if status >= 400 {
            return Err(EmulatorError::Status {
                method: method.into(),
                url,
                status,
                body: text,
            });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| EmulatorError::Decode {
            method: method.into(),
            url,
            reason: format!("{e}: {text}"),
        })
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        v: Value,
    ) -> Result<T, EmulatorError> {
        serde_json::from_value(v.clone()).map_err(|e| EmulatorError::Decode {
            method: "POST".into(),
            url: format!("{}{}", self.url, path),
            reason: format!("{e}: {v}"),
        })
    }

    /// `GET /_emulator/health`: whether it answers `{"ok": true}`.
    pub fn health(&self) -> Result<bool, EmulatorError> {
        let v = self.request("GET", "/_emulator/health", None)?;
        Ok(v.get("ok").and_then(Value::as_bool) == Some(true))
    }

    /// `POST /_emulator/keys`.
    pub fn create_key(&self, spec: &KeySpec) -> Result<Key, EmulatorError> {
        let body = serde_json::to_value(spec).expect("KeySpec serializes");
        let v = self.request("POST", "/_emulator/keys", Some(&body))?;
        self.decode("/_emulator/keys", v)
    }

    /// `POST /_emulator/keys/{key_id}/state` in us-east-1 (`Enabled`,
    /// `Disabled`, `PendingDeletion`).
    pub fn set_key_state(&self, key_id: &str, state: &str) -> Result<(), EmulatorError> {
        self.set_key_state_in(key_id, state, DEFAULT_REGION)
    }

    /// `POST /_emulator/keys/{key_id}/state` in `region`.
    pub fn set_key_state_in(
        &self,
        key_id: &str,
        state: &str,
        region: &str,
    ) -> Result<(), EmulatorError> {
        let body = json!({"state": state, "region": region});
        self.request(
            "POST",
            &format!("/_emulator/keys/{key_id}/state"),
            Some(&body),
        )?;
        Ok(())
    }

    /// `POST /_emulator/clusters`.
    pub fn create_cluster(&self, spec: &ClusterSpec) -> Result<Cluster, EmulatorError> {
        let body = serde_json::to_value(spec).expect("ClusterSpec serializes");
        let v = self.request("POST", "/_emulator/clusters", Some(&body))?;
        self.decode("/_emulator/clusters", v)
    }

    /// `DELETE /_emulator/clusters/{name}` (out-of-band deletion).
    pub fn delete_cluster(&self, name: &str, region: &str) -> Result<(), EmulatorError> {
        self.request(
            "DELETE",
            &format!("/_emulator/clusters/{name}?region={region}"),
            None,
        )?;
        Ok(())
    }

    /// `POST /_emulator/clusters/{name}/encryption`: associates a key out of
    /// band (drift); not recorded in the request log.
    pub fn associate_out_of_band(
        &self,
        cluster: &str,
        key_arn: &str,
        region: &str,
    ) -> Result<(), EmulatorError> {
        let body = json!({"key_arn": key_arn, "region": region});
        self.request(
            "POST",
            &format!("/_emulator/clusters/{cluster}/encryption"),
            Some(&body),
        )?;
        Ok(())
    }

    /// `POST /_emulator/updates`: starts an unrelated InProgress update
    /// (`VersionUpdate`) lasting `duration_seconds`; returns its id.
    pub fn start_update(
        &self,
        cluster: &str,
        region: &str,
        duration_seconds: f64,
    ) -> Result<String, EmulatorError> {
        let body = json!({"cluster": cluster, "region": region, "type": "VersionUpdate",
                          "duration_seconds": duration_seconds});
        let v = self.request("POST", "/_emulator/updates", Some(&body))?;
        v.get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| EmulatorError::Decode {
                method: "POST".into(),
                url: format!("{}/_emulator/updates", self.url),
                reason: format!("no id in {v}"),
            })
    }

    /// Moves `alias` (e.g. `alias/eks`) to another key, as KMS UpdateAlias
    /// does (for example while a saved plan waits).
    pub fn retarget_alias(&self, alias: &str, target_key: &str) -> Result<(), EmulatorError> {
        let body = json!({"alias": alias, "target_key": target_key});
        self.request("POST", "/_emulator/aliases", Some(&body))?;
        Ok(())
    }

    /// Deletes cluster `name` and creates it again under the same name (same
    /// ARN, new `createdAt`, no CMK).
    pub fn recreate_cluster(&self, name: &str, region: &str) -> Result<Cluster, EmulatorError> {
        let body = json!({"region": region});
        let v = self.request(
            "POST",
            &format!("/_emulator/clusters/{name}/recreate"),
            Some(&body),
        )?;
        serde_json::from_value(v.clone()).map_err(|e| EmulatorError::Decode {
            method: "POST".into(),
            url: format!("{}/_emulator/clusters/{name}/recreate", self.url),
            reason: format!("{e}: {v}"),
        })
    }

    /// Moves the emulator's virtual clock forward, so long updates end
    /// without a real wait.
    pub fn advance_clock(&self, seconds: f64) -> Result<(), EmulatorError> {
        let body = json!({"advance_seconds": seconds});
        self.request("POST", "/_emulator/clock", Some(&body))?;
        Ok(())
    }

    /// Starts an unrelated update (a version update) that disables `key`
    /// half way through: a key disabled while an apply waits.
    pub fn start_update_disabling_key(
        &self,
        cluster: &str,
        region: &str,
        duration_seconds: f64,
        key: &str,
    ) -> Result<(), EmulatorError> {
        let body = json!({"cluster": cluster, "region": region, "type": "VersionUpdate",
                          "duration_seconds": duration_seconds, "disable_key_arn": key});
        self.request("POST", "/_emulator/updates", Some(&body))?;
        Ok(())
    }

    /// `POST /_emulator/config` with any subset of `update_duration_seconds`,
    /// `fail_next_update`, `disable_key_mid_update`.
    pub fn set_config(&self, config: &Value) -> Result<(), EmulatorError> {
        self.request("POST", "/_emulator/config", Some(config))?;
        Ok(())
    }

    /// `GET /_emulator/config`: every knob's current value.
    pub fn config(&self) -> Result<Value, EmulatorError> {
        self.request("GET", "/_emulator/config", None)
    }

    /// Sets how long EKS updates stay InProgress.
    pub fn set_update_duration(&self, seconds: f64) -> Result<(), EmulatorError> {
        self.set_config(&json!({"update_duration_seconds": seconds}))
    }

    /// Makes the next EKS update end `Failed` with one error.
    pub fn fail_next_update(
        &self,
        error_code: &str,
        error_message: &str,
    ) -> Result<(), EmulatorError> {
        self.set_config(&json!({"fail_next_update": {"errors": [
            {"errorCode": error_code, "errorMessage": error_message, "resourceIds": []}
        ]}}))
    }

    /// `POST /_emulator/faults`.
    pub fn add_fault(&self, fault: &Fault) -> Result<(), EmulatorError> {
        let body = serde_json::to_value(fault).expect("Fault serializes");
        self.request("POST", "/_emulator/faults", Some(&body))?;
        Ok(())
    }

    /// `DELETE /_emulator/faults`.
    pub fn clear_faults(&self) -> Result<(), EmulatorError> {
        self.request("DELETE", "/_emulator/faults", None)?;
        Ok(())
    }

    /// `GET /_emulator/requests`: the request log, oldest first.
    pub fn requests(&self) -> Result<Vec<RequestRecord>, EmulatorError> {
        let v = self.request("GET", "/_emulator/requests", None)?;
        let list = v.get("requests").cloned().unwrap_or(Value::Array(vec![]));
        self.decode("/_emulator/requests", list)
    }

    /// `DELETE /_emulator/requests`.
    pub fn clear_requests(&self) -> Result<(), EmulatorError> {
        self.request("DELETE", "/_emulator/requests", None)?;
        Ok(())
    }

    /// `POST /_emulator/reset`: all state, config, faults and the log.
    pub fn reset(&self) -> Result<(), EmulatorError> {
        self.request("POST", "/_emulator/reset", None)?;
        Ok(())
    }

    /// How many logged requests have this operation (any status).
    pub fn count(&self, operation: &str) -> Result<usize, EmulatorError> {
        Ok(self
            .requests()?
            .iter()
            .filter(|r| r.operation == operation)
            .count())
    }

    /// The logged requests of this operation.
    pub fn requests_for(&self, operation: &str) -> Result<Vec<RequestRecord>, EmulatorError> {
        Ok(self
            .requests()?
            .into_iter()
            .filter(|r| r.operation == operation)
            .collect())
    }

    /// The logged mutating requests ([`RequestRecord::is_mutating`]).
    pub fn mutating_calls(&self) -> Result<Vec<RequestRecord>, EmulatorError> {
        Ok(self
            .requests()?
            .into_iter()
            .filter(RequestRecord::is_mutating)
            .collect())
    }

    /// The request log as one line per request, for failure reports.
    pub fn request_log_summary(&self) -> String {
        match self.requests() {
            Ok(reqs) if reqs.is_empty() => "(no requests)".into(),
            Ok(reqs) => reqs
                .iter()
                .map(RequestRecord::summary)
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => format!("(could not read the request log: {e})"),
        }
    }

    /// The last `n` entries of [`Emulator::request_log_summary`].
    pub fn request_log_summary_tail(&self, n: usize) -> String {
        let all = self.request_log_summary();
        let lines: Vec<&str> = all.lines().collect();
        if lines.len() <= n {
            return all;
        }
        format!(
            "({} earlier requests)\n{}",
            lines.len() - n,
            lines[lines.len() - n..].join("\n")
        )
    }

    /// Polls the request log until a request with `operation` appears after
    /// the first `after` such requests; returns it.
    pub fn wait_for_operation(
        &self,
        operation: &str,
        after: usize,
        timeout: Duration,
    ) -> Result<RequestRecord, EmulatorError> {
        let start = Instant::now();
        loop {
            let found = self.requests_for(operation)?;
            if found.len() > after {
                return Ok(found[after].clone());
            }
            if start.elapsed() > timeout {
                return Err(EmulatorError::WaitTimeout {
                    operation: operation.into(),
                    waited: timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Calls EKS `DescribeCluster` directly (unsigned but with a SigV4-shaped
    /// credential scope, which is how the emulator routes) and returns the
    /// `cluster` object. It is recorded in the request log as a read.
    pub fn describe_cluster(&self, name: &str, region: &str) -> Result<Value, EmulatorError> {
        let url = format!("{}/clusters/{name}", self.url);
        let http_err = |source: ureq::Error| EmulatorError::Http {
            method: "GET".into(),
            url: url.clone(),
            source: Box::new(source),
        };
        let response = self
            .agent
            .get(&url)
            .header(
                "Authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=test/20250101/{region}/eks/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature=0000"
                ),
            )
            .header("X-Amz-Date", "20250101T000000Z")
            .call()
            .map_err(http_err)?;
        let status = response.status().as_u16();
        let text = response.into_body().read_to_string().map_err(http_err)?;
        if status >= 400 {
            return Err(EmulatorError::Status {
                method: "GET".into(),
                url,
                status,
                body: text,
            });
        }
        let v: Value = serde_json::from_str(&text).map_err(|e| EmulatorError::Decode {
            method: "GET".into(),
            url: url.clone(),
            reason: format!("{e}: {text}"),
        })?;
        v.get("cluster")
            .cloned()
            .ok_or_else(|| EmulatorError::Decode {
                method: "GET".into(),
                url,
                reason: format!("no cluster in {text}"),
            })
    }

    /// The key ARN the cluster's `encryptionConfig` names, if any.
    pub fn cluster_key_arn(
        &self,
        name: &str,
        region: &str,
    ) -> Result<Option<String>, EmulatorError> {
        let cluster = self.describe_cluster(name, region)?;
        Ok(cluster
            .get("encryptionConfig")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|c| c.pointer("/provider/keyArn"))
            .and_then(Value::as_str)
            .map(str::to_string))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail_file(path: &std::path::Path, lines: usize) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutating_operations() {
        assert!(is_mutating_operation("AssociateEncryptionConfig"));
        assert!(is_mutating_operation("UpdateClusterConfig"));
        assert!(is_mutating_operation("CreateGrant"));
        assert!(!is_mutating_operation("DescribeCluster"));
        assert!(!is_mutating_operation("ListUpdates"));
        assert!(!is_mutating_operation("GetCallerIdentity"));
        assert!(!is_mutating_operation("DescribeKey"));
    }
}
