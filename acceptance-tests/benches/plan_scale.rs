//! Plan cost at scale (issue 6, parts 2 and 4; issue 14): `terraform apply`
//! and refreshed `terraform plan` with N `eks_encryption_config` resources
//! against two AWS back ends, and the same N with null-resource peers:
//!
//! - `emulator`: the moto-based emulator (a Python process), whose request
//!   log gives the real call counts; its own CPU per resource is larger than
//!   the provider's, so its wall times measure it as much as us;
//! - `standin`: a benchmark-only Rust HTTP/1.1 keep-alive server in this
//!   process (`support/standin.rs`) answering from a fixed table in
//!   microseconds, so the wall times measure the provider and Terraform.
//!
//! Not a Criterion benchmark and not a test: `scripts/bench` builds it with
//! `cargo build --release -p acceptance-tests --bench plan_scale` and runs:
//!
//! ```text
//! plan_scale --out DIR --provider BIN [--terraform PATH] [--sizes 1,10,100,500]
//!            [--plans 3] [--plans-large 2] [--large 500] [--parallelism-at 100]
//!            [--peer NAME=SOURCE=BIN ...] [--shaped-peer NAME=SOURCE=BIN ...]
//!            [--backends emulator,standin]
//!            [--callgrind-at N] [--valgrind PATH] [--keep-callgrind]
//!            [--peer-expressions]
//! plan_scale --standin-serve N    # serve the stand-in for N clusters, print its URL
//! ```
//!
//! `--callgrind-at N` adds, for the stand-in at that N, one refreshed plan
//! with every provider process run under `valgrind --tool=callgrind`: the
//! provider's instruction count (`Ir`), which, unlike CPU time, does not
//! depend on what else the machine runs. Its CPU figures are not used.
//!
//! For each N: a fresh emulator with 2 keys (`alias/bench-a`, `alias/bench-b`)
//! and N clusters; a configuration with `count = N` resources alternating the
//! two keys; `apply -auto-approve`; then `--plans` refreshed
//! `plan -detailed-exitcode` runs (which must report no changes) at the
//! default `-parallelism=10`, and one at `-parallelism=1` where
//! N = `--parallelism-at`; there too, two plans (parallelism 10 and 1) with
//! 50 ms of latency injected on every DescribeCluster, which shows whether
//! resources overlap in the provider. Before each command the emulator's request log is
//! cleared; after it the log gives the AWS calls by operation and their
//! timestamps.
//!
//! The provider runs behind a wrapper: the override directory holds a
//! two-line shell script that execs this binary with `--wrap REAL DIR`, which
//! runs the real provider with inherited stdio (it prints nothing itself),
//! waits for it and writes the provider's own CPU time and peak RSS
//! (`getrusage(RUSAGE_CHILDREN)`) to `DIR`. Terraform's total CPU per
//! command is the bench process's own `RUSAGE_CHILDREN` delta.
//!
//! Each `--peer NAME=SOURCE=BIN` is a provider whose resource type is
//! `null_resource` with computed-only attributes (the `tf-provider` crate's
//! null example, or HashiCorp's null provider): it gets the same N, apply and
//! plans, with its own `dev_overrides` source address.
//!
//! Each `--shaped-peer NAME=SOURCE=BIN` is a provider whose
//! `<TYPE>_encryption_config` (TYPE: the source address's last part) has
//! `eks_encryption_config`'s schema and no behaviour
//! (`support/shaped_peer.rs`), configured with the eks configuration's
//! resource block: Terraform's CPU with it, against ours and the null
//! peers', separates the cost of the schema and state's size from the cost
//! of what our provider does.
//!
//! Writes `DIR/plan_scale.json` (every run) and `DIR/plan_scale.csv`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

#[path = "support/standin.rs"]
mod standin;

use acceptance_tests::cores::{self, Core};
use acceptance_tests::emulator::{Emulator, EmulatorOptions, Fault, RequestRecord};
use acceptance_tests::terraform::Terraform;
use acceptance_tests::workdir::Workdir;
use acceptance_tests::{ClusterSpec, KeySpec};
use nix::sys::resource::{getrusage, Usage, UsageWho};
use serde_json::{json, Value};
use standin::StandIn;

type Res<T> = Result<T, String>;

const COMMAND_TIMEOUT: Duration = Duration::from_secs(1800);
/// Latency injected on every DescribeCluster for the parallelism check.
const LATENCY_MS: u64 = 50;

fn err<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

// ---- wrapper mode -------------------------------------------------------------

