//! The `eks_encryption_config` resource, its methods in lifecycle order:
//! validate, plan, apply (create and update), read, delete, import.
//!
//! Each method reads in three steps: gather the facts (through
//! [`super::ops`]), decide (the pure guard in [`super::plan`]), and shape
//! the planned or new state (with [`super::plan_modifiers`]).

use std::time::Duration;

use tokio::time::Instant;

use super::health;
use super::model::{parse_duration, Model, DEFAULT_TIMEOUT, SECRETS};
use super::ops::Ctx;
use super::plan::{self, Action, ChangeFacts, Decision, KeyLookup, KeyType, LiveCluster, Prior};
use super::plan_modifiers as modifiers;
use super::schema::resource_schema;
use crate::aws::{human_duration, ClusterInfo};
use crate::provider::encryption_config::preflight;
use crate::provider::errors::{
    decode_diagnostic, op_diagnostic, op_diagnostics, OpError, TIMED_OUT,
};
use crate::tfprotov6::value::Maybe;
use crate::tfprotov6::{
    ApplyResourceChangeRequest, ApplyResourceChangeResponse, AttributePath, Diagnostic,
    Diagnostics, DynamicValue, PlanResourceChangeRequest, PlanResourceChangeResponse,
    ReadResourceRequest, ReadResourceResponse, Type,
};

/// Summary for a malformed `key_arn`.
pub const INVALID_KEY_ARN: &str = "Invalid key_arn";

/// The resource's value type, built once: every decode and encode (and
/// every UpgradeResourceState) needs it.
pub fn state_type() -> &'static Type {
    static TYPE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
    TYPE.get_or_init(|| resource_schema().block.value_type())
}

/// Decodes a state, plan or configuration value (`None` when null).
pub(crate) fn decode(v: &DynamicValue, what: &str) -> Result<Option<Model>, Diagnostic> {
    let value = v
        .decode(state_type())
        .map_err(|e| decode_diagnostic(what, e))?;
    Model::from_value(&value)
}

/// The prior state, the new (proposed or planned) state and the
/// configuration of a plan or apply call.
type Decoded = (Option<Model>, Option<Model>, Option<Model>);

fn decode_change(
    prior: &DynamicValue,
    new: &DynamicValue,
    config: &DynamicValue,
) -> Result<Decoded, Diagnostic> {
    let prior_model = decode(prior, "prior state")?;
    // In a plan without changes Terraform proposes the prior state itself,
    // byte for byte: decode it once.
    let new_model = if new == prior {
        prior_model.clone()
    } else {
        decode(new, "planned state")?
    };
    Ok((prior_model, new_model, decode(config, "configuration")?))
}

fn encode(m: &Model) -> Result<DynamicValue, Diagnostic> {
    DynamicValue::encode(&m.to_value(), state_type()).map_err(|e| decode_diagnostic("new state", e))
}

fn encode_or_push(m: &Model, d: &mut Diagnostics) -> Option<DynamicValue> {
    encode(m).map_err(|e| d.push(e)).ok()
}

/// The result of an AWS read, or `None` with its diagnostic pushed.
fn reported<T>(
    r: Result<T, OpError>,
    what: impl FnOnce() -> String,
    d: &mut Diagnostics,
) -> Option<T> {
    r.map_err(|e| d.push(op_diagnostic(&what(), e))).ok()
}

fn cluster_of(m: &Model) -> String {
    m.cluster_name.known().cloned().unwrap_or_default()
}

fn prior_facts(m: &Model) -> Prior {
    let cmk = match (
        m.key_type.known().map(String::as_str),
        m.resolved_key_arn.known(),
    ) {
        (Some("CUSTOMER_MANAGED"), Some(arn)) => Some(arn.clone()),
        (None, Some(arn)) => Some(arn.clone()),
        _ => None,
    };
    Prior {
        key_arn: m.key_arn.known().cloned(),
        cmk_arn: cmk,
        deletion_protection: m.protection(),
        cluster_created_at: m.cluster_created_at.known().cloned(),
    }
}

// ---- validate -----------------------------------------------------------------

/// ValidateResourceConfig: syntax only, no AWS call.
pub fn validate(config: &DynamicValue) -> Diagnostics {
    let mut d = Diagnostics::new();
    let m = match decode(config, "configuration") {
        Ok(Some(m)) => m,
        Ok(None) => return d,
        Err(e) => {
            d.push(e);
            return d;
        }
    };
    let on = |attr: &str, d: Diagnostic| d.with_attribute(AttributePath::attr(attr));
    if let Some(name) = m.cluster_name.known().filter(|n| !is_cluster_name(n)) {
        d.push(on(
            "cluster_name",
            Diagnostic::error(
                "Invalid cluster_name",
                format!(
                    "{name:?} is not an EKS cluster name: 1 to 100 letters, digits, '-' and \
                     '_', starting with a letter or digit."
                ),
            ),
        ));
    }
    if let Some(Err(why)) = m.key_arn.known().map(|k| plan::validate_key_arn(k)) {
        d.push(on("key_arn", Diagnostic::error(INVALID_KEY_ARN, why)));
    }
    if let Some(r) = m
        .resources
        .known()
        .filter(|r| r.len() != 1 || r[0] != SECRETS)
    {
        d.push(on(
            "resources",
            Diagnostic::error(
                "Invalid resources",
                format!(
                    "resources = {r:?}: EKS only supports encrypting secrets. Use \
                     resources = [\"secrets\"] or leave it unset."
                ),
            ),
        ));
    }
    if let Some(t) = m.timeouts.known() {
        for (name, v) in [("create", &t.create), ("update", &t.update)] {
            if let Some(Err(why)) = v.known().map(|s| parse_duration(s)) {
                d.push(
                    Diagnostic::error("Invalid timeout", why)
                        .with_attribute(AttributePath::attr("timeouts").child_attr(name)),
                );
            }
        }
    }
    d
}

/// Whether `name` is a valid EKS cluster name.
pub(crate) fn is_cluster_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

// ---- plan ---------------------------------------------------------------------

/// PlanResourceChange: runs the guard against live facts. The planned
/// state is null for a destroy and when the plan is refused.
pub async fn plan(ctx: &Ctx<'_>, req: &PlanResourceChangeRequest) -> PlanResourceChangeResponse {
    let mut out = PlanResourceChangeResponse {
        planned_private: req.prior_private.clone(),
        ..PlanResourceChangeResponse::default()
    };
    let planned = match decode_change(&req.prior_state, &req.proposed_new_state, &req.config) {
        Err(e) => {
            out.diagnostics.push(e);
            None
        }
        Ok((prior, None, _)) => {
            plan_destroy(prior.as_ref(), &mut out.diagnostics);
            None
        }
        Ok((prior, Some(proposed), config)) => {
            let config = config.unwrap_or_else(|| proposed.clone());
            plan_change(ctx, prior, proposed, &config, &mut out).await
        }
    };
    let state = planned.and_then(|m| encode_or_push(&m, &mut out.diagnostics));
    out.planned_state = Some(state.unwrap_or_else(DynamicValue::null));
    out
}

