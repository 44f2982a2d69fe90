//! Interrupting a running `terraform apply` the way Ctrl-C does.
//!
//! [`interrupt_after_operation`] starts `terraform apply -auto-approve` in the
//! test's config directory (in its own process group), polls the emulator's
//! request log until the given operation shows up, sends SIGINT, waits for
//! Terraform to exit and returns its output.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

use crate::context::TestContext;
use crate::error::Result;
use crate::terraform::{kill_group, read_lossy, TerraformError, TfOutput};

/// Who gets the SIGINT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalTarget {
    /// Only the Terraform process.
    Process,
    /// Terraform's whole process group, provider plugins included, as a
    /// terminal's Ctrl-C does (plugins are expected to ignore it, as
    /// go-plugin's servers do, and wait for StopProvider).
    ProcessGroup,
}

/// Options for [`interrupt_when`].
#[derive(Clone, Debug)]
pub struct InterruptOptions {
    /// The Terraform arguments (default `apply -auto-approve`).
    pub args: Vec<String>,
    /// Who gets the signal (default: the process group).
    pub target: SignalTarget,
    /// How long to wait for the trigger.
    pub trigger_timeout: Duration,
    /// How long to wait after the trigger before signalling.
    pub delay: Duration,
    /// How long Terraform may take to exit after SIGINT before it is killed.
    pub exit_timeout: Duration,
}

impl Default for InterruptOptions {
    fn default() -> Self {
        InterruptOptions {
            args: vec!["apply".into(), "-auto-approve".into()],
            target: SignalTarget::ProcessGroup,
            trigger_timeout: Duration::from_secs(120),
            delay: Duration::ZERO,
            exit_timeout: Duration::from_secs(120),
        }
    }
}

/// The interrupted run.
#[derive(Clone, Debug)]
pub struct Interrupted {
    /// What Terraform printed and its exit code.
    pub output: TfOutput,
    /// How long after start the signal was sent.
    pub signalled_after: Duration,
}

/// Runs `terraform apply -auto-approve`, sends SIGINT once the emulator has
/// logged one more `operation` request than before the start, and returns
/// Terraform's output after it exits.
pub fn interrupt_after_operation(ctx: &TestContext, operation: &str) -> Result<Interrupted> {
    let baseline = ctx.emulator().count(operation)?;
    interrupt_when(ctx, &InterruptOptions::default(), || {
        Ok(ctx.emulator().count(operation)? > baseline)
    })
}

/// Runs Terraform with `opts.args` in the config directory and sends SIGINT
/// once `trigger` returns true (polled every 50 ms).
pub fn interrupt_when(
    ctx: &TestContext,
    opts: &InterruptOptions,
    mut trigger: impl FnMut() -> Result<bool>,
) -> Result<Interrupted> {
    let args: Vec<&str> = opts.args.iter().map(String::as_str).collect();
    let dir = ctx.dir();
    let (mut child, out_path, err_path) = ctx.terraform.spawn(&dir, &args)?;
    let command = format!("terraform {}", opts.args.join(" "));
    let output = |code: Option<i32>| TfOutput {
        command: command.to_string(),
        dir: dir.clone(),
        code,
        stdout: read_lossy(&out_path),
        stderr: read_lossy(&err_path),
    };
    let start = Instant::now();

    // Wait for the trigger.
    loop {
        if let Some(status) = child.try_wait().map_err(|e| spawn_err(&command, e))? {
            return Err(TerraformError::Interrupt {
                command: command.clone(),
                reason: "Terraform exited before the trigger was seen".into(),
                output: output(status.code()).report(),
            }
            .into());
        }
        let fired = match trigger() {
            Ok(f) => f,
            Err(e) => {
                kill_and_reap(&mut child);
                return Err(e);
            }
        };
        if fired {
            break;
        }
        if start.elapsed() > opts.trigger_timeout {
            kill_and_reap(&mut child);
            return Err(TerraformError::Interrupt {
                command: command.clone(),
                reason: format!("the trigger did not fire within {:?}", opts.trigger_timeout),
                output: output(None).report(),
            }
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !opts.delay.is_zero() {
        std::thread::sleep(opts.delay);
    }

    let signalled_after = start.elapsed();
    send_sigint(&child, opts.target);

    // Wait for it to exit.
    let exited = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| spawn_err(&command, e))? {
            return Ok(Interrupted {
                output: output(status.code()),
                signalled_after,
            });
        }
        if exited.elapsed() > opts.exit_timeout {
            kill_and_reap(&mut child);
            return Err(TerraformError::Interrupt {
                command: command.clone(),
                reason: format!(
                    "Terraform did not exit within {:?} of SIGINT",
                    opts.exit_timeout
                ),
                output: output(None).report(),
            }
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn spawn_err(command: &str, source: std::io::Error) -> TerraformError {
    TerraformError::Spawn {
        command: command.into(),
        source,
    }
}

fn send_sigint(child: &Child, target: SignalTarget) {
    let pid = Pid::from_raw(child.id() as i32);
    let _ = match target {
        SignalTarget::Process => signal::kill(pid, Signal::SIGINT),
        SignalTarget::ProcessGroup => signal::killpg(pid, Signal::SIGINT),
    };
}

fn kill_and_reap(child: &mut Child) {
    kill_group(child, Signal::SIGKILL);
    let _ = child.wait();
}

/// Whether a path exists (a convenience trigger for [`interrupt_when`]).
pub fn exists(path: &Path) -> Result<bool> {
    Ok(path.exists())
}
