//! The terraform-plugin-testing discipline.
//!
//! A [`TestCase`] is a list of [`Step`]s and a final [`Destroy`]. A normal
//! step:
//!
//! 1. writes its configuration (harness header + body), runs its `before`
//!    hooks, then `plan -out=tfplan` and `show -json tfplan`, and runs the
//!    plan checks (expected actions per address, unknown values, warnings);
//! 2. `apply tfplan`, then reads `show -json` and runs the state checks;
//! 3. `plan -refresh=false -detailed-exitcode` must exit 0 (no changes);
//! 4. `plan -detailed-exitcode` (refreshed) must exit 0;
//! 5. optionally import-verify: a fresh directory with the same configuration,
//!    `terraform import ADDR ID`, and the imported attributes must equal the
//!    applied ones except an ignore list;
//! 6. runs its `after` hooks.
//!
//! A step that expects an error runs `plan -out=tfplan` and, if the plan
//! succeeds, `apply tfplan`; it passes only if one of them fails with output
//! matching the pattern (optionally in a given [`Phase`]) and fails if both
//! succeed. A refresh-only step runs `apply -refresh-only -auto-approve`.
//!
//! After the last step [`Destroy`] runs `destroy -auto-approve`; it may expect
//! the destroy to fail, then checks nothing was forgotten and cleans up with a
//! [`Cleanup`].
//!
//! For sequences that do not fit, drive a [`Runner`] step by step and use
//! [`TestContext`]'s low-level helpers in between.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::context::TestContext;
use crate::error::{Error, Result};
use crate::terraform::{compile, TfOutput};
use crate::tfjson::{lookup, Plan, State};

pub use crate::tfjson::Action;

/// A hook run before or after a step, or after the destroy.
pub type Hook = Box<dyn Fn(&TestContext) -> Result<()>>;
/// A custom plan check.
pub type PlanFn = Box<dyn Fn(&Plan) -> Result<()>>;
/// A custom state check.
pub type StateFn = Box<dyn Fn(&State) -> Result<()>>;

/// A step's expectation was not met.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A command that had to succeed failed.
    #[error("{step}: `{command}` failed unexpectedly\n{output}")]
    CommandFailed {
        /// Which step.
        step: String,
        /// The command.
        command: String,
        /// Its report.
        output: String,
    },
    /// The step expected an error and everything succeeded.
    #[error("{step}: expected an error matching /{pattern}/{phase}, but `{command}` succeeded\n{output}")]
    UnexpectedSuccess {
        /// Which step.
        step: String,
        /// The expected pattern.
        pattern: String,
        /// The phase requirement, for the message.
        phase: String,
        /// The last command.
        command: String,
        /// Its report.
        output: String,
    },
    /// The step failed, but not as expected.
    #[error("{step}: {reason}\n{output}")]
    WrongError {
        /// Which step.
        step: String,
        /// What did not match.
        reason: String,
        /// The failing command's report.
        output: String,
    },
    /// A plan after apply was not empty.
    #[error("{step}: after apply, `{command}` is not empty (exit code {code:?}); the provider is not converging\n{output}")]
    NonEmptyPlan {
        /// Which step.
        step: String,
        /// The plan command.
        command: String,
        /// Its exit code (2 = changes).
        code: Option<i32>,
        /// Its report.
        output: String,
    },
    /// A plan check failed.
    #[error("{step}: plan check failed: {reason}\nplanned actions: {actions}")]
    PlanCheck {
        /// Which step.
        step: String,
        /// What failed.
        reason: String,
        /// Every planned action, for context.
        actions: String,
    },
    /// A state check failed.
    #[error("{step}: state check failed: {reason}")]
    StateCheck {
        /// Which step.
        step: String,
        /// What failed.
        reason: String,
    },
    /// An expected warning was not printed.
    #[error("{step}: expected a warning matching /{pattern}/ in `{command}`\n{output}")]
    MissingWarning {
        /// Which step.
        step: String,
        /// The pattern.
        pattern: String,
        /// The command.
        command: String,
        /// Its report.
        output: String,
    },
    /// Import-verify found differences.
    #[error("{step}: import-verify of {address} (id {id}) differs from the applied state:\n{differences}")]
    ImportVerify {
        /// Which step.
        step: String,
        /// The resource address.
        address: String,
        /// The import id.
        id: String,
        /// One line per differing attribute.
        differences: String,
    },
}

