//! Reading `terraform show -json` output: [`State`] (no plan file) and
//! [`Plan`] (`show -json tfplan`).

use std::fmt;

use serde_json::Value;

/// What a plan does to one resource instance (from `change.actions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `["no-op"]`.
    NoOp,
    /// `["create"]`.
    Create,
    /// `["read"]` (data sources read at apply).
    Read,
    /// `["update"]` (in place).
    Update,
    /// `["delete"]`.
    Delete,
    /// `["delete", "create"]` or `["create", "delete"]`.
    Replace,
}

impl Action {
    /// Maps a plan's `actions` array; None for anything unrecognised.
    pub fn from_actions(actions: &[&str]) -> Option<Self> {
        Some(match actions {
            ["no-op"] => Action::NoOp,
            ["create"] => Action::Create,
            ["read"] => Action::Read,
            ["update"] => Action::Update,
            ["delete"] => Action::Delete,
            ["delete", "create"] | ["create", "delete"] => Action::Replace,
            _ => return None,
        })
    }

    /// Whether the action deletes the existing object (delete or replace).
    pub fn destroys(self) -> bool {
        matches!(self, Action::Delete | Action::Replace)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Replace => "replace",
        };
        f.write_str(s)
    }
}

/// Looks up a dotted path (`key_arn`, `resources.0`, `timeouts.create`) in a
/// JSON value; numeric segments index arrays.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn module_resources<'a>(module: &'a Value, out: &mut Vec<&'a Value>) {
    if let Some(rs) = module.get("resources").and_then(Value::as_array) {
        out.extend(rs.iter());
    }
    if let Some(children) = module.get("child_modules").and_then(Value::as_array) {
        for c in children {
            module_resources(c, out);
        }
    }
}

/// The state as printed by `terraform show -json`.
#[derive(Clone, Debug)]
pub struct State {
    /// The raw JSON.
    pub json: Value,
}

impl State {
    /// Wraps `show -json` output.
    pub fn new(json: Value) -> Self {
        State { json }
    }

    /// Every resource instance (managed and data), all modules.
    pub fn resources(&self) -> Vec<&Value> {
        let mut out = Vec::new();
        if let Some(root) = self.json.pointer("/values/root_module") {
            module_resources(root, &mut out);
        }
        out
    }

    /// The resource instance with this address (`eks_encryption_config.this`,
    /// `data.eks_encryption_config.x`).
    pub fn resource(&self, address: &str) -> Option<&Value> {
        self.resources()
            .into_iter()
            .find(|r| r.get("address").and_then(Value::as_str) == Some(address))
    }

    /// The attribute values of a resource instance.
    pub fn values(&self, address: &str) -> Option<&Value> {
        self.resource(address).and_then(|r| r.get("values"))
    }

    /// One attribute (dotted path, see [`lookup`]) of a resource instance.
    pub fn attr(&self, address: &str, path: &str) -> Option<&Value> {
        self.values(address).and_then(|v| lookup(v, path))
    }

    /// One string attribute.
    pub fn attr_str(&self, address: &str, path: &str) -> Option<&str> {
        self.attr(address, path).and_then(Value::as_str)
    }

    /// Addresses of managed resource instances.
    pub fn managed_addresses(&self) -> Vec<String> {
        self.resources()
            .into_iter()
            .filter(|r| r.get("mode").and_then(Value::as_str) == Some("managed"))
            .filter_map(|r| r.get("address").and_then(Value::as_str).map(str::to_string))
            .collect()
    }

    /// Whether the instance is tainted.
    pub fn is_tainted(&self, address: &str) -> bool {
        self.resource(address)
            .and_then(|r| r.get("tainted"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// A saved plan as printed by `terraform show -json tfplan`.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The raw JSON.
    pub json: Value,
}

impl Plan {
    /// Wraps `show -json tfplan` output.
    pub fn new(json: Value) -> Self {
        Plan { json }
    }

    /// `resource_changes` entries.
    pub fn resource_changes(&self) -> Vec<&Value> {
        self.json
            .get("resource_changes")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    /// The `change` object of one address.
    pub fn change(&self, address: &str) -> Option<&Value> {
        self.resource_changes()
            .into_iter()
            .find(|c| c.get("address").and_then(Value::as_str) == Some(address))
            .and_then(|c| c.get("change"))
    }

    /// Raw `actions` of one address.
    pub fn raw_actions(&self, address: &str) -> Option<Vec<String>> {
        self.change(address)
            .and_then(|c| c.get("actions"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
    }

    /// The action for one address (None if the plan does not mention it).
    pub fn action(&self, address: &str) -> Option<Action> {
        let raw = self.raw_actions(address)?;
        let refs: Vec<&str> = raw.iter().map(String::as_str).collect();
        Action::from_actions(&refs)
    }

    /// Every address with its action, for reports.
    pub fn actions(&self) -> Vec<(String, String)> {
        self.resource_changes()
            .into_iter()
            .map(|c| {
                let addr = c
                    .get("address")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                let actions = c
                    .pointer("/change/actions")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default();
                (addr, actions)
            })
            .collect()
    }

    /// A planned value after the change (None if unknown or absent).
    pub fn after(&self, address: &str, path: &str) -> Option<&Value> {
        self.change(address)
            .and_then(|c| c.get("after"))
            .and_then(|v| lookup(v, path))
    }

    /// Whether an attribute is unknown after the change (`after_unknown`).
    pub fn is_unknown_after(&self, address: &str, path: &str) -> bool {
        self.change(address)
            .and_then(|c| c.get("after_unknown"))
            .and_then(|v| lookup(v, path))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_state_and_plan() {
        let state = State::new(json!({"values": {"root_module": {"resources": [
            {"address": "eks_encryption_config.this", "mode": "managed",
             "values": {"key_type": "CUSTOMER_MANAGED", "resources": ["secrets"], "timeouts": null}},
            {"address": "data.eks_encryption_config.d", "mode": "data", "values": {}}
        ], "child_modules": [{"resources": [{"address": "module.m.x.y", "mode": "managed"}]}]}}}));
        assert_eq!(
            state.attr_str("eks_encryption_config.this", "key_type"),
            Some("CUSTOMER_MANAGED")
        );
        assert_eq!(
            state.attr_str("eks_encryption_config.this", "resources.0"),
            Some("secrets")
        );
        assert_eq!(
            state.managed_addresses(),
            ["eks_encryption_config.this", "module.m.x.y"]
        );
        assert!(State::new(json!({"format_version": "1.0"}))
            .resources()
            .is_empty());

        let plan = Plan::new(json!({"resource_changes": [
            {"address": "a.b", "change": {"actions": ["delete", "create"], "after": {"x": 1}, "after_unknown": {"id": true}}},
            {"address": "c.d", "change": {"actions": ["no-op"]}}
        ]}));
        assert_eq!(plan.action("a.b"), Some(Action::Replace));
        assert_eq!(plan.action("c.d"), Some(Action::NoOp));
        assert_eq!(plan.action("e.f"), None);
        assert!(plan.is_unknown_after("a.b", "id"));
        assert!(!plan.is_unknown_after("a.b", "x"));
        assert_eq!(plan.after("a.b", "x"), Some(&json!(1)));
    }
}
