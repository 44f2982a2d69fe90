//! Criterion micro-benchmarks of the msgpack codec (issue 6, "hot paths").
//!
//! Terraform sends every prior state, proposed state and configuration as
//! cty msgpack, and the provider answers in msgpack, so each resource costs
//! a few decodes and encodes per plan. Two values:
//!
//! - `state`: a fully populated `eks_encryption_config` state object, typed
//!   by `resource_schema()`;
//! - `nested_1mib`: a ~1 MiB list of objects holding maps, nested lists,
//!   numbers and bools, to show the codec's throughput on big values.
//!
//! Run with `cargo bench --bench codec` or through `scripts/bench`.

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use terraform_provider_eks::provider::encryption_config::schema::resource_schema;
use terraform_provider_eks::tfprotov6::value::{msgpack, Number, Type, Value};

const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// A fully populated state as stored after an association.
fn state_value() -> Value {
    Value::object([
        ("id", Value::string("prod")),
        ("cluster_name", Value::string("prod")),
        ("key_arn", Value::string("alias/prod-eks-secrets")),
        ("resources", Value::list([Value::string("secrets")])),
        ("deletion_protection", Value::bool(true)),
        (
            "cluster_arn",
            Value::string("arn:aws:eks:us-east-1:123456789012:cluster/prod"),
        ),
        ("cluster_version", Value::string("1.31")),
        ("resolved_key_arn", Value::string(KEY_ARN)),
        ("key_type", Value::string("CUSTOMER_MANAGED")),
        ("key_state", Value::string("Enabled")),
        (
            "update_id",
            Value::string("9b7b4c3e-6f0e-4d7c-9d69-4d1f1b0c2a11"),
        ),
        (
            "timeouts",
            Value::object([("create", Value::string("30m")), ("update", Value::Null)]),
        ),
    ])
}

/// The type of one element of the big value.
fn item_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("enabled", Type::Bool),
        ("weight", Type::Number),
        ("tags", Type::map(Type::String)),
        (
            "rules",
            Type::list(Type::object([
                ("port", Type::Number),
                ("cidrs", Type::list(Type::String)),
            ])),
        ),
    ])
}

fn item(i: i64) -> Value {
    Value::object([
        ("name", Value::string(format!("item-{i:06}"))),
        ("enabled", Value::bool(i % 3 != 0)),
        (
            "weight",
            // Alternates integers and non-integral floats.
            if i % 2 == 0 {
                Value::number(Number::from_i64(i * 1_000_003))
            } else {
                Value::number(Number::from_f64(i as f64 + 0.25).expect("finite"))
            },
        ),
        (
            "tags",
            Value::map([
                ("team", Value::string("platform")),
                (
                    "env",
                    Value::string(if i % 2 == 0 { "prod" } else { "dev" }),
                ),
                ("owner", Value::string(format!("owner-{}", i % 97))),
            ]),
        ),
        (
            "rules",
            Value::list((0..3).map(|r| {
                Value::object([
                    ("port", Value::number(Number::from_i64(443 + r))),
                    (
                        "cidrs",
                        Value::list([
                            Value::string(format!("10.{}.{}.0/24", i % 256, r)),
                            Value::string("192.168.0.0/16"),
                        ]),
                    ),
                ])
            })),
        ),
    ])
}

/// A list of objects whose msgpack encoding is at least 1 MiB.
fn nested_value() -> (Type, Value) {
    let ty = Type::list(item_type());
    let per_item = msgpack::encode(&Value::list([item(1)]), &ty)
        .expect("encodes")
        .len();
    let n = (1 << 20) / per_item.max(1) + 1;
    (ty, Value::list((0..n as i64).map(item)))
}

fn bench_value(c: &mut Criterion, name: &str, ty: &Type, value: &Value) {
    let bytes = msgpack::encode(value, ty).expect("the value encodes");
    // Compared as bytes: decoding fills attributes the value leaves out
    // (and the encoder writes them) as null, so the decoded value may have
    // more attributes than `value`, but it encodes to the same bytes.
    let decoded = msgpack::decode(&bytes, ty).expect("it decodes");
    assert_eq!(
        msgpack::encode(&decoded, ty).expect("it encodes again"),
        bytes,
        "round trip"
    );
    let mut group = c.benchmark_group(format!("msgpack/{name}"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode", |b| {
        b.iter(|| msgpack::encode(black_box(value), black_box(ty)).expect("encodes"))
    });
    group.bench_function("decode", |b| {
        // Includes dropping the decoded value, as the provider does.
        b.iter(|| msgpack::decode(black_box(&bytes), black_box(ty)).expect("decodes"))
    });
    group.finish();
}

fn codec(c: &mut Criterion) {
    let ty = resource_schema().block.value_type();
    bench_value(c, "state", &ty, &state_value());
    let (ty, value) = nested_value();
    bench_value(c, "nested_1mib", &ty, &value);
}

criterion_group!(benches, codec);
criterion_main!(benches);
