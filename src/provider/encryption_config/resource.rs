//! The `eks_encryption_config` resource, its methods in lifecycle order:
//! validate, plan, create, read, update, delete, import.
//!
//! The guard's decisions live in [`super::plan`]; this file gathers the
//! facts, applies the decisions and shapes state.

use std::time::Duration;

use tokio::time::Instant;

use super::model::{parse_duration, Model, DEFAULT_TIMEOUT};
use super::ops::Ctx;
use super::plan::{self, Action, ChangeFacts, KeyLookup, KeyType, Prior};
use super::schema::resource_schema;
use crate::aws::ClusterInfo;
use crate::provider::errors::{
    decode_diagnostic, op_diagnostic, op_diagnostics, OpError, TIMED_OUT,
};
use crate::provider::preflight;
use crate::tfprotov6::value::Maybe;
use crate::tfprotov6::{
    ApplyResourceChangeRequest, ApplyResourceChangeResponse, AttributePath, Diagnostic,
    Diagnostics, DynamicValue, PlanResourceChangeRequest, PlanResourceChangeResponse,
    ReadResourceRequest, ReadResourceResponse, Type,
};

/// The only `resources` value EKS accepts.
pub const SECRETS: &str = "secrets";

/// Summary for a malformed `key_arn`.
pub const INVALID_KEY_ARN: &str = "Invalid key_arn";

/// The resource's value type, built once: every decode and encode (and
/// every UpgradeResourceState) needs it.
pub fn state_type() -> &'static Type {
    static TYPE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
    TYPE.get_or_init(|| resource_schema().block.value_type())
}

fn decode(v: &DynamicValue, what: &str) -> Result<Option<Model>, Diagnostic> {
    let value = v
        .decode(state_type())
        .map_err(|e| decode_diagnostic(what, e))?;
    Model::from_value(&value)
}

/// The prior state, the new (proposed or planned) state and the
/// configuration of a plan or apply call.
type Change = (Option<Model>, Option<Model>, Option<Model>);

fn decode_change(
    prior: &DynamicValue,
    new: &DynamicValue,
    config: &DynamicValue,
) -> Result<Change, Diagnostic> {
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
    if let Maybe::Known(name) = &m.cluster_name {
        let ok = !name.is_empty()
            && name.len() <= 100
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            d.push(
                Diagnostic::error(
                    "Invalid cluster_name",
                    format!(
                        "{name:?} is not an EKS cluster name: 1 to 100 letters, digits, '-' and \
                         '_', starting with a letter or digit."
                    ),
                )
                .with_attribute(AttributePath::attr("cluster_name")),
            );
        }
    }
    if let Maybe::Known(key) = &m.key_arn {
        if let Err(why) = plan::validate_key_arn(key) {
            d.push(
                Diagnostic::error(INVALID_KEY_ARN, why)
                    .with_attribute(AttributePath::attr("key_arn")),
            );
        }
    }
    if let Maybe::Known(r) = &m.resources {
        if r.len() != 1 || r[0] != SECRETS {
            d.push(
                Diagnostic::error(
                    "Invalid resources",
                    format!(
                        "resources = {r:?}: EKS only supports encrypting secrets. Use \
                         resources = [\"secrets\"] or leave it unset."
                    ),
                )
                .with_attribute(AttributePath::attr("resources")),
            );
        }
    }
    if let Maybe::Known(t) = &m.timeouts {
        for (name, v) in [("create", &t.create), ("update", &t.update)] {
            if let Maybe::Known(s) = v {
                if let Err(why) = parse_duration(s) {
                    d.push(
                        Diagnostic::error("Invalid timeout", why)
                            .with_attribute(AttributePath::attr("timeouts").child_attr(name)),
                    );
                }
            }
        }
    }
    d
}

// ---- plan ---------------------------------------------------------------------

/// PlanResourceChange: runs the guard against live facts. The planned
/// state is null for a destroy and when the plan is refused.
pub async fn plan(ctx: &Ctx<'_>, req: &PlanResourceChangeRequest) -> PlanResourceChangeResponse {
    let mut out = PlanResourceChangeResponse {
        planned_private: req.prior_private.clone(),
        ..PlanResourceChangeResponse::default()
    };
    plan_into(ctx, req, &mut out).await;
    out.planned_state.get_or_insert_with(DynamicValue::null);
    out
}