/// Where an expected error must come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `plan` must fail.
    Plan,
    /// `plan` must succeed and `apply` fail.
    Apply,
    /// Either.
    Any,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Plan => f.write_str(" at plan"),
            Phase::Apply => f.write_str(" at apply"),
            Phase::Any => Ok(()),
        }
    }
}

/// A check on a saved plan.
pub enum PlanCheck {
    /// The address is planned with exactly this action.
    Action {
        /// Resource address.
        address: String,
        /// Expected action.
        action: Action,
    },
    /// The address (or, with None, no address) is planned for delete or replace.
    NoDestroy {
        /// Resource address, or every resource.
        address: Option<String>,
    },
    /// The attribute is unknown after the change.
    Unknown {
        /// Resource address.
        address: String,
        /// Attribute path.
        path: String,
    },
    /// Any other check.
    Custom {
        /// For messages.
        name: String,
        /// The check.
        check: PlanFn,
    },
}

/// A check on the state after apply.
pub enum StateCheck {
    /// The attribute equals the value.
    Equals {
        /// Resource address.
        address: String,
        /// Attribute path.
        path: String,
        /// Expected value.
        value: Value,
    },
    /// The attribute is present and not null.
    Set {
        /// Resource address.
        address: String,
        /// Attribute path.
        path: String,
    },
    /// The attribute is null or missing.
    Absent {
        /// Resource address.
        address: String,
        /// Attribute path.
        path: String,
    },
    /// The resource is in the state.
    ResourcePresent {
        /// Resource address.
        address: String,
    },
    /// The resource is not in the state.
    ResourceAbsent {
        /// Resource address.
        address: String,
    },
    /// Any other check.
    Custom {
        /// For messages.
        name: String,
        /// The check.
        check: StateFn,
    },
}

/// Import-verify settings.
#[derive(Clone, Debug)]
pub struct ImportVerify {
    /// Resource address.
    pub address: String,
    /// Import id.
    pub id: String,
    /// Top-level attributes (or dotted paths) not compared.
    pub ignore: Vec<String>,
}

/// One step of a [`TestCase`]. Built with [`Step::new`] and the builder
/// methods; patterns are regexes matched against normalized output (see
/// [`crate::terraform::normalize_diagnostics`]) and panic if invalid.
pub struct Step {
    name: Option<String>,
    config: String,
    raw: bool,
    refresh_only: bool,
    expect_error: Option<(Phase, String)>,
    plan_checks: Vec<PlanCheck>,
    plan_warnings: Vec<String>,
    apply_warnings: Vec<String>,
    state_checks: Vec<StateCheck>,
    non_empty_plan: bool,
    import: Option<ImportVerify>,
    before: Vec<Hook>,
    after_plan: Vec<Hook>,
    after: Vec<Hook>,
}

impl Step {
    /// A step with this configuration body (the harness prepends
    /// `required_providers` and the default provider block).
    pub fn new(config: impl Into<String>) -> Self {
        Step {
            name: None,
            config: config.into(),
            raw: false,
            refresh_only: false,
            expect_error: None,
            plan_checks: Vec::new(),
            plan_warnings: Vec::new(),
            apply_warnings: Vec::new(),
            state_checks: Vec::new(),
            non_empty_plan: false,
            import: None,
            before: Vec::new(),
            after_plan: Vec::new(),
            after: Vec::new(),
        }
    }

    /// A step whose configuration is used as is (no header, no provider).
    pub fn raw(config: impl Into<String>) -> Self {
        Step {
            raw: true,
            ..Step::new(config)
        }
    }

