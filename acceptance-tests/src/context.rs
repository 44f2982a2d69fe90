//! [`TestContext`]: one test on one core (its emulator, work directory and
//! Terraform runner), and [`each_core`], which runs a scenario on every core.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cores::{self, Core, Feature};
use crate::emulator::{Emulator, EmulatorOptions};
use crate::error::{Error, Result};
use crate::terraform::{Terraform, TfOutput};
use crate::tfjson::State;
use crate::workdir::{self, Workdir};

/// Everything one scenario needs on one core. Dropping it stops the emulator
/// and removes the work directory.
#[derive(Debug)]
pub struct TestContext {
    /// The test's name.
    pub test: String,
    /// The core it runs on.
    pub core: Core,
    emulator: Option<Emulator>,
    /// Its own directories.
    pub workdir: Workdir,
    /// The Terraform runner.
    pub terraform: Terraform,
}

/// Options for [`TestContext::with_options`].
#[derive(Clone, Debug)]
pub struct ContextOptions {
    /// Whether the provider binary is required (harness self-tests that run
    /// provider-free configurations say no).
    pub provider: bool,
    /// How to start the emulator; None for provider-free self-tests that
    /// need none.
    pub emulator: Option<EmulatorOptions>,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions {
            provider: true,
            emulator: Some(EmulatorOptions::default()),
        }
    }
}

impl TestContext {
    /// A context with the provider binary and a default emulator.
    pub fn new(test: &str, core: &Core) -> Result<Self> {
        Self::with_options(test, core, &ContextOptions::default())
    }

    /// A context with explicit options.
    pub fn with_options(test: &str, core: &Core, opts: &ContextOptions) -> Result<Self> {
        let provider = if opts.provider {
            Some(workdir::provider_binary()?)
        } else {
            None
        };
        let workdir = Workdir::new(
            &format!("{test}-{}", core.slug()),
            &core.provider_source(),
            provider.as_deref(),
        )?;
        let emulator = match &opts.emulator {
            Some(o) => Some(Emulator::start_with(o)?),
            None => None,
        };
        let terraform = Terraform::new(core, &workdir);
        Ok(TestContext {
            test: test.to_string(),
            core: core.clone(),
            emulator,
            workdir,
            terraform,
        })
    }

    /// This test's emulator.
    ///
    /// # Panics
    /// If the context was created without one ([`ContextOptions::emulator`]).
    pub fn emulator(&self) -> &Emulator {
        self.emulator
            .as_ref()
            .expect("this TestContext was created without an emulator")
    }

    /// The emulator's base URL (`http://127.0.0.1:9`, the discard port, when
    /// there is no emulator).
    pub fn url(&self) -> &str {
        self.emulator
            .as_ref()
            .map_or("http://127.0.0.1:9", Emulator::url)
    }

    /// Whether this core has `feature`.
    pub fn supports(&self, feature: Feature) -> bool {
        self.core.supports(feature)
    }

    /// Prints that part of a scenario is skipped on this core, and why.
    pub fn skip(&self, what: &str, feature: Feature) {
        println!(
            "[{}] {}: skipping {what}: needs {feature}",
            self.test,
            self.core.label()
        );
    }

    /// Prints a progress line prefixed with the test and core.
    pub fn note(&self, msg: &str) {
        println!("[{}] {}: {msg}", self.test, self.core.label());
    }

    /// A `provider "eks"` block pointing every endpoint at the emulator.
    pub fn provider_block(&self, alias: Option<&str>, region: &str) -> String {
        let alias = alias
            .map(|a| format!("  alias  = \"{a}\"\n"))
            .unwrap_or_default();
        let url = self.url();
        format!(
            "provider \"eks\" {{\n{alias}  region = \"{region}\"\n  endpoints {{\n    eks = \"{url}\"\n    kms = \"{url}\"\n    sts = \"{url}\"\n  }}\n}}\n"
        )
    }