/// A destroy: refused while a protected CMK is associated; otherwise the
/// warning that the CMK stays on the cluster.
fn plan_destroy(prior: Option<&Model>, d: &mut Diagnostics) {
    let Some(p) = prior else { return };
    let (cluster, facts) = (cluster_of(p), prior_facts(p));
    d.extend(plan::decide_destroy(&cluster, &facts));
    if let (false, Some(cmk)) = (d.has_errors(), &facts.cmk_arn) {
        d.push(plan::forget_warning(&cluster, cmk));
    }
}

/// A create or update: the plan modifiers, the facts, the decision, and the
/// planned state's shape. `None` when the plan is refused.
async fn plan_change(
    ctx: &Ctx<'_>,
    prior: Option<Model>,
    proposed: Model,
    config: &Model,
    out: &mut PlanResourceChangeResponse,
) -> Option<Model> {
    let planned = modifiers::with_defaults(proposed, config);
    let mut prior = prior;
    if let Some(path) = modifiers::requires_replace(prior.as_ref(), &planned) {
        // The old association is destroyed (guarded), and a new one created.
        out.requires_replace.push(path);
        let old = prior.take()?;
        out.diagnostics
            .extend(plan::decide_destroy(&cluster_of(&old), &prior_facts(&old)));
        if out.diagnostics.has_errors() {
            return None;
        }
    }
    let d = &mut out.diagnostics;
    let Maybe::Known(cluster) = planned.cluster_name.clone() else {
        return Some(modifiers::unknown_until_apply(planned, true));
    };
    let (live, key) = match gather_plan_facts(ctx, &cluster, prior.is_some(), config, d).await? {
        PlanFacts::ClusterNotYet => return Some(modifiers::unknown_until_apply(planned, true)),
        PlanFacts::Known { live, key } => (live, key),
    };
    let prior_f = prior.as_ref().map(prior_facts);
    let region = ctx.clients.region();
    let mut facts = change_facts(
        &cluster,
        region,
        prior_f.as_ref(),
        config,
        &live,
        key.as_ref(),
        true,
    );
    let decision = decide_plan(ctx, &mut facts, d).await?;
    d.extend(decision.diagnostics);
    if d.has_errors() {
        return None;
    }
    shape_plan(
        ctx,
        planned,
        prior.as_ref(),
        &facts,
        config,
        &decision.action,
        d,
    )
    .await
}

/// The facts of a decision, the rotation status not asked yet; `at_plan`
/// for a plan (a key not found yet is then decided at apply).
fn change_facts<'a>(
    cluster: &'a str,
    region: &'a str,
    prior: Option<&'a Prior>,
    config: &'a Model,
    live: &'a LiveCluster,
    key: Option<&'a KeyLookup>,
    at_plan: bool,
) -> ChangeFacts<'a> {
    ChangeFacts {
        cluster,
        region,
        prior,
        config_key: &config.key_arn,
        live,
        key,
        rotation: None,
        require_rotation: config.rotation_required(),
        at_plan,
    }
}

/// What a plan for an existing cluster is decided on, or why it cannot be.
// One value per plan, moved once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum PlanFacts {
    /// The cluster does not exist yet (created in this run): everything is
    /// decided at apply.
    ClusterNotYet,
    /// The cluster and, when `key_arn` is known, the key.
    Known {
        /// What EKS reports.
        live: LiveCluster,
        /// The lookup of the configured key.
        key: Option<KeyLookup>,
    },
}

/// Gathers the cluster and the configured key (cached reads). `None` when
/// the plan is refused (the diagnostics say why).
async fn gather_plan_facts(
    ctx: &Ctx<'_>,
    cluster: &str,
    has_prior: bool,
    config: &Model,
    d: &mut Diagnostics,
) -> Option<PlanFacts> {
    let region = ctx.clients.region();
    let live = reported(
        ctx.live(cluster, true).await,
        || reading_cluster(cluster),
        d,
    )?;
    let configured = config.key_arn.known();
    if live.is_none() && !has_prior {
        // Typically created in this run: check what can be checked now (a
        // known key that exists must be usable), warn, decide at apply.
        d.push(preflight::cluster_not_found_yet(cluster, region));
        if let Some(k) = configured {
            let lookup = reported(ctx.key(k, true).await, || reading_key(k), d)?;
            match key_not_there_yet(k, &lookup, region) {
                Some(warning) => d.push(warning),
                None => d.extend(plan::check_key(k, &lookup, region)),
            }
        }
        return (!d.has_errors()).then_some(PlanFacts::ClusterNotYet);
    }
    d.extend(plan::check_cluster(cluster, region, live.as_ref()));
    let live = live.filter(|_| !d.has_errors())?;
    let Some(k) = configured else {
        return Some(PlanFacts::Known { live, key: None });
    };
    // A key or alias not found is decided by the guard (plan::decide_change
    // at plan): deferred to the apply when it may be created in this run.
    let key = reported(ctx.key(k, true).await, || reading_key(k), d)?;
    Some(PlanFacts::Known {
        live,
        key: Some(key),
    })
}

/// The warning for a key KMS does not find but that may be created in
/// this run; `None` for any other lookup.
fn key_not_there_yet(configured: &str, lookup: &KeyLookup, region: &str) -> Option<Diagnostic> {
    match lookup {
        KeyLookup::NotFound { message } if preflight::may_appear_later(configured, region) => {
            Some(preflight::key_not_found_yet(configured, region, message))
        }
        _ => None,
    }
}

fn reading_cluster(cluster: &str) -> String {
    format!("reading cluster {cluster:?}")
}

fn reading_key(key: &str) -> String {
    format!("reading KMS key {key:?}")
}

/// Decides a plan. The key's rotation status is gathered first, when it
/// can change the outcome. `None` when it could not be read.
async fn decide_plan(
    ctx: &Ctx<'_>,
    facts: &mut ChangeFacts<'_>,
    d: &mut Diagnostics,
) -> Option<Decision> {
    if let (true, Some(KeyLookup::Found(k))) = (plan::rotation_matters(facts), facts.key) {
        let rotation = ctx.rotation(&k.arn).await;
        facts.rotation = reported(rotation, || "checking key rotation".into(), d)?;
    }
    Some(plan::decide_change(facts))
}