fn secs(u: &Usage) -> (f64, f64) {
    let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
    (t(u.user_time()), t(u.system_time()))
}

/// `--wrap REAL DIR ARGS...`: run REAL with ARGS and inherited stdio, then
/// record its rusage in DIR. Exits with REAL's code.
fn wrap(real: &str, dir: &str, args: Vec<String>) -> ExitCode {
    let started = Instant::now();
    let status = Command::new(real).args(&args).status();
    let wall = started.elapsed().as_secs_f64();
    let code = match &status {
        Ok(s) => s.code().unwrap_or(1),
        Err(_) => 1,
    };
    if let Ok(u) = getrusage(UsageWho::RUSAGE_CHILDREN) {
        let (user, sys) = secs(&u);
        let rec = json!({
            "real": real,
            "pid": std::process::id(),
            "wall_s": wall,
            "user_s": user,
            "sys_s": sys,
            "maxrss_kib": u.max_rss(),
            "exit": status.as_ref().ok().and_then(|s| s.code()),
            "signal": status.as_ref().ok().and_then(|s| {
                use std::os::unix::process::ExitStatusExt;
                s.signal()
            }),
        });
        let name = format!(
            "{}-{}.json",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
            std::process::id()
        );
        let _ = std::fs::write(Path::new(dir).join(name), rec.to_string());
    }
    if let Err(e) = status {
        eprintln!("plan_scale wrapper: could not run {real}: {e}");
    }
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// Writes the wrapper script `dir/name` that runs `real` under this binary.
fn write_wrapper(dir: &Path, name: &str, real: &Path, rusage_dir: &Path) -> Res<PathBuf> {
    let me = std::env::current_exe().map_err(err("current_exe"))?;
    let q = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
    let script = format!(
        "#!/bin/sh\nexec {} --wrap {} {} \"$@\"\n",
        q(&me),
        q(real),
        q(rusage_dir)
    );
    std::fs::create_dir_all(dir).map_err(err("creating the wrapper dir"))?;
    let path = dir.join(name);
    std::fs::write(&path, script).map_err(err("writing the wrapper"))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .map_err(err("chmod wrapper"))?;
    Ok(path)
}

// ---- measuring one command ------------------------------------------------------

/// The AWS side a run talks to.
enum Backend {
    Emulator(Emulator),
    StandIn(StandIn),
}

impl Backend {
    fn url(&self) -> &str {
        match self {
            Backend::Emulator(e) => e.url(),
            Backend::StandIn(s) => s.url(),
        }
    }

    fn clear_requests(&self) -> Res<()> {
        match self {
            Backend::Emulator(e) => e.clear_requests().map_err(err("clearing the request log")),
            Backend::StandIn(s) => {
                s.clear();
                Ok(())
            }
        }
    }

    fn requests(&self) -> Res<Vec<RequestRecord>> {
        match self {
            Backend::Emulator(e) => e.requests().map_err(err("reading the request log")),
            Backend::StandIn(s) => Ok(s
                .requests()
                .into_iter()
                .enumerate()
                .map(|(i, a)| RequestRecord {
                    seq: i as u64 + 1,
                    service: String::new(),
                    operation: a.operation,
                    method: String::new(),
                    path: String::new(),
                    status: Some(a.status),
                    region: standin::REGION.to_owned(),
                    request_id: None,
                    body: None,
                    time: Some(a.time),
                    access_key_id: None,
                    account: Some(standin::ACCOUNT.to_owned()),
                })
                .collect()),
        }
    }

    /// CPU seconds the back end has used so far: the emulator process's, or
    /// this process's (the stand-in's threads, and the bench's own polling).
    fn cpu_s(&self) -> Option<f64> {
        match self {
            Backend::Emulator(e) => process_cpu_s(e.pid()),
            Backend::StandIn(_) => getrusage(UsageWho::RUSAGE_SELF).ok().map(|u| {
                let (a, b) = secs(&u);
                a + b
            }),
        }
    }

    /// TCP connections the back end accepted so far (stand-in only).
    fn connections(&self) -> Option<u64> {
        match self {
            Backend::Emulator(_) => None,
            Backend::StandIn(s) => Some(s.connections()),
        }
    }
}

/// What one Terraform command cost.
#[derive(Debug)]
struct Measured {
    wall_s: f64,
    exit: Option<i32>,
    /// Terraform and everything it waited for (providers included).
    terraform_cpu_s: f64,
    /// The back end's CPU during the command (the emulator's at 10 ms
    /// resolution, or the stand-in's).
    emulator_cpu_s: Option<f64>,
    /// TCP connections the back end accepted during the command.
    connections: Option<u64>,
    /// Each provider process: user, sys, maxrss.
    providers: Vec<Value>,
    requests: Vec<RequestRecord>,
    stdout: String,
    stderr: String,
}

impl Measured {
    fn provider_cpu_s(&self) -> f64 {
        self.providers
            .iter()
            .map(|p| p["user_s"].as_f64().unwrap_or(0.0) + p["sys_s"].as_f64().unwrap_or(0.0))
            .sum()
    }

    fn provider_maxrss_kib(&self) -> i64 {
        self.providers
            .iter()
            .filter_map(|p| p["maxrss_kib"].as_i64())
            .max()
            .unwrap_or(0)
    }

    fn calls(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in &self.requests {
            *m.entry(r.operation.clone()).or_insert(0) += 1;
        }
        m
    }

    /// First-to-last span of an operation's answers, in seconds.
    fn span(&self, op: &str) -> Option<f64> {
        let t: Vec<f64> = self
            .requests
            .iter()
            .filter(|r| r.operation == op)
            .filter_map(|r| r.time)
            .collect();
        if t.len() < 2 {
            return None;
        }
        let min = t.iter().copied().fold(f64::INFINITY, f64::min);
        let max = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(max - min)
    }

    fn to_json(&self, n: usize, label: &str) -> Value {
        let cpu = self.provider_cpu_s();
        json!({
            "label": label,
            "n": n,
            "wall_s": self.wall_s,
            "exit": self.exit,
            "terraform_cpu_s": self.terraform_cpu_s,
            "emulator_cpu_s": self.emulator_cpu_s,
            "backend_connections": self.connections,
            "provider_cpu_s": cpu,
            "provider_cpu_ms_per_resource": cpu * 1e3 / n as f64,
            "provider_maxrss_kib": self.provider_maxrss_kib(),
            "provider_processes": self.providers,
            "api_calls": self.calls(),
            "api_calls_total": self.requests.len(),
            "describe_cluster_span_s": self.span("DescribeCluster"),
            "request_times": self.requests.iter().map(|r| json!([r.operation, r.time])).collect::<Vec<_>>(),
        })
    }
}

fn children_cpu() -> f64 {
    getrusage(UsageWho::RUSAGE_CHILDREN)
        .map(|u| {
            let (a, b) = secs(&u);
            a + b
        })
        .unwrap_or(0.0)
}

/// CPU seconds (user + system) a running process has used so far, from
/// `/proc/PID/stat` (clock ticks, assumed 100 per second).
fn process_cpu_s(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn read_rusage_dir(dir: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|s| serde_json::from_str(&s).ok())
        .collect()
}

fn measure(
    tf: &Terraform,
    dir: &Path,
    args: &[&str],
    rusage_dir: &Path,
    backend: Option<&Backend>,
) -> Res<Measured> {
    if let Some(b) = backend {
        b.clear_requests()?;
    }
    let _ = std::fs::remove_dir_all(rusage_dir);
    std::fs::create_dir_all(rusage_dir).map_err(err("rusage dir"))?;
    let out = dir.join(".bench-out");
    std::fs::create_dir_all(&out).map_err(err("out dir"))?;
    let (so, se) = (out.join("stdout"), out.join("stderr"));
    let mut cmd = tf.command(dir, args);
    cmd.stdout(std::fs::File::create(&so).map_err(err("stdout file"))?)
        .stderr(std::fs::File::create(&se).map_err(err("stderr file"))?)
        .stdin(Stdio::null());
    let cpu0 = children_cpu();
    let em0 = backend.and_then(Backend::cpu_s);
    let conn0 = backend.and_then(Backend::connections);
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(err("starting terraform"))?;
    let status = loop {
        if let Some(s) = child.try_wait().map_err(err("waiting for terraform"))? {
            break s;
        }
        if start.elapsed() > COMMAND_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "terraform {args:?} timed out after {COMMAND_TIMEOUT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall_s = start.elapsed().as_secs_f64();
    let terraform_cpu_s = children_cpu() - cpu0;
    let emulator_cpu_s = match (em0, backend.and_then(Backend::cpu_s)) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let connections = match (conn0, backend.and_then(Backend::connections)) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    // A wrapper writes its record right after its provider exits, which can
    // be a moment after Terraform has returned.
    std::thread::sleep(Duration::from_millis(300));
    let providers = read_rusage_dir(rusage_dir);
    let requests = match backend {
        Some(b) => b.requests()?,
        None => Vec::new(),
    };
    Ok(Measured {
        wall_s,
        exit: status.code(),
        terraform_cpu_s,
        emulator_cpu_s,
        connections,
        providers,
        requests,
        stdout: std::fs::read_to_string(&so).unwrap_or_default(),
        stderr: std::fs::read_to_string(&se).unwrap_or_default(),
    })
}

fn expect_exit(m: &Measured, codes: &[i32], what: &str) -> Res<()> {
    if m.exit.is_some_and(|c| codes.contains(&c)) {
        return Ok(());
    }
    let tail = |s: &str| {
        let l: Vec<&str> = s.lines().collect();
        l[l.len().saturating_sub(40)..].join("\n")
    };
    Err(format!(
        "{what} exited {:?} (expected {codes:?})\n--- stderr ---\n{}\n--- stdout ---\n{}",
        m.exit,
        tail(&m.stderr),
        tail(&m.stdout)
    ))
}

// ---- scenarios ------------------------------------------------------------------

struct Opts {
    out: PathBuf,
    provider: PathBuf,
    terraform: Option<PathBuf>,
    sizes: Vec<usize>,
    plans: usize,
    plans_large: usize,
    large: usize,
    parallelism_at: usize,
    /// `(name, source, binary, shaped)`: `shaped` peers serve
    /// `<type>_encryption_config` with `eks_encryption_config`'s schema and
    /// no behaviour (`support/shaped_peer.rs`) instead of `null_resource`.
    peers: Vec<(String, String, PathBuf, bool)>,
    /// Which back ends the eks runs use, in order.
    backends: Vec<String>,
    /// N at which one stand-in plan runs under callgrind.
    callgrind_at: Option<usize>,
    valgrind: PathBuf,
    /// Copy the callgrind output files into `--out` (for callgrind_annotate).
    keep_callgrind: bool,
    /// At the largest N, also run each peer with `triggers` computed by the
    /// eks configuration's expressions.
    peer_expressions: bool,
}

fn eks_config(url: &str, n: usize) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    eks = {{
      source = "cmkguard/eks"
    }}
  }}
}}