async fn plan_into(
    ctx: &Ctx<'_>,
    req: &PlanResourceChangeRequest,
    out: &mut PlanResourceChangeResponse,
) {
    let decoded = decode_change(&req.prior_state, &req.proposed_new_state, &req.config);
    let (prior, proposed, config) = match decoded {
        Ok(v) => v,
        Err(e) => {
            out.diagnostics.push(e);
            return;
        }
    };
    let Some(mut planned) = proposed else {
        // Destroy.
        if let Some(p) = &prior {
            let cluster = p.cluster_name.known().cloned().unwrap_or_default();
            let facts = prior_facts(p);
            out.diagnostics
                .extend(plan::decide_destroy(&cluster, &facts));
            if let (false, Some(cmk)) = (out.diagnostics.has_errors(), &facts.cmk_arn) {
                out.diagnostics.push(plan::forget_warning(&cluster, cmk));
            }
        }
        return;
    };
    let config = config.unwrap_or_else(|| planned.clone());

    // Defaults for optional+computed attributes, taken from the
    // configuration: removing `deletion_protection = false` from the
    // configuration turns protection back on rather than keeping the old value.
    if config.deletion_protection.is_null() {
        planned.deletion_protection = Maybe::Known(true);
    }
    if config.resources.is_null() {
        planned.resources = Maybe::Known(vec![SECRETS.to_owned()]);
    }
    planned.id = planned.cluster_name.clone();

    // A different cluster means a replacement: the old association is
    // destroyed (guarded) and a new one created.
    let mut prior = prior;
    if let Some(p) = &prior {
        if p.cluster_name != planned.cluster_name {
            out.requires_replace
                .push(AttributePath::attr("cluster_name"));
            let cluster = p.cluster_name.known().cloned().unwrap_or_default();
            out.diagnostics
                .extend(plan::decide_destroy(&cluster, &prior_facts(p)));
            if out.diagnostics.has_errors() {
                return;
            }
            prior = None;
        }
    }

    let Maybe::Known(cluster) = planned.cluster_name.clone() else {
        set_unknown_computed(&mut planned, true);
        out.planned_state = encode_or_push(&planned, &mut out.diagnostics);
        return;
    };

    let live = match ctx.live(&cluster, true).await {
        Ok(l) => l,
        Err(e) => {
            out.diagnostics
                .push(op_diagnostic(&format!("reading cluster {cluster:?}"), e));
            return;
        }
    };
    if live.is_none() && prior.is_none() {
        // Not there yet: typically created in this run. Check what can be
        // checked now (a known key that exists must be usable), warn, and
        // decide everything at apply.
        out.diagnostics.push(preflight::cluster_not_found_yet(
            &cluster,
            ctx.clients.region(),
        ));
        if let Maybe::Known(k) = &config.key_arn {
            match ctx.key(k, true).await {
                Ok(KeyLookup::NotFound { message })
                    if preflight::may_appear_later(k, ctx.clients.region()) =>
                {
                    out.diagnostics.push(preflight::key_not_found_yet(
                        k,
                        ctx.clients.region(),
                        &message,
                    ))
                }
                Ok(lookup) => {
                    out.diagnostics
                        .extend(plan::check_key(k, &lookup, ctx.clients.region()));
                }
                Err(e) => {
                    out.diagnostics
                        .push(op_diagnostic(&format!("reading KMS key {k:?}"), e));
                    return;
                }
            }
        }
        if out.diagnostics.has_errors() {
            return;
        }
        set_unknown_computed(&mut planned, true);
        out.planned_state = encode_or_push(&planned, &mut out.diagnostics);
        return;
    }
    out.diagnostics.extend(plan::check_cluster(
        &cluster,
        ctx.clients.region(),
        live.as_ref(),
    ));
    let Some(live) = live else {
        return;
    };
    let info = &live.info;
    if out.diagnostics.has_errors() {
        return;
    }

    let key = match &config.key_arn {
        Maybe::Known(k) => match ctx.key(k, true).await {
            Ok(l) => Some(l),
            Err(e) => {
                out.diagnostics
                    .push(op_diagnostic(&format!("reading KMS key {k:?}"), e));
                return;
            }
        },
        _ => None,
    };
    if let (Some(KeyLookup::NotFound { message }), Maybe::Known(k)) = (&key, &config.key_arn) {
        if !preflight::may_appear_later(k, ctx.clients.region()) {
            out.diagnostics.extend(plan::check_key(
                k,
                &KeyLookup::NotFound {
                    message: message.clone(),
                },
                ctx.clients.region(),
            ));
            return;
        }
        // A key or alias created in this run: decided at apply, where a key
        // still missing is refused before anything is sent.
        out.diagnostics.push(preflight::key_not_found_yet(
            k,
            ctx.clients.region(),
            message,
        ));
        set_unknown_computed(&mut planned, false);
        planned.cluster_arn = Maybe::Known(info.arn.clone());
        planned.cluster_version = Maybe::Known(info.version.clone());
        planned.cluster_created_at = Maybe::from(info.created_at.clone());
        out.planned_state = encode_or_push(&planned, &mut out.diagnostics);
        return;
    }
    let prior_f = prior.as_ref().map(prior_facts);
    let mut facts = ChangeFacts {
        cluster: &cluster,
        region: ctx.clients.region(),
        prior: prior_f.as_ref(),
        config_key: &config.key_arn,
        live: &live,
        key: key.as_ref(),
        rotation: None,
        require_rotation: config.rotation_required(),
    };
    if let (true, Some(KeyLookup::Found(k))) = (plan::rotation_matters(&facts), &key) {
        match ctx.rotation(&k.arn).await {
            Ok(r) => facts.rotation = r,
            Err(e) => {
                out.diagnostics
                    .push(op_diagnostic("checking key rotation", e));
                return;
            }
        }
    }
    let decision = plan::decide_change(&facts);
    out.diagnostics.extend(decision.diagnostics);
    if out.diagnostics.has_errors() {
        return;
    }

    planned.cluster_arn = Maybe::Known(info.arn.clone());
    planned.cluster_version = Maybe::Known(info.version.clone());
    planned.cluster_created_at = Maybe::from(info.created_at.clone());
    match &decision.action {
        Action::Nothing => match (&prior, info.cmk_arn()) {
            (Some(p), _) => {
                // No change to the cluster: keep what refresh recorded.
                planned.resolved_key_arn = p.resolved_key_arn.clone();
                planned.key_type = p.key_type.clone();
                planned.key_state = p.key_state.clone();
                planned.update_id = p.update_id.clone();
                planned.cluster_arn = p.cluster_arn.clone();
                planned.cluster_version = p.cluster_version.clone();
            }
            (None, _) => {
                planned.resolved_key_arn = Maybe::Null;
                planned.key_type =
                    Maybe::Known(KeyType::without_cmk(&info.version).as_str().into());
                planned.key_state = Maybe::Null;
                planned.update_id = Maybe::Null;
            }
        },
        Action::Adopt { key_arn } => {
            planned.resolved_key_arn = Maybe::Known(key_arn.clone());
            planned.key_type = Maybe::Known(KeyType::CustomerManaged.as_str().into());
            planned.key_state = match &key {
                Some(KeyLookup::Found(f)) => Maybe::Known(f.state.clone()),
                _ => Maybe::Unknown,
            };
            planned.update_id = Maybe::Unknown;
        }
        Action::Associate { key_arn } => {
            planned.resolved_key_arn = Maybe::Known(key_arn.clone());
            planned.key_type = Maybe::Known(KeyType::CustomerManaged.as_str().into());
            planned.key_state = Maybe::Known("Enabled".into());
            planned.update_id = Maybe::Unknown;
            // The association preflight: can EKS create its grant, and can
            // the key stay usable?
            match preflight::gather(
                ctx.clients,
                ctx.stop,
                &cluster,
                &info.arn,
                info.role_arn.as_deref(),
                key_arn,
                config.preflight_on(),
            )
            .await
            {
                Ok(facts) => out.diagnostics.extend(preflight::decide(&facts)),
                Err(e) => {
                    out.diagnostics
                        .push(op_diagnostic("running the association preflight", e));
                    return;
                }
            }
            if out.diagnostics.has_errors() {
                return;
            }
        }
        Action::DecideAtApply => set_unknown_computed(&mut planned, false),
    }
    out.planned_state = encode_or_push(&planned, &mut out.diagnostics);
}