/// Shapes the planned state for the decided action: nothing to do, adopt
/// the CMK the cluster has, associate (after the association preflight),
/// or decide at apply. `None` when the preflight refuses.
async fn shape_plan(
    ctx: &Ctx<'_>,
    planned: Model,
    prior: Option<&Model>,
    facts: &ChangeFacts<'_>,
    config: &Model,
    action: &Action,
    d: &mut Diagnostics,
) -> Option<Model> {
    let info = &facts.live.info;
    let planned = modifiers::with_cluster(planned, info);
    Some(match action {
        Action::Nothing => match prior {
            Some(p) => modifiers::use_prior_computed(planned, p),
            None => modifiers::without_cmk(planned, &info.version),
        },
        Action::Adopt { key_arn } => {
            let state = match facts.key {
                Some(KeyLookup::Found(f)) => Maybe::Known(f.state.clone()),
                _ => Maybe::Unknown,
            };
            modifiers::with_cmk(planned, key_arn, state)
        }
        Action::Associate { key_arn } => {
            // Can EKS create its grant, and can the key stay usable?
            let checked = association_preflight(ctx, info, key_arn, config).await;
            let checked = reported(checked, || "running the association preflight".into(), d)?;
            d.extend(checked);
            if d.has_errors() {
                return None;
            }
            modifiers::with_cmk(planned, key_arn, Maybe::Known("Enabled".into()))
        }
        Action::DecideAtApply => modifiers::unknown_until_apply(planned, false),
    })
}

/// The association preflight (a CreateGrant dry run, the key's custody):
/// its errors and warnings.
async fn association_preflight(
    ctx: &Ctx<'_>,
    info: &ClusterInfo,
    key_arn: &str,
    config: &Model,
) -> Result<Diagnostics, OpError> {
    let facts = preflight::gather(
        ctx.clients,
        ctx.stop,
        &info.name,
        &info.arn,
        info.role_arn.as_deref(),
        key_arn,
        config.preflight_on(),
    )
    .await?;
    Ok(preflight::decide(&facts))
}

// ---- apply: create and update ---------------------------------------------------

/// An apply's response: the new state (`None` removes the resource, or
/// records nothing) and the diagnostics.
fn applied(state: Option<DynamicValue>, diagnostics: Diagnostics) -> ApplyResourceChangeResponse {
    ApplyResourceChangeResponse {
        new_state: Some(state.unwrap_or_else(DynamicValue::null)),
        private: Vec::new(),
        diagnostics,
        // The provider adds the identity of the new state.
        new_identity: None,
    }
}

/// ApplyResourceChange: dispatches to create, update or delete. A value
/// that cannot be decoded is an error that keeps the prior state as it
/// was, never a null state (which would drop the resource).
pub async fn apply(ctx: &Ctx<'_>, req: &ApplyResourceChangeRequest) -> ApplyResourceChangeResponse {
    let prior_state = &req.prior_state;
    match decode_change(prior_state, &req.planned_state, &req.config) {
        Ok((prior, Some(planned), config)) => {
            let config = config.unwrap_or_else(|| planned.clone());
            match prior {
                Some(p) if p.cluster_name == planned.cluster_name => {
                    update(ctx, prior_state, p, planned, config).await
                }
                _ => create(ctx, planned, config).await,
            }
        }
        Ok((Some(prior), None, _)) => delete(prior_state, &prior),
        Ok((None, None, _)) => applied(None, Diagnostics::new()),
        Err(e) => applied(keep(prior_state), e.into()),
    }
}

/// The prior state, kept unchanged (`None` when it is null).
fn keep(prior: &DynamicValue) -> Option<DynamicValue> {
    match prior.decode(state_type()) {
        Ok(v) if v.is_null() => None,
        _ => Some(prior.clone()),
    }
}

/// Which timeout bounds an apply, for the deadline and its message.
struct Timeout {
    /// `create` or `update`.
    which: &'static str,
    /// The configured value as written, if any.
    configured: Option<String>,
    /// The duration.
    duration: Duration,
}

impl Timeout {
    fn of(m: &Model, create: bool) -> Self {
        let which = if create { "create" } else { "update" };
        let configured = m.configured_timeout(create).cloned();
        Timeout {
            which,
            configured,
            duration: m.timeout(create),
        }
    }

    fn deadline(&self) -> Instant {
        // `duration` is at most MAX_DURATION, so this cannot overflow; fall
        // back to the default rather than panic if it ever did.
        let now = Instant::now();
        now.checked_add(self.duration)
            .or_else(|| now.checked_add(DEFAULT_TIMEOUT))
            .unwrap_or(now)
    }

    /// The diagnostic when the deadline ran out: how long it waited (the
    /// configured timeout), the update, and what happens next.
    fn diagnostic(&self, cluster: &str, update_id: Option<&str>) -> Diagnostic {
        let waited = match &self.configured {
            Some(v) => format!("{v} (timeouts.{})", self.which),
            None => format!(
                "{} (the default of timeouts.{})",
                human_duration(DEFAULT_TIMEOUT),
                self.which
            ),
        };
        let detail = match update_id {
            Some(id) => format!(
                "Waited {waited} for EKS update {id} (AssociateEncryptionConfig) on cluster \
                 {cluster:?}, which is still in progress. EKS keeps working on it: a timeout \
                 does not cancel the association. Run apply again: it finds this same update \
                 and waits for it, without a second association. Associations often take 45 \
                 to 60 minutes or more; raise timeouts.{} if needed.",
                self.which
            ),
            None => format!(
                "Waited {waited} on cluster {cluster:?} without starting the association (for \
                 example while another update ran). Nothing was associated. Apply again, or \
                 raise timeouts.{}.",
                self.which
            ),
        };
        Diagnostic::error(TIMED_OUT, detail)
            .with_attribute(AttributePath::attr("timeouts").child_attr(self.which))
    }
}

/// Create: associate (or adopt) the key. On any error nothing is recorded,
/// so a retry plans a create again and waits for an association EKS may
/// still be running, never starting a second one.
async fn create(ctx: &Ctx<'_>, planned: Model, config: Model) -> ApplyResourceChangeResponse {
    let timeout = Timeout::of(&planned, true);
    let ctx = ctx.with_deadline(timeout.deadline());
    match converge(&ctx, None, &planned, &config, &timeout).await {
        Ok((state, diagnostics)) => applied(Some(state), diagnostics),
        Err(diagnostics) => applied(None, diagnostics),
    }
}

