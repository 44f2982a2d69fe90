//! Schemas: the shape of a provider block, resource or data source, as
//! Terraform sees it in `terraform providers schema -json`.

use std::collections::{BTreeMap, BTreeSet};

use super::value::Type;

/// A versioned schema for a provider, resource or data source.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    /// The state schema version; bumped when the state layout changes.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

/// A configuration block: attributes and nested blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    /// The attributes, in display order.
    pub attributes: Vec<Attribute>,
    /// The nested block types.
    pub blocks: Vec<NestedBlock>,
    /// Markdown description of the block.
    pub description: String,
    /// Whether the block is deprecated.
    pub deprecated: bool,
}

/// One attribute of a block.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// Its value type.
    pub ty: Type,
    /// Markdown description: what it does and its default.
    pub description: String,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// Set by the provider (alone, or when the configuration leaves it null).
    pub computed: bool,
    /// Hidden in plan output.
    pub sensitive: bool,
}

impl Attribute {
    fn new(name: &str, ty: Type, description: &str) -> Self {
        Self {
            name: name.to_owned(),
            ty,
            description: description.to_owned(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
        }
    }

    /// A required attribute.
    pub fn required(name: &str, ty: Type, description: &str) -> Self {
        Self {
            required: true,
            ..Self::new(name, ty, description)
        }
    }

    /// An optional attribute.
    pub fn optional(name: &str, ty: Type, description: &str) -> Self {
        Self {
            optional: true,
            ..Self::new(name, ty, description)
        }
    }

    /// An optional attribute the provider fills in when it is null.
    pub fn optional_computed(name: &str, ty: Type, description: &str) -> Self {
        Self {
            optional: true,
            computed: true,
            ..Self::new(name, ty, description)
        }
    }

    /// An attribute only the provider sets.
    pub fn computed(name: &str, ty: Type, description: &str) -> Self {
        Self {
            computed: true,
            ..Self::new(name, ty, description)
        }
    }
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one; its value is an object (or null).
    Single,
    /// A list of objects.
    List,
    /// A set of objects.
    Set,
}

/// A nested block type.
#[derive(Clone, Debug, PartialEq)]
pub struct NestedBlock {
    /// The block's name.
    pub type_name: String,
    /// Its contents.
    pub block: Block,
    /// How it repeats.
    pub nesting: Nesting,
    /// Lower bound on repetitions (0 for none).
    pub min_items: i64,
    /// Upper bound on repetitions (0 for unbounded).
    pub max_items: i64,
}

impl NestedBlock {
    /// A block that may appear at most once.
    pub fn single(type_name: &str, block: Block) -> Self {
        Self {
            type_name: type_name.to_owned(),
            block,
            nesting: Nesting::Single,
            min_items: 0,
            max_items: 0,
        }
    }
}

impl Block {
    /// The cty object type of values conforming to this block.
    pub fn value_type(&self) -> Type {
        let mut attributes: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            let inner = b.block.value_type();
            let ty = match b.nesting {
                Nesting::Single => inner,
                Nesting::List => Type::List(Box::new(inner)),
                Nesting::Set => Type::Set(Box::new(inner)),
            };
            attributes.insert(b.type_name.clone(), ty);
        }
        Type::Object {
            attributes,
            optional: BTreeSet::new(),
        }
    }

    /// Looks up an attribute by name.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Every attribute in this block and its nested blocks, with a dotted path.
    pub fn all_attributes(&self) -> Vec<(String, &Attribute)> {
        let mut out = Vec::new();
        self.collect_attributes("", &mut out);
        out
    }

    fn collect_attributes<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Attribute)>) {
        for a in &self.attributes {
            out.push((format!("{prefix}{}", a.name), a));
        }
        for b in &self.blocks {
            b.block
                .collect_attributes(&format!("{prefix}{}.", b.type_name), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_type_includes_nested_blocks() {
        let block = Block {
            attributes: vec![Attribute::required("a", Type::String, "A.")],
            blocks: vec![NestedBlock::single(
                "t",
                Block {
                    attributes: vec![Attribute::optional("create", Type::String, "C.")],
                    ..Block::default()
                },
            )],
            ..Block::default()
        };
        let ty = block.value_type();
        let Type::Object { attributes, .. } = ty else {
            panic!("not an object")
        };
        assert_eq!(attributes["a"], Type::String);
        assert!(matches!(attributes["t"], Type::Object { .. }));
        let names: Vec<_> = block.all_attributes().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "t.create"]);
    }
}
