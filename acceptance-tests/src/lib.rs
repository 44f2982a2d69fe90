//! Acceptance-test harness for `terraform-provider-eks`.
//!
//! Real Terraform cores drive the real provider binary against a local EKS +
//! KMS emulator (`acceptance-tests/emulator`, a moto extension). The pieces,
//! one module per concern:
//!
//! - [`cores`]: which Terraform and OpenTofu binaries to run on, their kinds
//!   and versions, and the features each version gates.
//! - [`emulator`]: one emulator process per test and a blocking client for its
//!   control API (seed keys and clusters, faults, the request log).
//! - [`workdir`]: a temporary directory per test and core, with the CLI config
//!   whose `dev_overrides` point Terraform at the provider binary.
//! - [`terraform`]: running a core with a clean, deterministic environment and
//!   reading its output and diagnostics.
//! - [`tfjson`]: reading `terraform show -json` output (plans and state).
//! - [`context`]: [`context::TestContext`], the bundle (core, emulator,
//!   workdir) a scenario works with, and [`context::each_core`].
//! - [`steps`]: the terraform-plugin-testing discipline: [`steps::TestCase`],
//!   [`steps::Step`], plan and state checks, import-verify, destroy.
//! - [`interrupt`]: interrupting a running `terraform apply` with SIGINT.
//! - [`proxy`]: a loopback HTTP `CONNECT` proxy that records its tunnels.
//! - [`plugin_client`]: our own plugin client, no core: spawns the provider,
//!   performs go-plugin's handshake with mTLS as Terraform does and speaks
//!   tfplugin6 (`tests/plugin_protocol.rs`, `tests/provider_protocol_rpc.rs`).
//!
//! Running: `cargo build` (the provider), `scripts/install-deps` (the cores
//! under `.cache/cores/` and the emulator's venv), then
//! `cargo test -p acceptance-tests`. Every scenario runs on every core; with
//! `TF_ACC_RESULTS=DIR` each outcome per core is appended to
//! `DIR/results.jsonl` (`scripts/test` prints them as a table).
//! Scenarios are `tests/encryption_config.rs`; harness self-tests (no
//! provider needed) are `tests/harness.rs`.
//!
//! Environment knobs: `TF_ACC_CORES` (extra Terraform or OpenTofu binaries,
//! colon-separated), `TF_ACC_CORES_ONLY=1` (only those),
//! `TF_ACC_PROVIDER_BIN` (provider binary), `TF_ACC_LOG` (write and report
//! `TF_LOG=debug` logs), `TF_ACC_KEEP_WORKDIR` (keep temporary directories),
//! `TF_ACC_EMULATOR_PYTHON` (the Python that runs the emulator),
//! `TF_ACC_COMMAND_TIMEOUT` (seconds one Terraform command may take).

pub mod context;
pub mod cores;
pub mod emulator;
pub mod error;
pub mod interrupt;
pub mod paths;
pub mod plugin_client;
pub mod proxy;
pub mod steps;
pub mod terraform;
pub mod tfjson;
pub mod workdir;

pub use context::{each_core, TestContext};
pub use cores::{Core, Feature, Version};
pub use emulator::{ClusterSpec, Emulator, KeySpec};
pub use error::{Error, Result};
pub use steps::{Action, Destroy, Phase, Step, TestCase};
pub use terraform::TfOutput;