/// Update: an upgrade from no CMK to a CMK associates it; any other change
/// only touches Terraform-side attributes. On error the prior state is
/// kept, so a retry waits for an association EKS may still be running.
async fn update(
    ctx: &Ctx<'_>,
    prior_state: &DynamicValue,
    prior: Model,
    planned: Model,
    config: Model,
) -> ApplyResourceChangeResponse {
    let timeout = Timeout::of(&planned, false);
    let ctx = ctx.with_deadline(timeout.deadline());
    match converge(&ctx, Some(&prior), &planned, &config, &timeout).await {
        Ok((state, diagnostics)) => applied(Some(state), diagnostics),
        Err(diagnostics) => applied(Some(prior_state.clone()), diagnostics),
    }
}

/// An apply's failure as diagnostics: a deadline that ran out names the
/// timeout and the update it waited for.
type Fail<'a> = &'a (dyn Fn(String, OpError) -> Diagnostics + Sync);

/// Only the errors: warnings were shown at plan time already.
fn errors_of(d: Diagnostics) -> Diagnostics {
    Diagnostics(d.0.into_iter().filter(Diagnostic::is_error).collect())
}

/// Runs the guard again with fresh facts and makes the cluster match: the
/// facts, the decision, the change, and the new state.
async fn converge(
    ctx: &Ctx<'_>,
    prior: Option<&Model>,
    planned: &Model,
    config: &Model,
    timeout: &Timeout,
) -> Result<(DynamicValue, Diagnostics), Diagnostics> {
    let Maybe::Known(cluster) = planned.cluster_name.clone() else {
        return Err(not_known("cluster_name").into());
    };
    let fail = |what: String, e: OpError| -> Diagnostics {
        match e {
            OpError::Timeout { update_id } => {
                timeout.diagnostic(&cluster, update_id.as_deref()).into()
            }
            e => op_diagnostics(&what, e),
        }
    };
    let mut diags = Diagnostics::new();
    let (live, key) = gather_apply_facts(ctx, &cluster, config, &fail, &mut diags).await?;
    let planned_key = planned_key(planned, config, key.as_ref())?;
    let prior_f = prior.map(prior_facts);
    // Rotation is checked below, only for a key the plan could not check.
    let region = ctx.clients.region();
    let facts = change_facts(
        &cluster,
        region,
        prior_f.as_ref(),
        config,
        &live,
        key.as_ref(),
        false,
    );
    let decision = plan::decide_change(&facts);
    let errors = errors_of(decision.diagnostics);
    if !errors.is_empty() {
        return Err(errors);
    }
    // The checks the plan could not make (the cluster or the key did not
    // exist yet, or the key was unknown) run now, right before the
    // association. When the plan ran them, the fresh re-check of the key
    // and the cluster before the call (ensure_associated) is enough, and
    // keeps an association at its call count.
    if planned.resolved_key_arn.is_unknown() {
        diags.extend(checks_at_apply(ctx, &live.info, &decision.action, config, &fail).await?);
    }
    let change = Change {
        cluster: &cluster,
        prior,
        planned,
        planned_key,
        config,
    };
    let (update_id, info, key) =
        make_change(ctx, &change, decision.action, live, key, &fail).await?;
    let state = shape_applied(ctx, planned, config, &info, update_id, key.as_ref()).await;
    Ok((encode(&state).map_err(Diagnostics::from)?, diags))
}

/// The key ARN the plan showed, when it was known. Only a key that was
/// unknown at plan may be resolved now: a key the plan showed must still be
/// the one `key_arn` names (an alias moved since is refused).
fn planned_key<'a>(
    planned: &'a Model,
    config: &Model,
    key: Option<&KeyLookup>,
) -> Result<Option<&'a str>, Diagnostics> {
    let (Maybe::Known(configured), Maybe::Known(want)) =
        (&config.key_arn, &planned.resolved_key_arn)
    else {
        return Ok(None);
    };
    match key {
        Some(KeyLookup::Found(f)) if f.arn != *want => {
            Err(plan::key_moved(configured, want, &f.arn).into())
        }
        _ => Ok(Some(want.as_str())),
    }
}

fn not_known(attr: &str) -> Diagnostic {
    Diagnostic::error(
        format!("{attr} not known"),
        format!("{attr} must be known at apply time."),
    )
    .with_attribute(AttributePath::attr(attr))
}

/// The fresh reads an apply decides on: one DescribeCluster (waiting while
/// a cluster created in this run is CREATING) and one DescribeKey, right
/// before any change. The cluster's warnings go to `diags`.
async fn gather_apply_facts(
    ctx: &Ctx<'_>,
    cluster: &str,
    config: &Model,
    fail: Fail<'_>,
    diags: &mut Diagnostics,
) -> Result<(LiveCluster, Option<KeyLookup>), Diagnostics> {
    let live = ctx
        .live(cluster, false)
        .await
        .map_err(|e| fail(reading_cluster(cluster), e))?;
    let waiting = || format!("waiting for cluster {cluster:?} to become ACTIVE");
    let live = ctx
        .wait_cluster_created(cluster, live)
        .await
        .map_err(|e| fail(waiting(), e))?;
    diags.extend(plan::check_cluster(
        cluster,
        ctx.clients.region(),
        live.as_ref(),
    ));
    if diags.has_errors() {
        return Err(errors_of(std::mem::take(diags)));
    }
    let Some(live) = live else {
        return Err(std::mem::take(diags));
    };
    let key = match &config.key_arn {
        Maybe::Known(k) => Some(
            ctx.key(k, false)
                .await
                .map_err(|e| fail(reading_key(k), e))?,
        ),
        Maybe::Unknown => return Err(not_known("key_arn").into()),
        Maybe::Null => None,
    };
    Ok((live, key))
}

/// The plan-time checks of a key decided at apply, before associating it:
/// required rotation, and the association preflight. Its warnings, which
/// the plan could not show.
async fn checks_at_apply(
    ctx: &Ctx<'_>,
    info: &ClusterInfo,
    action: &Action,
    config: &Model,
    fail: Fail<'_>,
) -> Result<Diagnostics, Diagnostics> {
    let Action::Associate { key_arn } = action else {
        return Ok(Diagnostics::new());
    };
    if config.rotation_required() {
        match ctx.rotation(key_arn).await {
            Ok(Some(false)) => return Err(preflight::rotation_required(key_arn).into()),
            Ok(_) => {}
            Err(e) => return Err(fail("checking key rotation".into(), e)),
        }
    }
    let checked = association_preflight(ctx, info, key_arn, config)
        .await
        .map_err(|e| fail("running the association preflight".into(), e))?;
    if checked.has_errors() {
        return Err(errors_of(checked));
    }
    Ok(checked)
}