provider "eks" {{
  region = "us-east-1"
  endpoints {{
    eks = "{url}"
    kms = "{url}"
    sts = "{url}"
  }}
}}

resource "eks_encryption_config" "bench" {{
  count        = {n}
  cluster_name = format("bench-%04d", count.index)
  key_arn      = count.index % 2 == 0 ? "alias/bench-a" : "alias/bench-b"
}}
"#
    )
}

/// The peers' configuration. With `expressions`, each `null_resource` also
/// gets `triggers` computed by the same two expressions the eks
/// configuration evaluates per instance (`format(...)` and a conditional),
/// which separates Terraform's cost of evaluating them from its cost of
/// handling our resource's larger schema and state.
fn null_config(source: &str, n: usize, expressions: bool) -> String {
    let triggers = if expressions {
        r#"
  triggers = {
    cluster_name = format("bench-%04d", count.index)
    key_arn      = count.index % 2 == 0 ? "alias/bench-a" : "alias/bench-b"
  }"#
    } else {
        ""
    };
    format!(
        r#"terraform {{
  required_providers {{
    null = {{
      source = "{source}"
    }}
  }}
}}

resource "null_resource" "bench" {{
  count = {n}{triggers}
}}
"#
    )
}

/// A shaped peer's configuration: the eks configuration's resource block,
/// the same attributes from the same expressions, on the peer's
/// `<TYPE>_encryption_config`, without a provider block.
fn shaped_config(source: &str, type_name: &str, n: usize) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    {type_name} = {{
      source = "{source}"
    }}
  }}
}}