    /// Names the step in messages.
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Makes this a refresh-only step (`apply -refresh-only -auto-approve`,
    /// then state checks and warnings).
    pub fn refresh_only(mut self) -> Self {
        self.refresh_only = true;
        self
    }

    /// Expects the step to fail (plan or apply) with output matching `pattern`.
    pub fn expect_error(self, pattern: &str) -> Self {
        self.expect_error_at(Phase::Any, pattern)
    }

    /// Expects the step to fail in `phase` with output matching `pattern`.
    pub fn expect_error_at(mut self, phase: Phase, pattern: &str) -> Self {
        compile(pattern);
        self.expect_error = Some((phase, pattern.into()));
        self
    }

    /// Expects `address` to be planned with `action`.
    pub fn expect_action(mut self, address: &str, action: Action) -> Self {
        self.plan_checks.push(PlanCheck::Action {
            address: address.into(),
            action,
        });
        self
    }

    /// Expects `address` not to be planned for delete or replace.
    pub fn expect_no_destroy(mut self, address: &str) -> Self {
        self.plan_checks.push(PlanCheck::NoDestroy {
            address: Some(address.into()),
        });
        self
    }

    /// Expects `address.path` to be unknown in the plan.
    pub fn expect_unknown(mut self, address: &str, path: &str) -> Self {
        self.plan_checks.push(PlanCheck::Unknown {
            address: address.into(),
            path: path.into(),
        });
        self
    }

    /// Adds a custom plan check.
    pub fn check_plan(mut self, name: &str, check: impl Fn(&Plan) -> Result<()> + 'static) -> Self {
        self.plan_checks.push(PlanCheck::Custom {
            name: name.into(),
            check: Box::new(check),
        });
        self
    }

    /// Expects the plan's output to contain a warning matching `pattern`.
    pub fn expect_plan_warning(mut self, pattern: &str) -> Self {
        compile(pattern);
        self.plan_warnings.push(pattern.into());
        self
    }

    /// Expects the apply's output to contain a warning matching `pattern`.
    pub fn expect_apply_warning(mut self, pattern: &str) -> Self {
        compile(pattern);
        self.apply_warnings.push(pattern.into());
        self
    }

    /// Expects `address.path == value` after apply.
    pub fn attr_eq(mut self, address: &str, path: &str, value: impl Into<Value>) -> Self {
        self.state_checks.push(StateCheck::Equals {
            address: address.into(),
            path: path.into(),
            value: value.into(),
        });
        self
    }

    /// Expects `address.path` to be set (not null) after apply.
    pub fn attr_set(mut self, address: &str, path: &str) -> Self {
        self.state_checks.push(StateCheck::Set {
            address: address.into(),
            path: path.into(),
        });
        self
    }

    /// Expects `address.path` to be null or missing after apply.
    pub fn attr_absent(mut self, address: &str, path: &str) -> Self {
        self.state_checks.push(StateCheck::Absent {
            address: address.into(),
            path: path.into(),
        });
        self
    }

    /// Expects `address` in the state after the step.
    pub fn resource_present(mut self, address: &str) -> Self {
        self.state_checks.push(StateCheck::ResourcePresent {
            address: address.into(),
        });
        self
    }

    /// Expects `address` not to be in the state after the step.
    pub fn resource_absent(mut self, address: &str) -> Self {
        self.state_checks.push(StateCheck::ResourceAbsent {
            address: address.into(),
        });
        self
    }

    /// Adds a custom state check.
    pub fn check_state(
        mut self,
        name: &str,
        check: impl Fn(&State) -> Result<()> + 'static,
    ) -> Self {
        self.state_checks.push(StateCheck::Custom {
            name: name.into(),
            check: Box::new(check),
        });
        self
    }

    /// Skips the two empty-plan checks after apply.
    pub fn expect_non_empty_plan(mut self) -> Self {
        self.non_empty_plan = true;
        self
    }

    /// Import-verifies `address` with import id `id`, ignoring these attributes.
    pub fn import_verify(mut self, address: &str, id: &str, ignore: &[&str]) -> Self {
        self.import = Some(ImportVerify {
            address: address.into(),
            id: id.into(),
            ignore: ignore.iter().map(|s| s.to_string()).collect(),
        });
        self
    }

    /// Runs `hook` after the configuration is written, before any command.
    pub fn before(mut self, hook: impl Fn(&TestContext) -> Result<()> + 'static) -> Self {
        self.before.push(Box::new(hook));
        self
    }

    /// Runs `hook` between `plan -out` and `apply tfplan` (both in a normal
    /// step and in one expecting an error at apply): for objects that appear
    /// between the plan and the apply, as if an earlier resource of the same
    /// run had created them.
    pub fn after_plan(mut self, hook: impl Fn(&TestContext) -> Result<()> + 'static) -> Self {
        self.after_plan.push(Box::new(hook));
        self
    }

    /// Runs `hook` at the end of the step (also after an expected error).
    pub fn after(mut self, hook: impl Fn(&TestContext) -> Result<()> + 'static) -> Self {
        self.after.push(Box::new(hook));
        self
    }
}

/// How to clean up after a destroy that was expected to fail.
#[derive(Clone, Debug)]
pub enum Cleanup {
    /// Apply this configuration body (e.g. with `deletion_protection = false`),
    /// then destroy.
    Config(String),
    /// `terraform state rm` these addresses, then destroy the rest.
    StateRm(Vec<String>),
}

/// The destroy at the end of a [`TestCase`].
pub struct Destroy {
    skip: bool,
    expect_error: Option<(String, Cleanup)>,
    warnings: Vec<String>,
    after: Vec<Hook>,
}

impl Default for Destroy {
    fn default() -> Self {
        Destroy::new()
    }
}

impl Destroy {
    /// `destroy -auto-approve` must succeed and leave no managed resources.
    pub fn new() -> Self {
        Destroy {
            skip: false,
            expect_error: None,
            warnings: Vec::new(),
            after: Vec::new(),
        }
    }