    /// What the harness prepends to every configuration: the
    /// `required_providers` entry and the default provider block (us-east-1).
    pub fn header(&self) -> String {
        format!(
            "terraform {{\n  required_providers {{\n    eks = {{\n      source = \"cmkguard/eks\"\n    }}\n  }}\n}}\n\n{}\n",
            self.provider_block(None, "us-east-1")
        )
    }

    /// The header followed by `body`.
    pub fn full_config(&self, body: &str) -> String {
        format!("{}{}\n", self.header(), body)
    }

    /// The directory Terraform runs in.
    pub fn dir(&self) -> PathBuf {
        self.workdir.config_dir()
    }

    /// Writes `main.tf` = header + `body` in the config directory.
    pub fn write_config(&self, body: &str) -> Result<()> {
        self.workdir
            .write_main(&self.dir(), &self.full_config(body))
    }

    /// Writes `main.tf` = `body` exactly (no header).
    pub fn write_raw_config(&self, body: &str) -> Result<()> {
        self.workdir.write_main(&self.dir(), body)
    }

    /// Runs `terraform <args>` in the config directory (standard flags added);
    /// the exit code is not checked.
    pub fn tf(&self, args: &[&str]) -> Result<TfOutput> {
        Ok(self.terraform.run(&self.dir(), args)?)
    }

    /// [`TestContext::tf`], failing unless it exits 0.
    pub fn tf_ok(&self, args: &[&str]) -> Result<TfOutput> {
        Ok(self.tf(args)?.expect_success()?)
    }

    /// Runs `terraform <args>` in another directory.
    pub fn tf_in(&self, dir: &Path, args: &[&str]) -> Result<TfOutput> {
        Ok(self.terraform.run(dir, args)?)
    }

    /// The state of the config directory (`terraform show -json`).
    pub fn state(&self) -> Result<State> {
        self.state_in(&self.dir())
    }

    /// The state of another directory.
    pub fn state_in(&self, dir: &Path) -> Result<State> {
        let out = self.tf_in(dir, &["show", "-json"])?.expect_success()?;
        Ok(State::new(out.json()?))
    }

    /// Fails unless the request log holds exactly `n` requests of `operation`.
    pub fn assert_count(&self, operation: &str, n: usize) -> Result<()> {
        let got = self.emulator().count(operation)?;
        if got != n {
            return Err(Error::Check(format!(
                "expected {n} {operation} request(s), the emulator saw {got}:\n{}",
                self.emulator().request_log_summary()
            )));
        }
        Ok(())
    }

    /// Fails if the request log holds any mutating request.
    pub fn assert_no_mutating_calls(&self) -> Result<()> {
        let m = self.emulator().mutating_calls()?;
        if !m.is_empty() {
            return Err(Error::Check(format!(
                "expected no mutating AWS calls, the emulator saw: {}",
                m.iter().map(|r| r.summary()).collect::<Vec<_>>().join("; ")
            )));
        }
        Ok(())
    }

    /// A failure report: the Terraform log path (with `TF_ACC_LOG`), the
    /// emulator's request log and the end of its stderr.
    pub fn failure_report(&self) -> String {
        let mut s = String::new();
        match self.terraform.log_path() {
            Some(p) => s.push_str(&format!("Terraform debug log: {}\n", p.display())),
            None => s.push_str("(set TF_ACC_LOG=1 for a Terraform debug log; TF_ACC_KEEP_WORKDIR=1 to keep the work directory)\n"),
        }
        s.push_str(&format!(
            "work directory: {}\n",
            self.workdir.root().display()
        ));
        if let Some(em) = &self.emulator {
            s.push_str(&format!(
                "--- emulator request log ---\n{}\n",
                em.request_log_summary_tail(80)
            ));
            s.push_str(&format!(
                "--- emulator stderr (tail) ---\n{}\n",
                em.stderr_tail(30)
            ));
        }
        s
    }
}