fn set_unknown_computed(m: &mut Model, cluster_too: bool) {
    m.resolved_key_arn = Maybe::Unknown;
    m.key_type = Maybe::Unknown;
    m.key_state = Maybe::Unknown;
    m.update_id = Maybe::Unknown;
    if cluster_too {
        m.cluster_arn = Maybe::Unknown;
        m.cluster_version = Maybe::Unknown;
        m.cluster_created_at = Maybe::Unknown;
    }
}

fn encode_or_push(m: &Model, d: &mut Diagnostics) -> Option<DynamicValue> {
    match encode(m) {
        Ok(v) => Some(v),
        Err(e) => {
            d.push(e);
            None
        }
    }
}

// ---- apply: create and update ---------------------------------------------------

/// An apply's response: the new state (`None` removes the resource, or
/// records nothing) and the diagnostics.
fn applied(state: Option<DynamicValue>, diagnostics: Diagnostics) -> ApplyResourceChangeResponse {
    ApplyResourceChangeResponse {
        new_state: Some(state.unwrap_or_else(DynamicValue::null)),
        private: Vec::new(),
        diagnostics,
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
                super::schema::DEFAULT_TIMEOUT,
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

/// Runs the guard again with fresh facts and makes the cluster match.
async fn converge(
    ctx: &Ctx<'_>,
    prior: Option<&Model>,
    planned: &Model,
    config: &Model,
    timeout: &Timeout,
) -> Result<(DynamicValue, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::new();
    let Maybe::Known(cluster) = planned.cluster_name.clone() else {
        return Err(Diagnostic::error(
            "cluster_name not known",
            "cluster_name must be known at apply time.",
        )
        .with_attribute(AttributePath::attr("cluster_name"))
        .into());
    };
    let fail = |what: String, e: OpError| -> Diagnostics {
        match e {
            OpError::Timeout { update_id } => {
                timeout.diagnostic(&cluster, update_id.as_deref()).into()
            }
            e => op_diagnostics(&what, e),
        }
    };
    // The fresh reads the apply decides on: one DescribeCluster and one
    // DescribeKey, right before any change.
    let live = ctx
        .live(&cluster, false)
        .await
        .map_err(|e| fail(format!("reading cluster {cluster:?}"), e))?;
    // A cluster created in this run may still be CREATING: wait for it.
    let live = ctx
        .wait_cluster_created(&cluster, live)
        .await
        .map_err(|e| {
            fail(
                format!("waiting for cluster {cluster:?} to become ACTIVE"),
                e,
            )
        })?;
    diags.extend(plan::check_cluster(
        &cluster,
        ctx.clients.region(),
        live.as_ref(),
    ));
    if diags.has_errors() {
        return Err(Diagnostics(
            diags.0.into_iter().filter(Diagnostic::is_error).collect(),
        ));
    }
    let Some(live) = live else {
        return Err(diags);
    };
    let key = match &config.key_arn {
        Maybe::Known(k) => Some(
            ctx.key(k, false)
                .await
                .map_err(|e| fail(format!("reading KMS key {k:?}"), e))?,
        ),
        Maybe::Unknown => {
            return Err(Diagnostic::error(
                "key_arn not known",
                "key_arn must be known at apply time.",
            )
            .with_attribute(AttributePath::attr("key_arn"))
            .into())
        }
        Maybe::Null => None,
    };
    // Only a key that was unknown at plan may be resolved now: a key the
    // plan showed must still be the one key_arn names.
    let planned_key = match (&config.key_arn, &planned.resolved_key_arn) {
        (Maybe::Known(_), Maybe::Known(arn)) => Some(arn.as_str()),
        _ => None,
    };
    if let (Some(want), Some(KeyLookup::Found(f)), Maybe::Known(configured)) =
        (planned_key, &key, &config.key_arn)
    {
        if f.arn != want {
            return Err(plan::key_moved(configured, want, &f.arn).into());
        }
    }
    let prior_f = prior.map(prior_facts);
    // Rotation is checked below, only for a key the plan could not check.
    let decision = plan::decide_change(&ChangeFacts {
        cluster: &cluster,
        region: ctx.clients.region(),
        prior: prior_f.as_ref(),
        config_key: &config.key_arn,
        live: &live,
        key: key.as_ref(),
        rotation: None,
        require_rotation: config.rotation_required(),
    });
    // Warnings were shown at plan time already; keep only errors here.
    let errors: Vec<Diagnostic> = decision
        .diagnostics
        .0
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    let resources = planned
        .resources
        .known()
        .cloned()
        .unwrap_or_else(|| vec![SECRETS.to_owned()]);
    // The plan-time checks the plan could not make (the cluster or the key
    // did not exist yet, or the key was unknown) run now, right before the
    // association. When the plan ran them, the fresh re-check of the key
    // and the cluster before the call (ensure_associated) is enough, and
    // keeps an association at its call count.
    let decided_at_apply = planned.resolved_key_arn.is_unknown();
    if let (Action::Associate { key_arn }, true) = (&decision.action, decided_at_apply) {
        if config.rotation_required() {
            match ctx.rotation(key_arn).await {
                Ok(Some(false)) => return Err(preflight::rotation_required(key_arn).into()),
                Ok(_) => {}
                Err(e) => return Err(fail("checking key rotation".into(), e)),
            }
        }
        let facts = preflight::gather(
            ctx.clients,
            ctx.stop,
            &cluster,
            &live.info.arn,
            live.info.role_arn.as_deref(),
            key_arn,
            config.preflight_on(),
        )
        .await
        .map_err(|e| fail("running the association preflight".into(), e))?;
        let checked = preflight::decide(&facts);
        if checked.has_errors() {
            return Err(Diagnostics(
                checked.0.into_iter().filter(Diagnostic::is_error).collect(),
            ));
        }
        // The plan could not show these warnings.
        diags.extend(checked);
    }
    let (update_id, fresh_info, key) = match (&decision.action, &config.key_arn, key) {
        (
            Action::Associate { key_arn } | Action::Adopt { key_arn },
            Maybe::Known(configured),
            Some(k),
        ) => {
            let done = ctx
                .ensure_associated(
                    &cluster,
                    configured,
                    planned_key,
                    &resources,
                    Some((Some(live), k)),
                )
                .await
                .map_err(|e| fail(format!("associating {key_arn} with cluster {cluster:?}"), e))?;
            (done.update_id, done.info, Some(done.key))
        }
        (Action::Nothing, _, k) => (
            prior.and_then(|p| p.update_id.known().cloned()),
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
    let info = match fresh_info {
        Some(i) => i,
        None => ctx
            .cluster(&cluster, false)
            .await
            .map_err(|e| fail(format!("reading cluster {cluster:?}"), e))?
            .ok_or_else(|| -> Diagnostics {
                Diagnostic::error(
                    plan::summary::CLUSTER_NOT_FOUND,
                    format!("Cluster {cluster:?} disappeared during the apply."),
                )
                .into()
            })?,
    };
    let mut state = planned.clone();
    fill_from_live(&mut state, &info);
    state.update_id = Maybe::from(update_id);
    match (&info.encryption.first(), &key) {
        (Some(e), Some(KeyLookup::Found(f))) if f.arn == e.key_arn => {
            state.key_state = Maybe::Known(f.state.clone())
        }
        (Some(e), _) => {
            state.key_state = match ctx.key(&e.key_arn, false).await {
                Ok(KeyLookup::Found(f)) => Maybe::Known(f.state),
                _ => Maybe::Null,
            }
        }
        (None, _) => state.key_state = Maybe::Null,
    }
    state.key_arn = config.key_arn.clone();
    let encoded = encode(&state).map_err(Diagnostics::from)?;
    Ok((encoded, diags))
}

/// Fills the attributes EKS reports.
fn fill_from_live(state: &mut Model, info: &ClusterInfo) {
    state.id = Maybe::Known(info.name.clone());
    state.cluster_arn = Maybe::Known(info.arn.clone());
    state.cluster_version = Maybe::Known(info.version.clone());
    state.cluster_created_at = Maybe::from(info.created_at.clone());
    match info.encryption.first() {
        Some(e) => {
            state.resolved_key_arn = Maybe::Known(e.key_arn.clone());
            state.key_type = Maybe::Known(KeyType::CustomerManaged.as_str().into());
            if !e.resources.is_empty() {
                state.resources = Maybe::Known(e.resources.clone());
            }
        }
        None => {
            state.resolved_key_arn = Maybe::Null;
            state.key_type = Maybe::Known(KeyType::without_cmk(&info.version).as_str().into());
        }
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
    }
}

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
            diags.push(op_diagnostic(&format!("reading cluster {cluster:?}"), e));
            return (Some(current.clone()), diags);
        }
    };
    fill_from_live(&mut state, &info);
    match info.encryption.first().map(|e| e.key_arn.clone()) {
        Some(live_cmk) => {
            // Keep the configured form (e.g. an alias) while it still
            // resolves to the key EKS uses; otherwise record EKS's key.
            let mut facts = None;
            if let Maybe::Known(configured) = &state.key_arn {
                if configured != &live_cmk {
                    match ctx.key(configured, true).await {
                        Ok(KeyLookup::Found(f)) if f.arn == live_cmk => facts = Some(f),
                        Ok(_) => state.key_arn = Maybe::Known(live_cmk.clone()),
                        Err(e) => {
                            diags
                                .push(op_diagnostic(&format!("reading KMS key {configured:?}"), e));
                            return (Some(current.clone()), diags);
                        }
                    }
                }
            } else {
                state.key_arn = Maybe::Known(live_cmk.clone());
            }
            if facts.is_none() {
                match ctx.key(&live_cmk, true).await {
                    Ok(KeyLookup::Found(f)) => facts = Some(f),
                    Ok(KeyLookup::NotFound { message })
                    | Ok(KeyLookup::AccessDenied { message }) => {
                        diags.warning(
                            "Could not read the customer managed key",
                            format!(
                                "Cluster {cluster:?} is encrypted with {live_cmk}, but KMS did not \
                                 describe it ({message}). If the key was deleted, the cluster \
                                 cannot be recovered; otherwise grant kms:DescribeKey."
                            ),
                        );
                        state.key_state = Maybe::Null;
                    }
                    Err(e) => {
                        diags.push(op_diagnostic(&format!("reading KMS key {live_cmk}"), e));
                    }
                }
            }
            if let Some(f) = facts {
                diags.extend(plan::key_health_warnings(&cluster, &f));
                state.key_state = Maybe::Known(f.state);
            }
        }
        None => {
            state.key_arn = Maybe::Null;
            state.key_state = Maybe::Null;
        }
    }
    match encode(&state) {
        Ok(v) => (Some(v), diags),
        Err(e) => {
            diags.push(e);
            (Some(current.clone()), diags)
        }
    }
}

// ---- update ---------------------------------------------------------------------

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

// ---- delete ---------------------------------------------------------------------

/// Delete: only forgets. A protected CMK is refused here too, for cores
/// that do not plan destroys (Terraform < 1.3); the resource then stays in
/// state.
fn delete(prior_state: &DynamicValue, prior: &Model) -> ApplyResourceChangeResponse {
    let cluster = prior.cluster_name.known().cloned().unwrap_or_default();
    let facts = prior_facts(prior);
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
        Err(e) => return Err(op_diagnostic(&format!("reading cluster {cluster:?}"), e).into()),
    };
    let mut state = Model {
        id: Maybe::Known(cluster.to_owned()),
        cluster_name: Maybe::Known(cluster.to_owned()),
        deletion_protection: Maybe::Known(true),
        ..Model::default()
    };
    fill_from_live(&mut state, &info);
    if let Some(e) = info.encryption.first() {
        state.key_arn = Maybe::Known(e.key_arn.clone());
        state.update_id = Maybe::from(
            ctx.association_update_id(cluster, Some(&e.key_arn))
                .await
                .map_err(|e| Diagnostics::from(op_diagnostic("listing cluster updates", e)))?,
        );
        if let Ok(KeyLookup::Found(f)) = ctx.key(&e.key_arn, false).await {
            state.key_state = Maybe::Known(f.state);
        }
    }
    encode(&state).map_err(Diagnostics::from)
}

/// Live facts, for tests and the data source.
pub fn key_type_of(info: &ClusterInfo) -> KeyType {
    if info.encryption.is_empty() {
        KeyType::without_cmk(&info.version)
    } else {
        KeyType::CustomerManaged
    }
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