resource "{type_name}_encryption_config" "bench" {{
  count        = {n}
  cluster_name = format("bench-%04d", count.index)
  key_arn      = count.index % 2 == 0 ? "alias/bench-a" : "alias/bench-b"
}}
"#
    )
}

fn cli_config(source: &str, dir: &Path) -> String {
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{source}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        dir.display()
    )
}

fn note(msg: &str) {
    eprintln!("plan_scale: {msg}");
}

fn summarize(label: &str, n: usize, m: &Measured) {
    let calls: Vec<String> = m.calls().iter().map(|(k, v)| format!("{k}={v}")).collect();
    note(&format!(
        "  {label:<16} N={n:<4} wall {:>7.2} s  provider CPU {:>7.1} ms ({:.3} ms/resource)  RSS {:>6} KiB  {} process(es)  calls: {}",
        m.wall_s,
        m.provider_cpu_s() * 1e3,
        m.provider_cpu_s() * 1e3 / n as f64,
        m.provider_maxrss_kib(),
        m.providers.len(),
        if calls.is_empty() { "-".to_owned() } else { calls.join(" ") }
    ));
}

/// Starts and seeds a back end with N clusters and the two keys.
fn start_backend(kind: &str, n: usize) -> Res<Backend> {
    match kind {
        "standin" => Ok(Backend::StandIn(
            StandIn::start(n).map_err(err("starting the stand-in"))?,
        )),
        "emulator" => {
            let emulator = Emulator::start_with(&EmulatorOptions {
                update_duration_seconds: 0.0,
                ..EmulatorOptions::default()
            })
            .map_err(err("starting the emulator"))?;
            for alias in ["alias/bench-a", "alias/bench-b"] {
                emulator
                    .create_key(&KeySpec::symmetric().alias(alias))
                    .map_err(err("creating a key"))?;
            }
            for i in 0..n {
                emulator
                    .create_cluster(&ClusterSpec::new(&format!("bench-{i:04}")))
                    .map_err(err("creating a cluster"))?;
            }
            Ok(Backend::Emulator(emulator))
        }
        other => Err(format!("unknown back end {other:?} (emulator or standin)")),
    }
}

