//! Actions (protocol 6.10, Terraform 1.14+): operations a configuration
//! declares with `action` blocks, run with `terraform apply -invoke=...` or
//! from a resource's `lifecycle.action_trigger`. They change no state.

use super::diagnostics::Diagnostics;
use super::provider::{ClientCapabilities, DynamicValue};

/// `ValidateActionConfig`.
#[derive(Clone, Debug)]
pub struct ValidateActionConfigRequest {
    /// The action type.
    pub type_name: String,
    /// The action's `config` block, possibly with unknown values.
    pub config: DynamicValue,
}

/// `PlanAction` and `InvokeAction`.
#[derive(Clone, Debug)]
pub struct ActionRequest {
    /// The action type.
    pub action_type: String,
    /// The action's `config` block (at plan time possibly with unknown
    /// values).
    pub config: DynamicValue,
    /// What the core can handle.
    pub client_capabilities: ClientCapabilities,
}

/// One event of `InvokeAction`: progress, then one completion.
#[derive(Clone, Debug)]
pub enum InvokeActionEvent {
    /// A line of progress for the user.
    Progress(String),
    /// The end of the action: it failed if any diagnostic is an error.
    Completed(Diagnostics),
}

impl From<Diagnostics> for InvokeActionEvent {
    /// The completion event.
    fn from(diagnostics: Diagnostics) -> Self {
        Self::Completed(diagnostics)
    }
}
