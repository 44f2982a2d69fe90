//! Running a Terraform core: the environment, the standard flags, output
//! capture, and reading diagnostics.
//!
//! Every run gets a clean environment: the parent's `AWS_*` and `TF_*`
//! variables are removed, then `AWS_ACCESS_KEY_ID=test
//! AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
//! AWS_EC2_METADATA_DISABLED=true CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1` and
//! `TF_CLI_CONFIG_FILE` are set (plus `TF_LOG=debug TF_LOG_PATH=...` when
//! `TF_ACC_LOG` is set). `terraform init` is never run: `dev_overrides` make it
//! unnecessary, and old cores would try the network.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::cores::Core;
use crate::workdir::Workdir;

/// Failures running Terraform.
#[derive(Debug, thiserror::Error)]
pub enum TerraformError {
    /// The provider binary does not exist.
    #[error(
        "the provider binary {path} does not exist: run `cargo build` first \
         (or set TF_ACC_PROVIDER_BIN)"
    )]
    ProviderMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// Terraform could not be started.
    #[error("could not run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Terraform ran longer than the command timeout and was killed.
    #[error("`{command}` did not finish within {after:?} and was killed\n{output}")]
    Timeout {
        /// The command line.
        command: String,
        /// The timeout.
        after: Duration,
        /// What it printed.
        output: String,
    },
    /// Terraform failed where it should have succeeded.
    #[error("`{command}` failed (exit code {code:?})\n{output}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit code.
        code: Option<i32>,
        /// What it printed.
        output: String,
    },
    /// Terraform succeeded where it should have failed.
    #[error("`{command}` succeeded, but it was expected to fail with /{pattern}/\n{output}")]
    UnexpectedSuccess {
        /// The command line.
        command: String,
        /// The expected diagnostic.
        pattern: String,
        /// What it printed.
        output: String,
    },
    /// Terraform failed, but not with the expected diagnostic.
    #[error("`{command}` failed, but its output does not match /{pattern}/\n{output}")]
    Mismatch {
        /// The command line.
        command: String,
        /// The expected diagnostic.
        pattern: String,
        /// What it printed.
        output: String,
    },
    /// `show -json` (or similar) printed something unreadable.
    #[error("`{command}` printed invalid JSON: {reason}")]
    Json {
        /// The command line.
        command: String,
        /// The parse error.
        reason: String,
    },
    /// Interrupting Terraform did not go as planned.
    #[error("interrupting `{command}`: {reason}\n{output}")]
    Interrupt {
        /// The command line.
        command: String,
        /// What went wrong.
        reason: String,
        /// What it printed.
        output: String,
    },
}

/// What one Terraform run printed and how it exited.
#[derive(Clone, Debug)]
pub struct TfOutput {
    /// `terraform plan -input=false ...` as run.
    pub command: String,
    /// The directory it ran in.
    pub dir: PathBuf,
    /// Exit code (None if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl TfOutput {
    /// Exit code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// stderr then stdout.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stderr, self.stdout)
    }

    /// The combined output with diagnostics' boxes and line wrapping removed
    /// (see [`normalize_diagnostics`]); regexes are matched against this.
    pub fn normalized(&self) -> String {
        normalize_diagnostics(&self.combined())
    }

    /// Whether the normalized output matches `re`.
    pub fn matches(&self, re: &Regex) -> bool {
        re.is_match(&self.normalized())
    }

    /// The `Error:`/`Warning:` summaries Terraform printed.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        parse_diagnostics(&self.combined())
    }

    /// A report for failure messages: the command, its exit code and output.
    pub fn report(&self) -> String {
        format!(
            "--- `{}` in {} exited {:?} ---\n--- stderr ---\n{}\n--- stdout ---\n{}",
            self.command,
            self.dir.display(),
            self.code,
            self.stderr.trim_end(),
            self.stdout.trim_end()
        )
    }

    /// `Ok(self)` if it succeeded, else [`TerraformError::Failed`].
    pub fn expect_success(self) -> Result<Self, TerraformError> {
        if self.success() {
            Ok(self)
        } else {
            Err(TerraformError::Failed {
                command: self.command.clone(),
                code: self.code,
                output: self.report(),
            })
        }
    }

    /// `Ok` if it failed with output matching `pattern` (a regex, see
    /// [`TfOutput::normalized`]); fails if it succeeded.
    ///
    /// # Panics
    /// If `pattern` is not a valid regex.
    pub fn expect_error(&self, pattern: &str) -> Result<(), TerraformError> {
        let re = compile(pattern);
        if self.success() {
            return Err(TerraformError::UnexpectedSuccess {
                command: self.command.clone(),
                pattern: pattern.into(),
                output: self.report(),
            });
        }
        if !self.matches(&re) {
            return Err(TerraformError::Mismatch {
                command: self.command.clone(),
                pattern: pattern.into(),
                output: self.report(),
            });
        }
        Ok(())
    }

    /// Parses stdout as JSON.
    pub fn json(&self) -> Result<serde_json::Value, TerraformError> {
        serde_json::from_str(&self.stdout).map_err(|e| TerraformError::Json {
            command: self.command.clone(),
            reason: format!("{e}; stdout: {}", self.stdout),
        })
    }
}