/// One N for this provider against one back end: seed, apply, plans.
fn run_eks(opts: &Opts, core: &Core, n: usize, scratch: &Path, kind: &str) -> Res<Value> {
    let backend = start_backend(kind, n)?;
    let tag = format!("eks-{kind}-{n}");
    let rusage_dir = scratch.join(format!("rusage-{tag}"));
    let wrapper_dir = scratch.join(format!("wrapper-{tag}"));
    let wrapper = write_wrapper(
        &wrapper_dir,
        "terraform-provider-eks",
        &opts.provider,
        &rusage_dir,
    )?;
    let wd = Workdir::new(
        &format!("bench-{tag}"),
        &core.provider_source(),
        Some(&wrapper),
    )
    .map_err(err("workdir"))?;
    let tf = Terraform::new(core, &wd);
    let dir = wd.config_dir();
    wd.write_main(&dir, &eks_config(backend.url(), n))
        .map_err(err("main.tf"))?;
    let label = |s: &str| format!("{kind} {s}");

    let mut runs = Vec::new();
    let apply = measure(
        &tf,
        &dir,
        &["apply", "-auto-approve"],
        &rusage_dir,
        Some(&backend),
    )?;
    expect_exit(&apply, &[0], "apply")?;
    summarize(&label("apply"), n, &apply);
    runs.push(apply.to_json(n, "apply"));

    // The stand-in costs next to nothing, so it gets the full count at every N.
    let count = if n >= opts.large && kind == "emulator" {
        opts.plans_large
    } else {
        opts.plans
    };
    for i in 0..count {
        let m = measure(
            &tf,
            &dir,
            &["plan", "-detailed-exitcode"],
            &rusage_dir,
            Some(&backend),
        )?;
        expect_exit(&m, &[0], "plan (expected no changes)")?;
        summarize(&label(&format!("plan #{}", i + 1)), n, &m);
        runs.push(m.to_json(n, "plan"));
    }
    if n == opts.parallelism_at {
        let m = measure(
            &tf,
            &dir,
            &["plan", "-detailed-exitcode", "-parallelism=1"],
            &rusage_dir,
            Some(&backend),
        )?;
        expect_exit(&m, &[0], "plan -parallelism=1")?;
        summarize(&label("plan p=1"), n, &m);
        runs.push(m.to_json(n, "plan_parallelism_1"));
    }
    if let (Backend::Emulator(emulator), true) = (&backend, n == opts.parallelism_at) {
        // The emulator is one Python process, so its own CPU caps how much
        // overlap the runs above can show. With a fixed latency on every
        // DescribeCluster (a sleep, which overlaps freely), any lock in the
        // provider that serialised resources would show as p=10 being no
        // faster than p=1.
        for (p, label) in [("10", "plan_latency_p10"), ("1", "plan_latency_p1")] {
            emulator
                .add_fault(&Fault {
                    latency_ms: Some(LATENCY_MS),
                    ..Fault::new("DescribeCluster", "latency", n as u32)
                })
                .map_err(err("adding a latency fault"))?;
            let m = measure(
                &tf,
                &dir,
                &["plan", "-detailed-exitcode", &format!("-parallelism={p}")],
                &rusage_dir,
                Some(&backend),
            )?;
            emulator.clear_faults().map_err(err("clearing faults"))?;
            expect_exit(&m, &[0], "plan with latency")?;
            summarize(&format!("emulator plan +{LATENCY_MS}ms p={p}"), n, &m);
            runs.push(m.to_json(n, label));
        }
    }
    let mut callgrind = Value::Null;
    if kind == "standin" && opts.callgrind_at == Some(n) {
        callgrind = callgrind_plan(opts, &tf, &dir, &wrapper_dir, scratch, &backend, n)?;
        // Restore the plain wrapper.
        write_wrapper(
            &wrapper_dir,
            "terraform-provider-eks",
            &opts.provider,
            &rusage_dir,
        )?;
    }
    Ok(json!({"provider": "eks", "backend": kind, "n": n, "runs": runs, "callgrind": callgrind}))
}