/// What an apply changes.
struct Change<'a> {
    cluster: &'a str,
    prior: Option<&'a Model>,
    planned: &'a Model,
    /// The key ARN the plan showed, when it was known.
    planned_key: Option<&'a str>,
    config: &'a Model,
}

/// Makes the decided change: associates or adopts the key (waiting for
/// EKS), or nothing. Returns the update id, the cluster as EKS reports it
/// after the change, and the last lookup of the key.
async fn make_change(
    ctx: &Ctx<'_>,
    c: &Change<'_>,
    action: Action,
    live: LiveCluster,
    key: Option<KeyLookup>,
    fail: Fail<'_>,
) -> Result<(Option<String>, ClusterInfo, Option<KeyLookup>), Diagnostics> {
    let cluster = c.cluster;
    let (update_id, info, key) = match (action, &c.config.key_arn, key) {
        (
            Action::Associate { key_arn } | Action::Adopt { key_arn },
            Maybe::Known(configured),
            Some(k),
        ) => {
            let resources = c
                .planned
                .resources
                .known()
                .cloned()
                .unwrap_or_else(|| vec![SECRETS.to_owned()]);
            let done = ctx
                .ensure_associated(
                    cluster,
                    configured,
                    c.planned_key,
                    &resources,
                    Some((live, k)),
                )
                .await
                .map_err(|e| fail(format!("associating {key_arn} with cluster {cluster:?}"), e))?;
            (done.update_id, done.info, Some(done.key))
        }
        (Action::Nothing, _, k) => (
            c.prior.and_then(|p| p.update_id.known().cloned()),
            Some(live.info),
            k,
        ),
        _ => {
            return Err(Diagnostic::error(
                "Could not decide the change",
                "The key could not be looked up at apply time. Please report this as a bug.",
            )
            .into())
        }
    };
    let info = match info {
        Some(i) => i,
        None => ctx
            .cluster(cluster, false)
            .await
            .map_err(|e| fail(reading_cluster(cluster), e))?
            .ok_or_else(|| -> Diagnostics {
                Diagnostic::error(
                    plan::summary::CLUSTER_NOT_FOUND,
                    format!("Cluster {cluster:?} disappeared during the apply."),
                )
                .into()
            })?,
    };
    Ok((update_id, info, key))
}

/// The new state after an apply: the plan, with what EKS reports, the
/// update id, the CMK's state (one more DescribeKey only when the key
/// looked up is not the CMK) and `key_arn` as configured.
async fn shape_applied(
    ctx: &Ctx<'_>,
    planned: &Model,
    config: &Model,
    info: &ClusterInfo,
    update_id: Option<String>,
    key: Option<&KeyLookup>,
) -> Model {
    let mut state = planned.clone();
    fill_from_live(&mut state, info);
    state.update_id = Maybe::from(update_id);
    state.key_state = match (info.cmk_arn(), key) {
        (Some(cmk), Some(KeyLookup::Found(f))) if f.arn == cmk => Maybe::Known(f.state.clone()),
        (Some(cmk), _) => match ctx.key(cmk, false).await {
            Ok(KeyLookup::Found(f)) => Maybe::Known(f.state),
            _ => Maybe::Null,
        },
        (None, _) => Maybe::Null,
    };
    state.key_arn = config.key_arn.clone();
    state
}

/// Fills the attributes EKS reports.
fn fill_from_live(state: &mut Model, info: &ClusterInfo) {
    state.id = Maybe::Known(info.name.clone());
    state.cluster_arn = Maybe::Known(info.arn.clone());
    state.cluster_version = Maybe::Known(info.version.clone());
    state.cluster_created_at = Maybe::from(info.created_at.clone());
    state.key_type = Maybe::Known(KeyType::of(info).as_str().into());
    match info.encryption.first() {
        Some(e) => {
            state.resolved_key_arn = Maybe::Known(e.key_arn.clone());
            if !e.resources.is_empty() {
                state.resources = Maybe::Known(e.resources.clone());
            }
        }
        None => state.resolved_key_arn = Maybe::Null,
    }
    if state.resources.is_null() || state.resources.is_unknown() {
        state.resources = Maybe::Known(vec![SECRETS.to_owned()]);
    }
}

// ---- read -----------------------------------------------------------------------

/// ReadResource: refreshes from EKS and KMS; a missing cluster removes the
/// resource from state. Warns when the CMK is disabled or pending deletion.
pub async fn read(ctx: &Ctx<'_>, req: &ReadResourceRequest) -> ReadResourceResponse {
    let (state, diagnostics) = refresh(ctx, &req.current_state).await;
    ReadResourceResponse {
        new_state: Some(state.unwrap_or_else(DynamicValue::null)),
        private: req.private.clone(),
        diagnostics,
        // The provider adds the identity of the new state.
        new_identity: None,
    }
}

/// The refreshed state (`None` removes the resource); any error keeps the
/// current state as it was.
async fn refresh(ctx: &Ctx<'_>, current: &DynamicValue) -> (Option<DynamicValue>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut state = match decode(current, "state") {
        Ok(Some(m)) => m,
        Ok(None) => return (None, diags),
        Err(e) => return (Some(current.clone()), e.into()),
    };
    let Some(cluster) = state.cluster_name.known().cloned() else {
        return (Some(current.clone()), diags);
    };
    let info = match ctx.cluster(&cluster, true).await {
        Ok(Some(i)) => i,
        Ok(None) => {
            tracing::info!(cluster, "cluster is gone; removing from state");
            return (None, diags);
        }
        Err(e) => {
            diags.push(op_diagnostic(&reading_cluster(&cluster), e));
            return (Some(current.clone()), diags);
        }
    };
    fill_from_live(&mut state, &info);
    // What EKS reports about the key, from the same DescribeCluster.
    diags.extend(health::warnings(&info));
    let refreshed = match info.cmk_arn() {
        Some(cmk) => refresh_cmk(ctx, &info, cmk, &mut state, &mut diags).await,
        None => {
            state.key_arn = Maybe::Null;
            state.key_state = Maybe::Null;
            Some(())
        }
    };
    let mut diags = health::dedupe(diags);
    match refreshed.and_then(|()| encode_or_push(&state, &mut diags)) {
        Some(v) => (Some(v), diags),
        None => (Some(current.clone()), diags),
    }
}