    /// No destroy at all.
    pub fn skip() -> Self {
        Destroy {
            skip: true,
            ..Destroy::new()
        }
    }

    /// The destroy must fail with output matching `pattern`, keep every
    /// resource in the state, and then `cleanup` must make a destroy succeed.
    pub fn expect_error(mut self, pattern: &str, cleanup: Cleanup) -> Self {
        compile(pattern);
        self.expect_error = Some((pattern.into(), cleanup));
        self
    }

    /// The successful destroy's output must contain a warning matching `pattern`.
    pub fn expect_warning(mut self, pattern: &str) -> Self {
        compile(pattern);
        self.warnings.push(pattern.into());
        self
    }

    /// Runs `hook` after the successful destroy.
    pub fn after(mut self, hook: impl Fn(&TestContext) -> Result<()> + 'static) -> Self {
        self.after.push(Box::new(hook));
        self
    }
}

/// Steps and a destroy.
pub struct TestCase {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// What happens after the last step.
    pub destroy: Destroy,
}

impl TestCase {
    /// A case with these steps and a plain destroy.
    pub fn new(steps: Vec<Step>) -> Self {
        TestCase {
            steps,
            destroy: Destroy::new(),
        }
    }

    /// Replaces the destroy expectation.
    pub fn destroy(mut self, destroy: Destroy) -> Self {
        self.destroy = destroy;
        self
    }

    /// Runs every step, then the destroy.
    pub fn run(&self, ctx: &TestContext) -> Result<()> {
        let mut runner = Runner::new(ctx);
        for step in &self.steps {
            runner.step(step)?;
        }
        runner.destroy(&self.destroy)
    }
}

/// Runs steps one at a time against a [`TestContext`].
pub struct Runner<'a> {
    ctx: &'a TestContext,
    count: usize,
    /// The last configuration a step applied successfully (full text), which
    /// the destroy runs with.
    last_good: Option<String>,
}

fn failed(step: &str, out: TfOutput) -> Error {
    StepError::CommandFailed {
        step: step.into(),
        command: out.command.clone(),
        output: out.report(),
    }
    .into()
}

impl<'a> Runner<'a> {
    /// A runner; steps are numbered from 1.
    pub fn new(ctx: &'a TestContext) -> Self {
        Runner {
            ctx,
            count: 0,
            last_good: None,
        }
    }

    fn must(&self, label: &str, args: &[&str]) -> Result<TfOutput> {
        let out = self.ctx.tf(args)?;
        if out.success() {
            Ok(out)
        } else {
            Err(failed(label, out))
        }
    }

    fn full_config(&self, step: &Step) -> String {
        if step.raw {
            step.config.clone()
        } else {
            self.ctx.full_config(&step.config)
        }
    }

    /// Runs one step.
    pub fn step(&mut self, step: &Step) -> Result<()> {
        self.count += 1;
        let label = match &step.name {
            Some(n) => format!("step {} ({n})", self.count),
            None => format!("step {}", self.count),
        };
        self.ctx.note(&label);
        let config = self.full_config(step);
        self.ctx.workdir.write_main(&self.ctx.dir(), &config)?;
        for hook in &step.before {
            hook(self.ctx)?;
        }
        if let Some((phase, pattern)) = &step.expect_error {
            self.error_step(&label, step, *phase, pattern)?;
        } else if step.refresh_only {
            let out = self.must(&label, &["apply", "-refresh-only", "-auto-approve"])?;
            check_warnings(
                &label,
                &out,
                step.plan_warnings.iter().chain(&step.apply_warnings),
            )?;
            run_state_checks(&label, &self.ctx.state()?, &step.state_checks)?;
        } else {
            self.apply_step(&label, step)?;
        }
        if step.expect_error.is_none() {
            self.last_good = Some(config);
        }
        for hook in &step.after {
            hook(self.ctx)?;
        }
        Ok(())
    }