/// One refreshed plan with every provider process under callgrind: the
/// provider's instructions per process and in all.
fn callgrind_plan(
    opts: &Opts,
    tf: &Terraform,
    dir: &Path,
    wrapper_dir: &Path,
    scratch: &Path,
    backend: &Backend,
    n: usize,
) -> Res<Value> {
    let cg_dir = scratch.join(format!("callgrind-{n}"));
    let _ = std::fs::remove_dir_all(&cg_dir);
    std::fs::create_dir_all(&cg_dir).map_err(err("callgrind dir"))?;
    let rusage_dir = scratch.join(format!("rusage-callgrind-{n}"));
    let me = std::env::current_exe().map_err(err("current_exe"))?;
    let q = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
    let script = format!(
        "#!/bin/sh\nexec {} --wrap {} {} --tool=callgrind --callgrind-out-file={} --log-file={} {} \"$@\"\n",
        q(&me),
        q(&opts.valgrind),
        q(&rusage_dir),
        q(&cg_dir.join("callgrind.out.%p")),
        q(&cg_dir.join("valgrind.%p.log")),
        q(&opts.provider),
    );
    std::fs::write(wrapper_dir.join("terraform-provider-eks"), script)
        .map_err(err("writing the callgrind wrapper"))?;
    let m = measure(
        tf,
        dir,
        &["plan", "-detailed-exitcode"],
        &rusage_dir,
        Some(backend),
    )?;
    expect_exit(&m, &[0], "plan under callgrind (expected no changes)")?;
    let mut processes = Vec::new();
    for entry in std::fs::read_dir(&cg_dir).map_err(err("reading the callgrind dir"))? {
        let path = entry.map_err(err("callgrind dir entry"))?.path();
        let name = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        if !name.starts_with("callgrind.out.") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(err("reading a callgrind file"))?;
        if opts.keep_callgrind {
            let keep = opts.out.join("callgrind");
            std::fs::create_dir_all(&keep).map_err(err("creating the callgrind copy dir"))?;
            std::fs::copy(&path, keep.join(name)).map_err(err("copying a callgrind file"))?;
        }
        let ir = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("summary:")
                    .or_else(|| l.strip_prefix("totals:"))
            })
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok());
        processes.push(json!({"file": name, "ir": ir}));
    }
    let total: u64 = processes.iter().filter_map(|p| p["ir"].as_u64()).sum();
    if processes.is_empty() || total == 0 {
        return Err(format!(
            "callgrind wrote no counts into {} (is valgrind installed? --valgrind {})",
            cg_dir.display(),
            opts.valgrind.display()
        ));
    }
    note(&format!(
        "  standin plan under callgrind N={n}: {} provider process(es), {total} instructions ({:.0} per resource), wall {:.1} s, calls: {:?}",
        processes.len(),
        total as f64 / n as f64,
        m.wall_s,
        m.calls()
    ));
    Ok(json!({
        "n": n,
        "processes": processes,
        "ir_total": total,
        "ir_per_resource": total as f64 / n as f64,
        "api_calls": m.calls(),
        "wall_s": m.wall_s,
    }))
}