/// Refreshes `key_arn` and `key_state` for the CMK EKS reports, with the
/// key's health warnings. `None` when the state must stay as it was.
async fn refresh_cmk(
    ctx: &Ctx<'_>,
    info: &ClusterInfo,
    cmk: &str,
    state: &mut Model,
    d: &mut Diagnostics,
) -> Option<()> {
    let cluster = info.name.as_str();
    // Keep the configured form (e.g. an alias) while it still resolves to
    // the key EKS uses, or cannot be checked (DescribeKey denied: the plan
    // warns); otherwise record EKS's key.
    let mut facts = None;
    match state.key_arn.known().filter(|k| *k != cmk).cloned() {
        Some(configured) => match reported(
            ctx.key(&configured, true).await,
            || reading_key(&configured),
            d,
        )? {
            KeyLookup::Found(f) if f.arn == cmk => facts = Some(f),
            KeyLookup::AccessDenied { .. } => {}
            _ => state.key_arn = Maybe::Known(cmk.to_owned()),
        },
        None if state.key_arn.known().is_none() => state.key_arn = Maybe::Known(cmk.to_owned()),
        None => {}
    }
    if facts.is_none() {
        match ctx.key(cmk, true).await {
            Ok(KeyLookup::Found(f)) => facts = Some(f),
            Ok(KeyLookup::NotFound { message }) | Ok(KeyLookup::AccessDenied { message }) => {
                // EKS's own KmsKeyNotFound warning says it better.
                if !health::codes(info)
                    .iter()
                    .any(|c| c == health::KEY_NOT_FOUND)
                {
                    d.push(cmk_not_described(cluster, cmk, &message));
                }
                state.key_state = Maybe::Null;
            }
            Err(e) => d.push(op_diagnostic(&format!("reading KMS key {cmk}"), e)),
        }
    }
    if let Some(f) = facts {
        d.extend(plan::key_health_warnings(cluster, &f));
        state.key_state = Maybe::Known(f.state);
    }
    Some(())
}

fn cmk_not_described(cluster: &str, cmk: &str, message: &str) -> Diagnostic {
    Diagnostic::warning(
        "Could not read the customer managed key",
        format!(
            "Cluster {cluster:?} is encrypted with {cmk}, but KMS did not describe it \
             ({message}). If the key was deleted, the cluster cannot be recovered; otherwise \
             grant kms:DescribeKey."
        ),
    )
}

// ---- delete ---------------------------------------------------------------------

/// Delete: only forgets. A protected CMK is refused here too, for cores
/// that do not plan destroys (Terraform < 1.3); the resource then stays in
/// state.
fn delete(prior_state: &DynamicValue, prior: &Model) -> ApplyResourceChangeResponse {
    let (cluster, facts) = (cluster_of(prior), prior_facts(prior));
    let refused = plan::decide_destroy(&cluster, &facts);
    if refused.has_errors() {
        return applied(Some(prior_state.clone()), refused);
    }
    let mut diagnostics = Diagnostics::new();
    if let Some(cmk) = &facts.cmk_arn {
        diagnostics.push(plan::forget_warning(&cluster, cmk));
    }
    applied(None, diagnostics)
}

// ---- import ---------------------------------------------------------------------

/// ImportResourceState: the import id is the cluster name.
pub async fn import(ctx: &Ctx<'_>, id: &str) -> Result<DynamicValue, Diagnostics> {
    let cluster = id.trim();
    if cluster.is_empty() || cluster.contains('/') || cluster.contains(':') {
        return Err(Diagnostic::error(
            "Invalid import id",
            format!(
                "{id:?} is not a cluster name. Import with the EKS cluster's name: terraform \
                 import eks_encryption_config.NAME CLUSTER_NAME."
            ),
        )
        .into());
    }
    let info = match ctx.cluster(cluster, false).await {
        Ok(Some(i)) => i,
        Ok(None) => {
            return Err(Diagnostic::error(
                plan::summary::CLUSTER_NOT_FOUND,
                format!(
                    "Cannot import: EKS reports no cluster named {cluster:?} in region {}.",
                    ctx.clients.region()
                ),
            )
            .into())
        }
        Err(e) => return Err(op_diagnostic(&reading_cluster(cluster), e).into()),
    };
    let mut state = Model {
        id: Maybe::Known(cluster.to_owned()),
        cluster_name: Maybe::Known(cluster.to_owned()),
        deletion_protection: Maybe::Known(true),
        ..Model::default()
    };
    fill_from_live(&mut state, &info);
    if let Some(cmk) = info.cmk_arn() {
        state.key_arn = Maybe::Known(cmk.to_owned());
        state.update_id = Maybe::from(
            ctx.association_update_id(cluster, Some(cmk))
                .await
                .map_err(|e| Diagnostics::from(op_diagnostic("listing cluster updates", e)))?,
        );
        if let Ok(KeyLookup::Found(f)) = ctx.key(cmk, false).await {
            state.key_state = Maybe::Known(f.state);
        }
    }
    encode(&state).map_err(Diagnostics::from)
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::aws::test_support::clients;
    use crate::provider::encryption_config::ops::ClusterCache;

    /// Issue 9: no decoding or encoding error may become a null state,
    /// which would tell Terraform to drop the resource.
    #[tokio::test]
    async fn undecodable_values_keep_the_prior_state() {
        let aws = clients(&[], &[]);
        let cache = ClusterCache::default();
        let stop = CancellationToken::new();
        let ctx = Ctx {
            clients: &aws,
            clusters: &cache,
            stop: &stop,
            deadline: None,
        };
        // A map where the object is expected: does not decode.
        let garbage = DynamicValue::Msgpack(vec![0x81, 0xa1, b'x', 0x01]);
        let req = ApplyResourceChangeRequest {
            planned_identity: None,
            type_name: crate::provider::encryption_config::TYPE_NAME.into(),
            prior_state: garbage.clone(),
            planned_state: garbage.clone(),
            config: garbage.clone(),
            planned_private: Vec::new(),
        };
        let out = apply(&ctx, &req).await;
        assert!(out.diagnostics.has_errors());
        assert_eq!(
            out.new_state,
            Some(garbage.clone()),
            "apply keeps the prior state"
        );
        let req = ReadResourceRequest {
            current_identity: None,
            type_name: crate::provider::encryption_config::TYPE_NAME.into(),
            current_state: garbage.clone(),
            private: Vec::new(),
            client_capabilities: Default::default(),
        };
        let out = read(&ctx, &req).await;
        assert!(out.diagnostics.has_errors());
        assert_eq!(out.new_state, Some(garbage), "read keeps the current state");
    }

    /// Issue 9: the timeout message names the configured time, the update,
    /// and what happens next; the default is named as such.
    #[test]
    fn timeout_message_names_the_configured_time() {
        let t = Timeout {
            which: "create",
            configured: Some("90s".into()),
            duration: Duration::from_secs(90),
        };
        let d = t.diagnostic("prod", Some("u-123"));
        assert_eq!(d.summary, TIMED_OUT);
        assert!(
            d.detail.contains("Waited 90s (timeouts.create)"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("u-123"));
        assert!(d.detail.contains("keeps working"));
        assert!(d.detail.contains("without a second association"));
        assert!(!d.detail.contains("after 0s"), "never the remaining time");
        assert_eq!(
            d.attribute,
            Some(AttributePath::attr("timeouts").child_attr("create"))
        );
        let t = Timeout {
            which: "update",
            configured: None,
            duration: DEFAULT_TIMEOUT,
        };
        assert!(t
            .diagnostic("prod", Some("u"))
            .detail
            .contains("Waited 2h (the default of timeouts.update)"));
    }

    /// Issue 9: out-of-range timeouts are refused at validate time, on the
    /// attribute.
    #[test]
    fn overflowing_timeouts_are_refused_at_validation() {
        let m = Model::from_value(&crate::tfprotov6::Value::object([
            ("cluster_name", crate::tfprotov6::Value::string("prod")),
            (
                "timeouts",
                crate::tfprotov6::Value::object([
                    (
                        "create",
                        crate::tfprotov6::Value::string("3000000000000000h"),
                    ),
                    ("update", crate::tfprotov6::Value::string("25h")),
                ]),
            ),
        ]))
        .unwrap()
        .unwrap();
        let d = validate(&encode(&m).unwrap());
        let paths: Vec<String> = d
            .iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["timeouts.create", "timeouts.update"]);
        assert!(d.0[0].detail.contains("24h"));
    }
}