    fn error_step(&self, label: &str, step: &Step, phase: Phase, pattern: &str) -> Result<()> {
        let re = compile(pattern);
        let mismatch = |out: &TfOutput, reason: String| -> Error {
            StepError::WrongError {
                step: label.into(),
                reason,
                output: out.report(),
            }
            .into()
        };
        let first = if step.refresh_only {
            self.ctx.tf(&["apply", "-refresh-only", "-auto-approve"])?
        } else {
            self.ctx.tf(&["plan", "-out=tfplan"])?
        };
        let failing = if !first.success() {
            if phase == Phase::Apply && !step.refresh_only {
                return Err(mismatch(
                    &first,
                    format!("expected /{pattern}/ at apply, but the plan failed"),
                ));
            }
            first
        } else {
            check_warnings(label, &first, &step.plan_warnings)?;
            if phase == Phase::Plan || step.refresh_only {
                return Err(StepError::UnexpectedSuccess {
                    step: label.into(),
                    pattern: pattern.into(),
                    phase: phase.to_string(),
                    command: first.command.clone(),
                    output: first.report(),
                }
                .into());
            }
            for hook in &step.after_plan {
                hook(self.ctx)?;
            }
            let apply = self.ctx.tf(&["apply", "tfplan"])?;
            if apply.success() {
                return Err(StepError::UnexpectedSuccess {
                    step: label.into(),
                    pattern: pattern.into(),
                    phase: phase.to_string(),
                    command: apply.command.clone(),
                    output: format!("{}\n{}", first.report(), apply.report()),
                }
                .into());
            }
            apply
        };
        if !failing.matches(&re) {
            return Err(mismatch(
                &failing,
                format!(
                    "`{}` failed as expected, but its output does not match /{pattern}/ (diagnostics: {:?})",
                    failing.command,
                    failing.diagnostics()
                ),
            ));
        }
        Ok(())
    }

    fn apply_step(&self, label: &str, step: &Step) -> Result<()> {
        // 1. plan + plan checks
        let plan_out = self.must(label, &["plan", "-out=tfplan"])?;
        check_warnings(label, &plan_out, &step.plan_warnings)?;
        let plan = Plan::new(self.must(label, &["show", "-json", "tfplan"])?.json()?);
        run_plan_checks(label, &plan, &step.plan_checks)?;

        for hook in &step.after_plan {
            hook(self.ctx)?;
        }

        // 2. apply + state checks
        let apply_out = self.must(label, &["apply", "tfplan"])?;
        check_warnings(label, &apply_out, &step.apply_warnings)?;
        let state = self.ctx.state()?;
        run_state_checks(label, &state, &step.state_checks)?;

        // 3. + 4. empty plans
        if !step.non_empty_plan {
            for args in [
                &["plan", "-refresh=false", "-detailed-exitcode"][..],
                &["plan", "-detailed-exitcode"][..],
            ] {
                let out = self.ctx.tf(args)?;
                match out.code {
                    Some(0) => {}
                    Some(2) => {
                        return Err(StepError::NonEmptyPlan {
                            step: label.into(),
                            command: out.command.clone(),
                            code: out.code,
                            output: out.report(),
                        }
                        .into())
                    }
                    _ => return Err(failed(label, out)),
                }
            }
        }

        // 5. import-verify
        if let Some(iv) = &step.import {
            self.import_verify(label, step, iv, &state)?;
        }
        Ok(())
    }

    fn import_verify(
        &self,
        label: &str,
        step: &Step,
        iv: &ImportVerify,
        applied: &State,
    ) -> Result<()> {
        let dir = self.ctx.workdir.new_config_dir("import")?;
        self.ctx.workdir.write_main(&dir, &self.full_config(step))?;
        let out = self.ctx.tf_in(&dir, &["import", &iv.address, &iv.id])?;
        if !out.success() {
            return Err(failed(label, out));
        }
        let imported = self.ctx.state_in(&dir)?;
        let diffs = compare_import(applied, &imported, &iv.address, &iv.ignore);
        if !diffs.is_empty() {
            return Err(StepError::ImportVerify {
                step: label.into(),
                address: iv.address.clone(),
                id: iv.id.clone(),
                differences: diffs.join("\n"),
            }
            .into());
        }
        Ok(())
    }