/// One N for a null peer: apply, plans.
fn run_peer(
    opts: &Opts,
    core: &Core,
    n: usize,
    scratch: &Path,
    (name, source, bin, shaped): &(String, String, PathBuf, bool),
    expressions: bool,
) -> Res<Value> {
    let name = &if expressions {
        format!("{name}+expressions")
    } else {
        name.clone()
    };
    let rusage_dir = scratch.join(format!("rusage-{name}-{n}"));
    let wd = Workdir::new(&format!("bench-{name}-{n}"), source, None).map_err(err("workdir"))?;
    // dev_overrides looks for terraform-provider-<TYPE>, TYPE being the
    // source address's last part.
    let type_name = source.rsplit('/').next().unwrap_or("null");
    write_wrapper(
        &wd.plugin_dir(),
        &format!("terraform-provider-{type_name}"),
        bin,
        &rusage_dir,
    )?;
    std::fs::write(wd.cli_config(), cli_config(source, &wd.plugin_dir()))
        .map_err(err("cli config"))?;
    let tf = Terraform::new(core, &wd);
    let dir = wd.config_dir();
    let main_tf = if *shaped {
        shaped_config(source, type_name, n)
    } else {
        null_config(source, n, expressions)
    };
    wd.write_main(&dir, &main_tf).map_err(err("main.tf"))?;
    let mut runs = Vec::new();
    let apply = measure(&tf, &dir, &["apply", "-auto-approve"], &rusage_dir, None)?;
    expect_exit(&apply, &[0], "peer apply")?;
    summarize(&format!("{name} apply"), n, &apply);
    runs.push(apply.to_json(n, "apply"));
    let count = if n >= opts.large {
        opts.plans_large
    } else {
        opts.plans
    };
    for i in 0..count {
        let m = measure(
            &tf,
            &dir,
            &["plan", "-detailed-exitcode"],
            &rusage_dir,
            None,
        )?;
        expect_exit(&m, &[0], "peer plan (expected no changes)")?;
        summarize(&format!("{name} plan #{}", i + 1), n, &m);
        runs.push(m.to_json(n, "plan"));
    }
    Ok(json!({"provider": name, "source": source, "n": n, "runs": runs}))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Res<Option<Opts>> {
    let mut o = Opts {
        out: PathBuf::new(),
        provider: PathBuf::new(),
        terraform: None,
        sizes: vec![1, 10, 100, 500],
        plans: 3,
        plans_large: 2,
        large: 500,
        parallelism_at: 100,
        peers: Vec::new(),
        backends: vec!["emulator".into(), "standin".into()],
        callgrind_at: None,
        valgrind: PathBuf::from("valgrind"),
        keep_callgrind: false,
        peer_expressions: false,
    };
    let (mut out, mut provider) = (None, None);
    let num = |v: Option<String>, f: &str| -> Res<usize> {
        v.ok_or(format!("{f} needs a value"))?
            .parse()
            .map_err(|e| format!("{f}: {e}"))
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "--out" => out = args.next().map(PathBuf::from),
            "--provider" => provider = args.next().map(PathBuf::from),
            "--terraform" => o.terraform = args.next().map(PathBuf::from),
            "--plans" => o.plans = num(args.next(), "--plans")?,
            "--plans-large" => o.plans_large = num(args.next(), "--plans-large")?,
            "--large" => o.large = num(args.next(), "--large")?,
            "--parallelism-at" => o.parallelism_at = num(args.next(), "--parallelism-at")?,
            "--callgrind-at" => o.callgrind_at = Some(num(args.next(), "--callgrind-at")?),
            "--keep-callgrind" => o.keep_callgrind = true,
            "--peer-expressions" => o.peer_expressions = true,
            "--valgrind" => {
                o.valgrind = PathBuf::from(args.next().ok_or("--valgrind needs a path")?)
            }
            "--backends" => {
                o.backends = args
                    .next()
                    .ok_or("--backends needs a value")?
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                if let Some(b) = o
                    .backends
                    .iter()
                    .find(|b| *b != "emulator" && *b != "standin")
                {
                    return Err(format!("--backends: unknown back end {b:?}"));
                }
            }
            "--sizes" => {
                o.sizes = args
                    .next()
                    .ok_or("--sizes needs a value")?
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|e| format!("--sizes: {e}")))
                    .collect::<Res<_>>()?
            }
            flag @ ("--peer" | "--shaped-peer") => {
                let spec = args.next().ok_or(format!("{flag} needs NAME=SOURCE=BIN"))?;
                let mut it = spec.splitn(3, '=');
                match (it.next(), it.next(), it.next()) {
                    (Some(n), Some(s), Some(b)) => o.peers.push((
                        n.to_owned(),
                        s.to_owned(),
                        PathBuf::from(b),
                        flag == "--shaped-peer",
                    )),
                    _ => return Err(format!("{flag} {spec}: expected NAME=SOURCE=BIN")),
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    match (out, provider) {
        (Some(out), Some(provider)) => {
            o.out = out;
            o.provider = provider;
            Ok(Some(o))
        }
        _ => Ok(None),
    }
}

fn core(opts: &Opts) -> Res<Core> {
    let path = match &opts.terraform {
        Some(p) => p.clone(),
        None => cores::find_on_path("terraform", std::env::var_os("PATH"))
            .ok_or("no terraform on PATH")?,
    };
    let (kind, version) = cores::core_version(&path).map_err(err("terraform version"))?;
    Ok(Core {
        path,
        kind,
        version,
    })
}

fn run(opts: &Opts) -> Res<()> {
    std::fs::create_dir_all(&opts.out).map_err(err("out dir"))?;
    let core = core(opts)?;
    note(&format!(
        "Terraform {} ({}), sizes {:?}",
        core.version,
        core.path.display(),
        opts.sizes
    ));
    let scratch = tempfile::Builder::new()
        .prefix("tf-eks-bench-plan-")
        .tempdir()
        .map_err(err("scratch dir"))?;
    let mut results = Vec::new();
    for &n in &opts.sizes {
        for kind in &opts.backends {
            note(&format!("eks_encryption_config x {n}, {kind}"));
            results.push(run_eks(opts, &core, n, scratch.path(), kind)?);
        }
        for peer in &opts.peers {
            let what = if peer.3 {
                "eks_encryption_config-shaped resource"
            } else {
                "null_resource"
            };
            note(&format!("{} {what} x {n}", peer.0));
            results.push(run_peer(opts, &core, n, scratch.path(), peer, false)?);
            if opts.peer_expressions && !peer.3 && n >= opts.large {
                note(&format!(
                    "{} null_resource x {n}, with the eks expressions",
                    peer.0
                ));
                results.push(run_peer(opts, &core, n, scratch.path(), peer, true)?);
            }
        }
    }
    let report = json!({
        "terraform": {"version": core.version.to_string(), "path": core.path},
        "sizes": opts.sizes,
        "plans": opts.plans,
        "plans_large": opts.plans_large,
        "parallelism_at": opts.parallelism_at,
        "backends": opts.backends,
        "callgrind_at": opts.callgrind_at,
        "results": results,
    });
    let mut csv = String::from(
        "provider,backend,n,label,wall_s,provider_cpu_ms,provider_cpu_ms_per_resource,provider_maxrss_kib,terraform_cpu_s,describe_cluster,describe_key,api_calls_total\n",
    );
    for r in &results {
        for run in r["runs"].as_array().into_iter().flatten() {
            csv.push_str(&format!(
                "{},{},{},{},{:.4},{:.2},{:.4},{},{:.3},{},{},{}\n",
                r["provider"].as_str().unwrap_or(""),
                r["backend"].as_str().unwrap_or(""),
                run["n"],
                run["label"].as_str().unwrap_or(""),
                run["wall_s"].as_f64().unwrap_or(0.0),
                run["provider_cpu_s"].as_f64().unwrap_or(0.0) * 1e3,
                run["provider_cpu_ms_per_resource"].as_f64().unwrap_or(0.0),
                run["provider_maxrss_kib"],
                run["terraform_cpu_s"].as_f64().unwrap_or(0.0),
                run["api_calls"]["DescribeCluster"].as_u64().unwrap_or(0),
                run["api_calls"]["DescribeKey"].as_u64().unwrap_or(0),
                run["api_calls_total"],
            ));
        }
    }
    let path = opts.out.join("plan_scale.json");
    std::fs::write(&path, serde_json::to_string(&report).map_err(err("json"))?)
        .map_err(err("writing plan_scale.json"))?;
    std::fs::write(opts.out.join("plan_scale.csv"), csv).map_err(err("writing csv"))?;
    note(&format!("wrote {}", path.display()));
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--wrap") {
        let (Some(real), Some(dir)) = (args.next(), args.next()) else {
            eprintln!("plan_scale --wrap REAL DIR ARGS...");
            return ExitCode::from(2);
        };
        return wrap(&real, &dir, args.collect());
    }
    if first.as_deref() == Some("--standin-serve") {
        let n = args.next().and_then(|v| v.parse().ok()).unwrap_or(500);
        return match StandIn::start(n) {
            Ok(s) => {
                println!("{}", s.url());
                eprintln!(
                    "plan_scale: stand-in for {n} clusters at {}; Ctrl-C ends it",
                    s.url()
                );
                loop {
                    std::thread::sleep(Duration::from_secs(3600));
                }
            }
            Err(e) => {
                eprintln!("plan_scale: starting the stand-in: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match parse_args(first.into_iter().chain(args)) {
        Ok(Some(opts)) => match run(&opts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("plan_scale: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(None) => {
            eprintln!("plan_scale: nothing to do without --out and --provider; run scripts/bench");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("plan_scale: {e}");
            ExitCode::from(2)
        }
    }
}