/// A diagnostic's severity and summary, as printed by Terraform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// `Error` or `Warning`.
    pub severity: String,
    /// The summary line.
    pub summary: String,
}

/// Compiles a regex, panicking with the pattern on error (patterns are test
/// code).
pub fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid regex /{pattern}/: {e}"))
}

/// Removes the box-drawing characters Terraform frames diagnostics with
/// (`╷ │ ╵`) and collapses every run of whitespace, newlines included, to one
/// space, so a summary or detail wrapped over several lines still matches a
/// pattern written on one line.
pub fn normalize_diagnostics(text: &str) -> String {
    let unboxed: String = text
        .chars()
        .map(|c| match c {
            '│' | '╷' | '╵' | '─' => ' ',
            c => c,
        })
        .collect();
    unboxed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Finds `Error: summary` / `Warning: summary` lines (boxed or plain).
pub fn parse_diagnostics(text: &str) -> Vec<Diagnostic> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start_matches(['│', ' ', '\t']).trim_end();
            ["Error", "Warning"].iter().find_map(|sev| {
                line.strip_prefix(&format!("{sev}: "))
                    .map(|summary| Diagnostic {
                        severity: sev.to_string(),
                        summary: summary.trim().to_string(),
                    })
            })
        })
        .collect()
}

/// Adds `-input=false -no-color` (or just `-no-color`) after the subcommand
/// where Terraform accepts them.
pub fn with_standard_flags(args: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(args.len() + 2);
    let Some((sub, mut rest)) = args.split_first() else {
        return out;
    };
    out.push(sub.to_string());
    // `providers schema` takes its flags after the nested subcommand (and
    // accepts no -no-color).
    if *sub == "providers" {
        if let Some((nested, tail)) = rest.split_first() {
            out.push(nested.to_string());
            rest = tail;
            if *nested == "schema" {
                out.extend(rest.iter().map(|s| s.to_string()));
                return out;
            }
        }
    }
    match *sub {
        "plan" | "apply" | "destroy" | "import" | "refresh" => {
            out.push("-input=false".into());
            out.push("-no-color".into());
        }
        "show" | "output" | "validate" | "console" | "providers" => out.push("-no-color".into()),
        _ => {}
    }
    out.extend(rest.iter().map(|s| s.to_string()));
    out
}

/// Runs one core with the harness environment.
#[derive(Debug)]
pub struct Terraform {
    core: Core,
    cli_config: PathBuf,
    log_path: Option<PathBuf>,
    out_dir: PathBuf,
    aws_config_stub: PathBuf,
    seq: AtomicUsize,
    runs: AtomicUsize,
    timeout: Duration,
}