    /// Runs the final destroy, with the configuration of the last step that
    /// succeeded (as terraform-plugin-testing does).
    pub fn destroy(&mut self, destroy: &Destroy) -> Result<()> {
        if destroy.skip {
            return Ok(());
        }
        let label = "destroy";
        self.ctx.note("destroy");
        let before: BTreeSet<String> = self.ctx.state()?.managed_addresses().into_iter().collect();
        match &self.last_good {
            Some(config) => self.ctx.workdir.write_main(&self.ctx.dir(), config)?,
            None if before.is_empty() => {
                // Every step was refused: nothing to destroy, and the last
                // configuration may not even be valid.
                self.ctx
                    .note("destroy: nothing was applied, nothing to destroy");
                return Ok(());
            }
            None => {}
        }
        let out = self.ctx.tf(&["destroy", "-auto-approve"])?;
        let final_out = match &destroy.expect_error {
            None => {
                if !out.success() {
                    return Err(failed(label, out));
                }
                out
            }
            Some((pattern, cleanup)) => {
                out.expect_error(pattern)?;
                let after: BTreeSet<String> =
                    self.ctx.state()?.managed_addresses().into_iter().collect();
                let forgotten: Vec<_> = before.difference(&after).collect();
                if !forgotten.is_empty() {
                    return Err(StepError::StateCheck {
                        step: label.into(),
                        reason: format!(
                            "the refused destroy still removed {forgotten:?} from the state"
                        ),
                    }
                    .into());
                }
                match cleanup {
                    Cleanup::Config(body) => {
                        self.ctx.write_config(body)?;
                        self.must("destroy cleanup", &["apply", "-auto-approve"])?;
                    }
                    Cleanup::StateRm(addrs) => {
                        let mut args = vec!["state", "rm"];
                        args.extend(addrs.iter().map(String::as_str));
                        self.must("destroy cleanup", &args)?;
                    }
                }
                self.must("destroy cleanup", &["destroy", "-auto-approve"])?
            }
        };
        check_warnings(label, &final_out, &destroy.warnings)?;
        let left = self.ctx.state()?.managed_addresses();
        if !left.is_empty() {
            return Err(StepError::StateCheck {
                step: label.into(),
                reason: format!("resources left in the state after destroy: {left:?}"),
            }
            .into());
        }
        for hook in &destroy.after {
            hook(self.ctx)?;
        }
        Ok(())
    }
}

fn check_warnings<'p>(
    label: &str,
    out: &TfOutput,
    patterns: impl IntoIterator<Item = &'p String>,
) -> Result<()> {
    for p in patterns {
        if !out.matches(&compile(p)) {
            return Err(StepError::MissingWarning {
                step: label.into(),
                pattern: p.clone(),
                command: out.command.clone(),
                output: out.report(),
            }
            .into());
        }
    }
    Ok(())
}

/// Runs plan checks; the error names the first failing one.
pub fn run_plan_checks(label: &str, plan: &Plan, checks: &[PlanCheck]) -> Result<()> {
    let fail = |reason: String| -> Error {
        StepError::PlanCheck {
            step: label.into(),
            reason,
            actions: format!("{:?}", plan.actions()),
        }
        .into()
    };
    for check in checks {
        match check {
            PlanCheck::Action { address, action } => {
                let got = plan.action(address);
                if got != Some(*action) {
                    return Err(fail(format!(
                        "{address}: expected action {action}, got {}",
                        got.map(|a| a.to_string())
                            .unwrap_or_else(|| format!("{:?}", plan.raw_actions(address)))
                    )));
                }
            }
            PlanCheck::NoDestroy { address } => {
                for (addr, _) in plan.actions() {
                    if address.as_ref().is_some_and(|a| a != &addr) {
                        continue;
                    }
                    if plan.action(&addr).is_some_and(Action::destroys) {
                        return Err(fail(format!("{addr} is planned for delete/replace")));
                    }
                }
            }
            PlanCheck::Unknown { address, path } => {
                if !plan.is_unknown_after(address, path) {
                    return Err(fail(format!(
                        "{address}.{path}: expected unknown at plan, planned value is {:?}",
                        plan.after(address, path)
                    )));
                }
            }
            PlanCheck::Custom { name, check } => {
                check(plan).map_err(|e| fail(format!("{name}: {e}")))?;
            }
        }
    }
    Ok(())
}