/// The planned-state shapes (nothing to do, adopt, associate), the
/// `cluster_name` replacement, the defaults and refresh, through the flow
/// Harness: the resource's methods against mocked EKS and KMS.
#[cfg(test)]
mod lifecycle_tests {
    use aws_sdk_eks::types::ClusterStatus;
    use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::test_support::json_error;
    use crate::provider::encryption_config::ops::flow_tests::{cluster, key_enabled, Harness, KEY};

    const ALIAS: &str = "alias/eks";

    fn describe(key: Option<&'static str>) -> Rule {
        mock!(aws_sdk_eks::Client::describe_cluster)
            .then_output(move || cluster(ClusterStatus::Active, key))
    }

    fn rotation(enabled: bool) -> Rule {
        mock!(aws_sdk_kms::Client::get_key_rotation_status).then_output(move || {
            GetKeyRotationStatusOutput::builder()
                .key_rotation_enabled(enabled)
                .build()
        })
    }

    fn describe_key_denied() -> Rule {
        mock!(aws_sdk_kms::Client::describe_key).then_http_response(|| {
            json_error(
                400,
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: \
                 kms:DescribeKey on this resource",
                "rid-denied",
            )
        })
    }

    /// A configuration for cluster `prod` with `key_arn`; the association
    /// preflight is off (the mocked cluster has no IAM role to grant to).
    fn config(key: Option<&str>) -> Model {
        Model {
            cluster_name: Maybe::Known("prod".into()),
            key_arn: Maybe::from(key.map(str::to_owned)),
            preflight: Maybe::Known(false),
            ..Model::default()
        }
    }

    /// The state an earlier apply recorded for `key_arn` resolved to KEY.
    fn state(key_arn: &str) -> Model {
        Model {
            id: Maybe::Known("prod".into()),
            resources: Maybe::Known(vec![SECRETS.into()]),
            deletion_protection: Maybe::Known(true),
            cluster_arn: Maybe::Known("arn:aws:eks:us-east-1:123456789012:cluster/prod".into()),
            cluster_version: Maybe::Known("1.31".into()),
            resolved_key_arn: Maybe::Known(KEY.into()),
            key_type: Maybe::Known("CUSTOMER_MANAGED".into()),
            key_state: Maybe::Known("Enabled".into()),
            update_id: Maybe::Known("u1".into()),
            ..config(Some(key_arn))
        }
    }

    /// What Terraform proposes: the configuration, with the computed
    /// attributes of the prior state (unknown on create).
    fn propose(prior: Option<&Model>, config: &Model) -> Model {
        let computed = |v: Option<&Maybe<String>>| v.cloned().unwrap_or(Maybe::Unknown);
        Model {
            id: computed(prior.map(|p| &p.id)),
            cluster_arn: computed(prior.map(|p| &p.cluster_arn)),
            cluster_version: computed(prior.map(|p| &p.cluster_version)),
            resolved_key_arn: computed(prior.map(|p| &p.resolved_key_arn)),
            key_type: computed(prior.map(|p| &p.key_type)),
            key_state: computed(prior.map(|p| &p.key_state)),
            update_id: computed(prior.map(|p| &p.update_id)),
            cluster_created_at: computed(prior.map(|p| &p.cluster_created_at)),
            ..config.clone()
        }
    }

    fn value(m: Option<&Model>) -> DynamicValue {
        m.map_or_else(DynamicValue::null, |m| encode(m).unwrap())
    }

    /// Plans `config` over `prior`: the planned model (`None` for a null
    /// planned state) and the response.
    async fn plan_with(
        h: &Harness,
        prior: Option<&Model>,
        config: &Model,
    ) -> (Option<Model>, PlanResourceChangeResponse) {
        let req = PlanResourceChangeRequest {
            prior_identity: None,
            type_name: super::super::TYPE_NAME.into(),
            prior_state: value(prior),
            proposed_new_state: value(Some(&propose(prior, config))),
            config: value(Some(config)),
            prior_private: Vec::new(),
            client_capabilities: Default::default(),
        };
        let out = plan(&h.ctx(), &req).await;
        let planned = out
            .planned_state
            .as_ref()
            .and_then(|v| decode(v, "plan").unwrap());
        (planned, out)
    }

    fn summaries(d: &Diagnostics) -> Vec<&str> {
        d.iter().map(|d| d.summary.as_str()).collect()
    }

    /// Plans `config` over `prior`, expecting no diagnostic: the planned
    /// state.
    async fn plan_ok(h: &Harness, prior: Option<&Model>, config: &Model) -> Model {
        let (planned, out) = plan_with(h, prior, config).await;
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        planned.expect("a planned state")
    }

    /// Plans `config` over `prior`, expecting one error: `summary`, and no
    /// planned state.
    async fn assert_refused(h: &Harness, prior: Option<&Model>, config: &Model, summary: &str) {
        let (planned, out) = plan_with(h, prior, config).await;
        assert_eq!(summaries(&out.diagnostics), [summary]);
        assert!(planned.is_none(), "a refused plan has no planned state");
    }