impl Terraform {
    /// A runner for `core` using `workdir`'s CLI config and output directory.
    /// The per-command timeout is `TF_ACC_COMMAND_TIMEOUT` seconds (default 600).
    pub fn new(core: &Core, workdir: &Workdir) -> Self {
        let log = std::env::var_os("TF_ACC_LOG").is_some_and(|v| !v.is_empty());
        let timeout = std::env::var("TF_ACC_COMMAND_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(600));
        Terraform {
            core: core.clone(),
            cli_config: workdir.cli_config(),
            log_path: log.then(|| workdir.log_path()),
            out_dir: workdir.out_dir(),
            aws_config_stub: workdir.root().join("no-aws-config"),
            seq: AtomicUsize::new(0),
            runs: AtomicUsize::new(0),
            timeout,
        }
    }

    /// How many commands this runner has built so far (a scenario that ran
    /// none on a core was skipped there).
    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::Relaxed)
    }

    /// The core this runs.
    pub fn core(&self) -> &Core {
        &self.core
    }

    /// `TF_LOG_PATH`, when `TF_ACC_LOG` is set.
    pub fn log_path(&self) -> Option<&Path> {
        self.log_path.as_deref()
    }

    /// A [`Command`] for `terraform <args>` (standard flags added) in `dir`
    /// with the harness environment; stdin is null.
    pub fn command(&self, dir: &Path, args: &[&str]) -> Command {
        self.runs.fetch_add(1, Ordering::Relaxed);
        let mut cmd = Command::new(&self.core.path);
        cmd.args(with_standard_flags(args))
            .current_dir(dir)
            .stdin(Stdio::null());
        for (k, _) in std::env::vars_os() {
            let k_str = k.to_string_lossy();
            if k_str.starts_with("AWS_")
                || k_str.starts_with("TF_")
                || k_str.starts_with("CHECKPOINT_")
            {
                cmd.env_remove(&k);
            }
        }
        let no_proxy = match std::env::var("NO_PROXY") {
            Ok(v) if !v.is_empty() => format!("{v},127.0.0.1,localhost"),
            _ => "127.0.0.1,localhost".to_string(),
        };
        cmd.env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // Keep a developer's ~/.aws out of the tests.
            .env("AWS_CONFIG_FILE", &self.aws_config_stub)
            .env("AWS_SHARED_CREDENTIALS_FILE", &self.aws_config_stub)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("NO_PROXY", &no_proxy)
            .env("no_proxy", &no_proxy);
        if let Some(log) = &self.log_path {
            cmd.env("TF_LOG", "debug").env("TF_LOG_PATH", log);
        }
        cmd
    }

    fn display(&self, args: &[&str]) -> String {
        format!("terraform {}", with_standard_flags(args).join(" "))
    }

    /// Starts `terraform <args>` in `dir` in its own process group, with
    /// stdout and stderr going to the returned files.
    pub fn spawn(
        &self,
        dir: &Path,
        args: &[&str],
    ) -> Result<(Child, PathBuf, PathBuf), TerraformError> {
        use std::os::unix::process::CommandExt;
        let n = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let sub = args.first().copied().unwrap_or("terraform");
        let stdout_path = self.out_dir.join(format!("{n:03}-{sub}.stdout"));
        let stderr_path = self.out_dir.join(format!("{n:03}-{sub}.stderr"));
        let command = self.display(args);
        let spawn_err = |source| TerraformError::Spawn {
            command: command.clone(),
            source,
        };
        let stdout = File::create(&stdout_path).map_err(spawn_err)?;
        let stderr = File::create(&stderr_path).map_err(spawn_err)?;
        let mut cmd = self.command(dir, args);
        cmd.stdout(stdout).stderr(stderr).process_group(0);
        let child = cmd.spawn().map_err(spawn_err)?;
        Ok((child, stdout_path, stderr_path))
    }

    /// Runs `terraform <args>` in `dir` to completion (killing it after the
    /// command timeout). A non-zero exit is not an error here: check
    /// [`TfOutput::success`] or use [`TfOutput::expect_success`].
    pub fn run(&self, dir: &Path, args: &[&str]) -> Result<TfOutput, TerraformError> {
        let command = self.display(args);
        let (mut child, out_path, err_path) = self.spawn(dir, args)?;
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if start.elapsed() > self.timeout => {
                    kill_group(&child, nix::sys::signal::Signal::SIGKILL);
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(source) => return Err(TerraformError::Spawn { command, source }),
            }
        };
        let output = TfOutput {
            command: command.clone(),
            dir: dir.to_path_buf(),
            code: status.and_then(|s| s.code()),
            stdout: read_lossy(&out_path),
            stderr: read_lossy(&err_path),
        };
        match status {
            Some(_) => Ok(output),
            None => Err(TerraformError::Timeout {
                command,
                after: self.timeout,
                output: output.report(),
            }),
        }
    }
}

/// Sends `signal` to the process group led by `child` (see [`Terraform::spawn`]).
pub fn kill_group(child: &Child, signal: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::killpg(pid, signal);
}

/// Reads a file as UTF-8, lossily; empty if unreadable.
pub fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_boxed_wrapped_diagnostics() {
        let boxed = "╷\n│ Error: Cannot remove the customer\n│ managed key\n│ \n│   with eks_encryption_config.this,\n╵\n";
        let n = normalize_diagnostics(boxed);
        assert_eq!(
            n,
            "Error: Cannot remove the customer managed key with eks_encryption_config.this,"
        );
        assert!(compile("Cannot remove the customer managed key").is_match(&n));
        let d = parse_diagnostics(
            "╷\n│ Warning: Customer managed key is disabled\n│\nError: KMS key not usable\n",
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].severity, "Warning");
        assert_eq!(d[1].summary, "KMS key not usable");
    }

    #[test]
    fn standard_flags() {
        assert_eq!(
            with_standard_flags(&["plan", "-out=tfplan"]),
            ["plan", "-input=false", "-no-color", "-out=tfplan"]
        );
        assert_eq!(
            with_standard_flags(&["show", "-json"]),
            ["show", "-no-color", "-json"]
        );
        assert_eq!(
            with_standard_flags(&["state", "rm", "x"]),
            ["state", "rm", "x"]
        );
    }
}