/// Runs state checks; the error names the first failing one.
pub fn run_state_checks(label: &str, state: &State, checks: &[StateCheck]) -> Result<()> {
    let fail = |reason: String| -> Error {
        StepError::StateCheck {
            step: label.into(),
            reason,
        }
        .into()
    };
    let present = |address: &str| -> Result<()> {
        if state.resource(address).is_none() {
            return Err(fail(format!(
                "{address} is not in the state (state has {:?})",
                state.managed_addresses()
            )));
        }
        Ok(())
    };
    for check in checks {
        match check {
            StateCheck::Equals {
                address,
                path,
                value,
            } => {
                present(address)?;
                let got = state.attr(address, path);
                if got != Some(value) {
                    return Err(fail(format!(
                        "{address}.{path}: expected {value}, got {got:?}"
                    )));
                }
            }
            StateCheck::Set { address, path } => {
                present(address)?;
                if state.attr(address, path).is_none_or(Value::is_null) {
                    return Err(fail(format!(
                        "{address}.{path}: expected a value, got null"
                    )));
                }
            }
            StateCheck::Absent { address, path } => {
                present(address)?;
                if let Some(v) = state.attr(address, path).filter(|v| !v.is_null()) {
                    return Err(fail(format!("{address}.{path}: expected null, got {v}")));
                }
            }
            StateCheck::ResourcePresent { address } => present(address)?,
            StateCheck::ResourceAbsent { address } => {
                if state.resource(address).is_some() {
                    return Err(fail(format!(
                        "{address} is in the state, expected it absent"
                    )));
                }
            }
            StateCheck::Custom { name, check } => {
                check(state).map_err(|e| fail(format!("{name}: {e}")))?;
            }
        }
    }
    Ok(())
}

/// Compares an imported resource with the applied one: one line per
/// top-level attribute that differs and is not ignored (an ignore entry
/// `a.b` ignores only that nested path).
pub fn compare_import(
    applied: &State,
    imported: &State,
    address: &str,
    ignore: &[String],
) -> Vec<String> {
    let (Some(a), Some(b)) = (applied.values(address), imported.values(address)) else {
        return vec![format!(
            "{address} missing: applied has it: {}, imported has it: {} (imported state has {:?})",
            applied.values(address).is_some(),
            imported.values(address).is_some(),
            imported.managed_addresses()
        )];
    };
    let mut diffs = Vec::new();
    diff_values("", a, b, ignore, &mut diffs);
    diffs
}

fn diff_values(prefix: &str, a: &Value, b: &Value, ignore: &[String], out: &mut Vec<String>) {
    if ignore.iter().any(|i| i == prefix) {
        return;
    }
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            let keys: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
            for k in keys {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                let va = ma.get(k).unwrap_or(&Value::Null);
                let vb = mb.get(k).unwrap_or(&Value::Null);
                diff_values(&path, va, vb, ignore, out);
            }
        }
        _ if a != b => out.push(format!("  {prefix}: applied {a}, imported {b}")),
        _ => {}
    }
}

/// Looks up an attribute of a resource in raw `show -json` output (a
/// convenience for hooks).
pub fn attr<'v>(state: &'v State, address: &str, path: &str) -> Option<&'v Value> {
    state.values(address).and_then(|v| lookup(v, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn import_diff_ignores() {
        let a = State::new(json!({"values": {"root_module": {"resources": [
            {"address": "x.y", "mode": "managed", "values": {"id": "c", "key_arn": "alias/k", "timeouts": {"create": "1m"}, "n": 1}}]}}}));
        let b = State::new(json!({"values": {"root_module": {"resources": [
            {"address": "x.y", "mode": "managed", "values": {"id": "c", "key_arn": "arn:k", "timeouts": null, "n": 2}}]}}}));
        let d = compare_import(&a, &b, "x.y", &["timeouts".into(), "key_arn".into()]);
        assert_eq!(d, ["  n: applied 1, imported 2"]);
        assert_eq!(compare_import(&a, &b, "x.y", &[]).len(), 3);
        assert_eq!(compare_import(&a, &b, "q.r", &[]).len(), 1);
    }
}