    #[tokio::test]
    async fn associate_on_a_cluster_without_cmk() {
        let (eks, rot) = (describe(None), rotation(true));
        let h = Harness::with_kms(&[&eks], &[&key_enabled(), &rot]);
        let p = plan_ok(&h, None, &config(Some(KEY))).await;
        assert_eq!(p.resolved_key_arn, Maybe::Known(KEY.into()));
        assert_eq!(p.key_type, Maybe::Known("CUSTOMER_MANAGED".into()));
        assert_eq!(p.key_state, Maybe::Known("Enabled".into()));
        assert_eq!(p.update_id, Maybe::Unknown, "known once EKS reports it");
        assert_eq!(p.cluster_version, Maybe::Known("1.31".into()));
        assert_eq!(rot.num_calls(), 1, "rotation is checked before associating");
    }

    #[tokio::test]
    async fn associate_with_rotation_required_and_off_is_refused() {
        let (eks, rot) = (describe(None), rotation(false));
        let h = Harness::with_kms(&[&eks], &[&key_enabled(), &rot]);
        let required = Model {
            require_key_rotation: Maybe::Known(true),
            ..config(Some(KEY))
        };
        assert_refused(&h, None, &required, preflight::summary::ROTATION_REQUIRED).await;
    }

    #[tokio::test]
    async fn adopt_the_cmk_the_cluster_has() {
        let (eks, rot) = (describe(Some(KEY)), rotation(false));
        let h = Harness::with_kms(&[&eks], &[&key_enabled(), &rot]);
        let p = plan_ok(&h, None, &config(Some(ALIAS))).await;
        assert_eq!(p.key_arn, Maybe::Known(ALIAS.into()), "as configured");
        assert_eq!(p.resolved_key_arn, Maybe::Known(KEY.into()));
        assert_eq!(p.key_state, Maybe::Known("Enabled".into()));
        assert_eq!(p.update_id, Maybe::Unknown);
        assert_eq!(rot.num_calls(), 0, "adopting needs no rotation check");
    }

    #[tokio::test]
    async fn nothing_to_do_keeps_the_recorded_state() {
        let eks = describe(Some(KEY));
        let h = Harness::new(&[&eks]);
        let prior = state(ALIAS);
        let (planned, out) = plan_with(&h, Some(&prior), &config(Some(ALIAS))).await;
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(planned, Some(prior), "an empty plan");
        assert!(out.requires_replace.is_empty());
    }

    /// Issue 13: an alias of the same key, unchanged since the apply, with
    /// DescribeKey denied: refresh keeps it, and the plan changes nothing
    /// and warns that the key could not be checked.
    #[tokio::test]
    async fn unchanged_alias_with_describe_key_denied_is_a_no_op() {
        let eks = describe(Some(KEY));
        let h = Harness::with_kms(&[&eks], &[&describe_key_denied()]);
        let prior = state(ALIAS);
        let req = ReadResourceRequest {
            current_identity: None,
            type_name: super::super::TYPE_NAME.into(),
            current_state: value(Some(&prior)),
            private: Vec::new(),
            client_capabilities: Default::default(),
        };
        let read_out = read(&h.ctx(), &req).await;
        let refreshed = decode(read_out.new_state.as_ref().unwrap(), "state")
            .unwrap()
            .unwrap();
        assert_eq!(
            refreshed.key_arn,
            Maybe::Known(ALIAS.into()),
            "kept as written"
        );
        let (planned, out) = plan_with(&h, Some(&refreshed), &config(Some(ALIAS))).await;
        assert_eq!(
            summaries(&out.diagnostics),
            [plan::summary::KEY_NOT_CHECKED]
        );
        assert!(!out.diagnostics.has_errors());
        assert_eq!(planned, Some(refreshed), "an empty plan");
        // The same denial on a key_arn that changed is still refused.
        assert_refused(
            &h,
            Some(&state(KEY)),
            &config(Some(ALIAS)),
            plan::summary::KEY_NOT_USABLE,
        )
        .await;
    }

    #[tokio::test]
    async fn defaults_and_id() {
        let eks = describe(None);
        let h = Harness::new(&[&eks]);
        let p = plan_ok(&h, None, &config(None)).await;
        assert_eq!(p.id, Maybe::Known("prod".into()));
        assert_eq!(p.deletion_protection, Maybe::Known(true));
        assert_eq!(p.resources, Maybe::Known(vec![SECRETS.into()]));
        assert_eq!(p.key_type, Maybe::Known("AWS_OWNED".into()));
        assert_eq!(p.resolved_key_arn, Maybe::Null);
        // Explicit values are kept.
        let explicit = Model {
            deletion_protection: Maybe::Known(false),
            ..config(None)
        };
        let (planned, _) = plan_with(&h, None, &explicit).await;
        assert_eq!(planned.unwrap().deletion_protection, Maybe::Known(false));
    }

    #[tokio::test]
    async fn a_new_cluster_name_is_a_guarded_replacement() {
        let (eks, rot) = (describe(None), rotation(true));
        let h = Harness::with_kms(&[&eks], &[&key_enabled(), &rot]);
        let unprotected_old = Model {
            cluster_name: Maybe::Known("old".into()),
            deletion_protection: Maybe::Known(false),
            ..state(KEY)
        };
        let (planned, out) = plan_with(&h, Some(&unprotected_old), &config(Some(KEY))).await;
        assert_eq!(out.requires_replace, [AttributePath::attr("cluster_name")]);
        let p = planned.expect("a planned state");
        assert_eq!(p.id, Maybe::Known("prod".into()));
        assert_eq!(p.update_id, Maybe::Unknown, "a new association");
        // A protected CMK association is not replaced.
        let protected_old = Model {
            cluster_name: Maybe::Known("old".into()),
            ..state(KEY)
        };
        assert_refused(
            &h,
            Some(&protected_old),
            &config(Some(KEY)),
            plan::summary::PROTECTED,
        )
        .await;
    }

    #[tokio::test]
    async fn unknown_key_is_decided_at_apply() {
        let eks = describe(None);
        let h = Harness::new(&[&eks]);
        let unknown = Model {
            key_arn: Maybe::Unknown,
            ..config(None)
        };
        let p = plan_ok(&h, None, &unknown).await;
        assert_eq!(p.resolved_key_arn, Maybe::Unknown);
        assert_eq!(p.key_type, Maybe::Unknown);
        assert!(p.cluster_arn.known().is_some(), "the cluster is known");
    }
}
