//! Attribute paths: where inside a value an error happened.
//!
//! A path is a sequence of steps from the root of a value: an attribute of an
//! object, a string key of a map, or an integer index of a list, set or
//! tuple. It prints the way Terraform users read paths, e.g.
//! `assume_role.role_arn`, `resources[0]` or `tags["k"]`.

use std::fmt;

/// A path from the root of a value to one of its nested values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct AttributePath {
    /// The steps from the root, outermost first. Empty for the root itself.
    pub steps: Vec<PathStep>,
}

/// One step of an [`AttributePath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An attribute of an object (or a nested block), by name.
    Attribute(String),
    /// An element of a map, by its string key.
    ElementKeyString(String),
    /// An element of a list, set or tuple, by its position.
    ElementKeyInt(i64),
}

impl AttributePath {
    /// The empty path, naming the whole value.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path of a single attribute step.
    pub fn attr(name: &str) -> Self {
        Self::root().child_attr(name)
    }

    /// This path followed by an attribute step.
    pub fn child_attr(&self, name: &str) -> Self {
        self.child(PathStep::Attribute(name.to_owned()))
    }

    /// This path followed by a map-key step.
    pub fn child_key(&self, key: &str) -> Self {
        self.child(PathStep::ElementKeyString(key.to_owned()))
    }

    /// This path followed by an index step.
    pub fn child_index(&self, i: i64) -> Self {
        self.child(PathStep::ElementKeyInt(i))
    }

    /// This path followed by any step.
    pub fn child(&self, step: PathStep) -> Self {
        let mut steps = Vec::with_capacity(self.steps.len() + 1);
        steps.extend(self.steps.iter().cloned());
        steps.push(step);
        Self { steps }
    }

    /// Whether this is the root path (no steps).
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    /// The path without its last step; the root stays the root.
    pub fn parent(&self) -> Self {
        let mut steps = self.steps.clone();
        steps.pop();
        Self { steps }
    }

    /// The last step, if any.
    pub fn last(&self) -> Option<&PathStep> {
        self.steps.last()
    }
}

impl From<Vec<PathStep>> for AttributePath {
    fn from(steps: Vec<PathStep>) -> Self {
        Self { steps }
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("(root)");
        }
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                PathStep::ElementKeyString(key) => {
                    // JSON string syntax quotes and escapes the key the way
                    // Terraform prints map keys.
                    let quoted = serde_json::Value::String(key.clone()).to_string();
                    write!(f, "[{quoted}]")?;
                }
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A path being walked by the codecs, borrowed from the callers' stack
/// frames: a child step costs nothing, and the owned [`AttributePath`] is
/// built only when an error needs it. (Building owned child paths eagerly
/// cost two allocations per attribute of every value decoded or encoded.)
#[derive(Clone, Copy, Debug)]
pub(crate) enum PathRef<'a> {
    /// The whole value.
    Root,
    /// An attribute of the parent.
    Attr(&'a PathRef<'a>, &'a str),
    /// A map key of the parent.
    Key(&'a PathRef<'a>, &'a str),
    /// An index of the parent.
    Index(&'a PathRef<'a>, i64),
}

impl<'a> PathRef<'a> {
    /// This path followed by an attribute step.
    pub(crate) fn attr(&'a self, name: &'a str) -> PathRef<'a> {
        PathRef::Attr(self, name)
    }

    /// This path followed by a map-key step.
    pub(crate) fn key(&'a self, key: &'a str) -> PathRef<'a> {
        PathRef::Key(self, key)
    }

    /// This path followed by an index step.
    pub(crate) fn index(&'a self, i: i64) -> PathRef<'a> {
        PathRef::Index(self, i)
    }

    fn push_steps(&self, out: &mut Vec<PathStep>) {
        match self {
            PathRef::Root => {}
            PathRef::Attr(parent, name) => {
                parent.push_steps(out);
                out.push(PathStep::Attribute((*name).to_owned()));
            }
            PathRef::Key(parent, key) => {
                parent.push_steps(out);
                out.push(PathStep::ElementKeyString((*key).to_owned()));
            }
            PathRef::Index(parent, i) => {
                parent.push_steps(out);
                out.push(PathStep::ElementKeyInt(*i));
            }
        }
    }
}

/// Anything an error can take its path from.
pub(crate) trait ToAttributePath {
    /// The owned path.
    fn to_attribute_path(&self) -> AttributePath;
}

impl ToAttributePath for AttributePath {
    fn to_attribute_path(&self) -> AttributePath {
        self.clone()
    }
}

impl ToAttributePath for PathRef<'_> {
    fn to_attribute_path(&self) -> AttributePath {
        let mut steps = Vec::new();
        self.push_steps(&mut steps);
        AttributePath { steps }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_prints_as_root() {
        assert_eq!(AttributePath::root().to_string(), "(root)");
        assert!(AttributePath::root().is_root());
        assert!(!AttributePath::attr("a").is_root());
    }

    #[test]
    fn steps_print_like_terraform() {
        let p = AttributePath::attr("assume_role").child_attr("role_arn");
        assert_eq!(p.to_string(), "assume_role.role_arn");
        let p = AttributePath::attr("resources").child_index(0);
        assert_eq!(p.to_string(), "resources[0]");
        let p = AttributePath::attr("tags").child_key("k");
        assert_eq!(p.to_string(), "tags[\"k\"]");
        let p = AttributePath::attr("tags")
            .child_key("a\"b")
            .child_attr("c");
        assert_eq!(p.to_string(), "tags[\"a\\\"b\"].c");
        let p = AttributePath::root().child_index(3).child_attr("x");
        assert_eq!(p.to_string(), "[3].x");
    }

    #[test]
    fn child_does_not_modify_parent() {
        let p = AttributePath::attr("a");
        let c = p.child_index(1);
        assert_eq!(p.steps.len(), 1);
        assert_eq!(c.steps.len(), 2);
        assert_eq!(c.parent(), p);
        assert_eq!(c.last(), Some(&PathStep::ElementKeyInt(1)));
        assert_eq!(AttributePath::root().parent(), AttributePath::root());
    }

    #[test]
    fn borrowed_paths_build_the_same_steps() {
        let root = PathRef::Root;
        let a = root.attr("tags");
        let b = a.key("k");
        let c = b.index(2);
        let d = c.attr("x");
        assert_eq!(
            d.to_attribute_path(),
            AttributePath::attr("tags")
                .child_key("k")
                .child_index(2)
                .child_attr("x")
        );
        assert_eq!(PathRef::Root.to_attribute_path(), AttributePath::root());
    }
}