/// Runs `scenario` on every discovered core, each with a fresh
/// [`TestContext`] (so a fresh emulator). Prints the cores it runs on; runs
/// all cores even when one fails, then panics with every failure.
///
/// # Panics
/// When no core or no provider binary is found, or the scenario fails on any
/// core.
pub fn each_core(test: &str, scenario: impl FnMut(&TestContext) -> Result<()>) {
    each_core_with(test, &ContextOptions::default(), scenario)
}

/// [`each_core`] with explicit [`ContextOptions`].
///
/// # Panics
/// As [`each_core`].
pub fn each_core_with(
    test: &str,
    opts: &ContextOptions,
    mut scenario: impl FnMut(&TestContext) -> Result<()>,
) {
    let cores = cores::discover().unwrap_or_else(|e| panic!("[{test}] {e}"));
    if opts.provider {
        if let Err(e) = workdir::provider_binary() {
            panic!("[{test}] {e}");
        }
    }
    println!(
        "[{test}] running on {} core(s): {}",
        cores.len(),
        cores.iter().map(Core::label).collect::<Vec<_>>().join(", ")
    );
    let mut failures = Vec::new();
    for core in &cores {
        let started = Instant::now();
        let mut ran = false;
        let result = match TestContext::with_options(test, core, opts) {
            Err(e) => Err(format!("could not set up: {e}")),
            Ok(ctx) => {
                let r = scenario(&ctx).map_err(|e| format!("{e}\n{}", ctx.failure_report()));
                ran = ctx.terraform.runs() > 0;
                r
            }
        };
        let outcome = match (&result, ran) {
            (Err(_), _) => Outcome::Failed,
            (Ok(()), true) => Outcome::Passed,
            (Ok(()), false) => Outcome::Skipped,
        };
        record(test, core, outcome);
        match result {
            Ok(()) if outcome == Outcome::Skipped => {
                println!(
                    "[{test}] {}: skipped (ran no command on this core)",
                    core.label()
                )
            }
            Ok(()) => println!("[{test}] {}: ok in {:.1?}", core.label(), started.elapsed()),
            Err(e) => {
                let msg = format!(
                    "[{test}] {}: FAILED after {:.1?}\n{e}",
                    core.label(),
                    started.elapsed()
                );
                failures.push(msg);
            }
        }
    }
    if !failures.is_empty() {
        panic!(
            "{} of {} core(s) failed:\n\n{}",
            failures.len(),
            cores.len(),
            failures.join("\n\n")
        );
    }
}

/// How a scenario ended on one core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It ran commands on the core and passed.
    Passed,
    /// It failed.
    Failed,
    /// It passed without running a single command on the core (the core
    /// lacks what the scenario needs).
    Skipped,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// Appends one JSON line `{test, core, kind, version, path, outcome}` to
/// `$TF_ACC_RESULTS/results.jsonl` when `TF_ACC_RESULTS` names a directory
/// (`scripts/test` sets it and prints the per-core table from it). A failure
/// to record is reported on stderr and never fails the test.
pub fn record(test: &str, core: &Core, outcome: Outcome) {
    let Some(dir) = std::env::var_os("TF_ACC_RESULTS").filter(|d| !d.is_empty()) else {
        return;
    };
    let line = serde_json::json!({
        "test": test,
        "core": core.kind.command(),
        "kind": core.kind.to_string(),
        "version": core.version.to_string(),
        "path": core.path,
        "outcome": outcome.as_str(),
    });
    let path = Path::new(&dir).join("results.jsonl");
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(&dir)?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        // One write per line: appends of a short line are atomic on Linux,
        // so parallel tests do not interleave.
        f.write_all(format!("{line}\n").as_bytes())
    };
    if let Err(e) = write() {
        eprintln!(
            "[{test}] could not record the outcome in {}: {e}",
            path.display()
        );
    }
}
