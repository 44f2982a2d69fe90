//! Listing a fleet (issue 19): the `eks_encryption_config` list resource's
//! ListResource over N clusters (default 500), with and without
//! `include_resource_object`, side by side with the `eks_encryption_configs`
//! data source's ReadDataSource over the same clusters: wall time and AWS
//! calls by operation, against the goal's bound of ListClusters pages plus
//! one DescribeCluster per object requested.
//!
//! Not a Criterion benchmark and not a test: `scripts/bench` builds it with
//! `cargo build --release -p acceptance-tests --bench list_scale` and runs:
//!
//! ```text
//! list_scale --out DIR --provider BIN [--clusters 500] [--runs 3]
//!            [--query-core PATH]
//! ```
//!
//! Each run starts a fresh emulator-backed provider process the way
//! Terraform does (go-plugin handshake; `TF_DISABLE_PLUGIN_TLS=1`, so no
//! client certificate is needed: one connection per process, so TLS would
//! add its handshake once, outside the timed call), calls
//! GetProviderSchema and ConfigureProvider, clears the emulator's request
//! log, then times one RPC to its last byte: ListResource (`limit` 1000,
//! every event read from the stream) or ReadDataSource. A fresh process per
//! run means per-process caches (the account from STS) start empty, as in
//! every `terraform query`.
//!
//! With `--query-core PATH` (a Terraform >= 1.14), the same clusters are
//! also listed end to end with `terraform query` (with and without
//! `include_resource`, and with `-generate-config-out`), and the data
//! source read with `terraform plan`, through `dev_overrides`.
//!
//! The emulator holds N clusters: a quarter with CMK `alias/bench-a`, a
//! quarter with `alias/bench-b`, half without a CMK; ListClusters answers
//! 100 names a page (AWS's default and maximum). Writes `DIR/list_scale.json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use acceptance_tests::cores::{self, Core};
use acceptance_tests::emulator::{Emulator, RequestRecord};
use acceptance_tests::plugin_client::proto::tfplugin6;
use acceptance_tests::plugin_client::{
    block_value, decode, encode, object_value, provider_client, schema_type, Plugin,
};
use acceptance_tests::terraform::Terraform;
use acceptance_tests::workdir::{Workdir, PROVIDER_SOURCE};
use acceptance_tests::KeySpec;
use serde_json::{json, Value as Json};
use terraform_provider_eks::tfprotov6::{Type, Value};
use tfplugin6::provider_client::ProviderClient;
use tonic::transport::Channel;

type Res<T> = Result<T, String>;

const REGION: &str = "us-east-1";
/// ListClusters' page size when the request sets no `maxResults`.
const PAGE_SIZE: usize = 100;
/// The list block's `limit`: above N, so every cluster is listed.
const LIMIT: i64 = 1000;
/// The list resource.
const LIST: &str = "eks_encryption_config";
/// The data source over the same clusters.
const DATA: &str = "eks_encryption_configs";

fn err<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

struct Args {
    out: PathBuf,
    provider: PathBuf,
    clusters: usize,
    runs: usize,
    query_core: Option<PathBuf>,
}

fn parse_args() -> Res<Args> {
    let mut out = None;
    let mut provider = None;
    let mut clusters = 500;
    let mut runs = 3;
    let mut query_core = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(val()?)),
            "--provider" => provider = Some(PathBuf::from(val()?)),
            "--clusters" => clusters = val()?.parse().map_err(err("--clusters"))?,
            "--runs" => runs = val()?.parse().map_err(err("--runs"))?,
            "--query-core" => query_core = Some(PathBuf::from(val()?)),
            // cargo bench passes --bench.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        out: out.ok_or("--out is required")?,
        provider: provider.ok_or("--provider is required")?,
        clusters,
        runs: runs.max(1),
        query_core,
    })
}

// ---- the provider process ---------------------------------------------------------

/// A configured provider process and the value types of the schemas the
/// timed RPCs use (from its GetProviderSchema).
struct Session {
    /// Kept alive: killed on drop.
    _plugin: Plugin,
    client: ProviderClient<Channel>,
    list_ty: Type,
    data_ty: Type,
}

fn errors(diags: &[tfplugin6::Diagnostic]) -> Option<String> {
    let errs: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == tfplugin6::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    (!errs.is_empty()).then(|| errs.join("; "))
}

/// Starts the provider as go-plugin does (plaintext, protocol 6), dials
/// its socket, then GetProviderSchema and ConfigureProvider, as the core
/// does first.
async fn start_provider(bin: &Path, aws_config_stub: &Path, url: &str) -> Res<Session> {
    let stub = aws_config_stub.to_string_lossy();
    let plugin = Plugin::spawn(
        bin,
        None,
        &[
            ("PLUGIN_PROTOCOL_VERSIONS", "6"),
            ("TF_DISABLE_PLUGIN_TLS", "1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", &stub),
            ("AWS_SHARED_CREDENTIALS_FILE", &stub),
            ("NO_PROXY", "127.0.0.1,localhost"),
        ],
    )
    .map_err(err("starting the provider"))?;
    let mut client = provider_client(plugin.dial(None).await.map_err(err("dialling"))?);
    let schema = client
        .get_provider_schema(tfplugin6::get_provider_schema::Request {})
        .await
        .map_err(err("GetProviderSchema"))?
        .into_inner();
    let wire = |s: Option<&tfplugin6::Schema>, what: &str| -> Res<Type> {
        schema_type(s.ok_or(format!("no schema for {what}"))?).map_err(err(what))
    };
    let provider_ty = wire(schema.provider.as_ref(), "the provider")?;
    let list_ty = wire(schema.list_resource_schemas.get(LIST), LIST)?;
    let data_ty = wire(schema.data_source_schemas.get(DATA), DATA)?;
    let Type::Object { attributes, .. } = &provider_ty else {
        return Err(format!("the provider's type is {provider_ty:?}"));
    };
    let endpoints_ty = attributes
        .get("endpoints")
        .ok_or("the provider has no endpoints block")?;
    let url = Value::string(url);
    let endpoints = block_value(
        endpoints_ty,
        &[("eks", url.clone()), ("kms", url.clone()), ("sts", url)],
    )
    .map_err(err("endpoints"))?;
    let config = object_value(
        &provider_ty,
        &[("region", Value::string(REGION)), ("endpoints", endpoints)],
    )
    .map_err(err("the provider's configuration"))?;
    let r = client
        .configure_provider(tfplugin6::configure_provider::Request {
            terraform_version: "1.15.0".into(),
            config: Some(encode(&config, &provider_ty).map_err(err("encoding"))?),
            client_capabilities: None,
        })
        .await
        .map_err(err("ConfigureProvider"))?
        .into_inner();
    if let Some(e) = errors(&r.diagnostics) {
        return Err(format!("ConfigureProvider: {e}"));
    }
    Ok(Session {
        _plugin: plugin,
        client,
        list_ty,
        data_ty,
    })
}

/// A configuration of type `ty` that sets nothing (`name_prefix` null).
fn empty_config(ty: &Type) -> Res<Option<tfplugin6::DynamicValue>> {
    let v = object_value(ty, &[]).map_err(err("configuration"))?;
    Ok(Some(encode(&v, ty).map_err(err("configuration"))?))
}

/// What one timed RPC returned.
struct Outcome {
    wall_s: f64,
    results: usize,
    objects: usize,
}

async fn list(s: &mut Session, include: bool) -> Res<Outcome> {
    let config = empty_config(&s.list_ty)?;
    let started = Instant::now();
    let mut stream = s
        .client
        .list_resource(tfplugin6::list_resource::Request {
            type_name: LIST.into(),
            config,
            include_resource_object: include,
            limit: LIMIT,
        })
        .await
        .map_err(err("ListResource"))?
        .into_inner();
    let (mut results, mut objects) = (0, 0);
    while let Some(ev) = stream.message().await.map_err(err("ListResource stream"))? {
        if let Some(e) = errors(&ev.diagnostic) {
            return Err(format!("ListResource: {e}"));
        }
        results += 1;
        if ev.resource_object.is_some_and(|o| !o.msgpack.is_empty()) {
            objects += 1;
        }
    }
    Ok(Outcome {
        wall_s: started.elapsed().as_secs_f64(),
        results,
        objects,
    })
}

async fn read_data_source(s: &mut Session) -> Res<Outcome> {
    let config = empty_config(&s.data_ty)?;
    let started = Instant::now();
    let r = s
        .client
        .read_data_source(tfplugin6::read_data_source::Request {
            type_name: DATA.into(),
            config,
            provider_meta: None,
            client_capabilities: None,
        })
        .await
        .map_err(err("ReadDataSource"))?
        .into_inner();
    let wall_s = started.elapsed().as_secs_f64();
    if let Some(e) = errors(&r.diagnostics) {
        return Err(format!("ReadDataSource: {e}"));
    }
    let state = r.state.ok_or("ReadDataSource returned no state")?;
    let value = decode(&state, &s.data_ty).map_err(err("decoding the data source's state"))?;
    let n = value
        .get_attr("clusters")
        .and_then(|c| c.as_elements())
        .map(|l| l.len())
        .ok_or("the data source's state has no clusters list")?;
    Ok(Outcome {
        wall_s,
        results: n,
        objects: n,
    })
}

// ---- measuring --------------------------------------------------------------------

fn calls(reqs: &[RequestRecord]) -> Json {
    let mut by = serde_json::Map::new();
    for r in reqs {
        let e = by.entry(r.operation.clone()).or_insert(json!(0));
        *e = json!(e.as_u64().unwrap_or(0) + 1);
    }
    Json::Object(by)
}

fn record(
    variant: &str,
    o: &Outcome,
    reqs: &[RequestRecord],
    n: usize,
    objects_requested: bool,
) -> Json {
    let pages = n.div_ceil(PAGE_SIZE);
    json!({
        "variant": variant,
        "wall_s": o.wall_s,
        "results": o.results,
        "objects": o.objects,
        "api_calls": calls(reqs),
        "total_calls": reqs.len(),
        "pages": pages,
        "bound": pages + if objects_requested { o.objects } else { 0 },
    })
}

async fn grpc_runs(args: &Args, emu: &Emulator, stub: &Path) -> Res<Vec<Json>> {
    let mut out = vec![];
    let variants: [(&str, Option<bool>); 3] = [
        ("ListResource, include_resource_object = false", Some(false)),
        ("ListResource, include_resource_object = true", Some(true)),
        ("eks_encryption_configs data source (ReadDataSource)", None),
    ];
    for run in 0..args.runs {
        for (name, include) in variants {
            let mut s = start_provider(&args.provider, stub, emu.url()).await?;
            emu.clear_requests()
                .map_err(err("clearing the request log"))?;
            let o = match include {
                Some(i) => list(&mut s, i).await?,
                None => read_data_source(&mut s).await?,
            };
            let reqs = emu.requests().map_err(err("reading the request log"))?;
            drop(s);
            if o.results != args.clusters {
                return Err(format!(
                    "{name}: {} results for {} clusters",
                    o.results, args.clusters
                ));
            }
            eprintln!(
                "list_scale: run {} {name}: {:.3} s, {} AWS calls",
                run + 1,
                o.wall_s,
                reqs.len()
            );
            let mut rec = record(name, &o, &reqs, args.clusters, include != Some(false));
            rec["run"] = json!(run + 1);
            rec["via"] = json!("grpc");
            out.push(rec);
        }
    }
    Ok(out)
}

const MAIN_TF: &str = r#"terraform {
  required_providers {
    eks = {
      source = "cmkguard/eks"
    }
  }
}

provider "eks" {
  region = "us-east-1"
  endpoints {
    eks = "URL"
    kms = "URL"
    sts = "URL"
  }
}
"#;

/// `terraform query` and a plan reading the data source, end to end.
fn query_runs(args: &Args, core_path: &Path, emu: &Emulator) -> Res<(String, Vec<Json>)> {
    let (kind, version) = cores::core_version(core_path).map_err(err("core version"))?;
    let core = Core {
        path: core_path.to_path_buf(),
        kind,
        version,
    };
    let wd = Workdir::new("bench-list", PROVIDER_SOURCE, Some(&args.provider))
        .map_err(err("workdir"))?;
    let tf = Terraform::new(&core, &wd);
    let main = MAIN_TF.replace("URL", emu.url());
    let list_block = |include: bool| {
        format!(
            "list \"eks_encryption_config\" \"all\" {{\n  provider         = eks\n  limit            = {LIMIT}\n  include_resource = {include}\n}}\n"
        )
    };
    let variants: [(&str, &str); 4] = [
        ("terraform query, include_resource = false", "false"),
        ("terraform query, include_resource = true", "true"),
        ("terraform query -generate-config-out", "generate"),
        (
            "terraform plan reading the eks_encryption_configs data source",
            "data",
        ),
    ];
    let mut out = vec![];
    for run in 0..args.runs {
        for (name, mode) in variants {
            let dir = wd.new_config_dir("q").map_err(err("config dir"))?;
            wd.write_main(&dir, &main).map_err(err("main.tf"))?;
            let mut cmd: Vec<&str> = vec!["query"];
            match mode {
                "data" => {
                    std::fs::write(
                        dir.join("data.tf"),
                        "data \"eks_encryption_configs\" \"all\" {}\n\noutput \"n\" {\n  value = length(data.eks_encryption_configs.all.clusters)\n}\n",
                    )
                    .map_err(err("data.tf"))?;
                    cmd = vec!["plan"];
                }
                m => {
                    std::fs::write(dir.join("fleet.tfquery.hcl"), list_block(m != "false"))
                        .map_err(err("tfquery"))?;
                    if m == "generate" {
                        cmd.push("-generate-config-out=generated.tf");
                    }
                }
            }
            emu.clear_requests()
                .map_err(err("clearing the request log"))?;
            let started = Instant::now();
            let o = tf.run(&dir, &cmd).map_err(err("terraform"))?;
            let wall_s = started.elapsed().as_secs_f64();
            let reqs = emu.requests().map_err(err("reading the request log"))?;
            if !o.success() {
                return Err(format!("{name} failed:\n{}", o.combined()));
            }
            let (results, objects) = match mode {
                "data" => {
                    let n = o
                        .stdout
                        .lines()
                        .find_map(|l| l.trim().strip_prefix("+ n = "))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    (n, n)
                }
                "generate" => {
                    let text = std::fs::read_to_string(dir.join("generated.tf"))
                        .map_err(err("reading generated.tf"))?;
                    let n = text.matches("resource \"eks_encryption_config\"").count();
                    (n, n)
                }
                m => {
                    let n = o.stdout.lines().filter(|l| l.starts_with("list.")).count();
                    (n, if m == "true" { n } else { 0 })
                }
            };
            eprintln!(
                "list_scale: run {} {name}: {wall_s:.3} s, {} AWS calls, {results} results",
                run + 1,
                reqs.len()
            );
            let outcome = Outcome {
                wall_s,
                results,
                objects,
            };
            let mut rec = record(name, &outcome, &reqs, args.clusters, mode != "false");
            rec["run"] = json!(run + 1);
            rec["via"] = json!("terraform");
            out.push(rec);
        }
    }
    Ok((core.label(), out))
}

async fn run(args: Args) -> Res<()> {
    std::fs::create_dir_all(&args.out).map_err(err("creating --out"))?;
    let emu = Emulator::start().map_err(err("starting the emulator"))?;
    let mut keys = vec![];
    for alias in ["alias/bench-a", "alias/bench-b"] {
        let mut spec = KeySpec::symmetric();
        spec.alias = Some(alias.into());
        keys.push(
            emu.create_key(&spec)
                .map_err(err("creating a key"))?
                .key_arn,
        );
    }
    let quarter = args.clusters / 4;
    let setup = Instant::now();
    emu.create_clusters("bench-a-", quarter, Some(&keys[0]), REGION)
        .map_err(err("creating clusters"))?;
    emu.create_clusters("bench-b-", quarter, Some(&keys[1]), REGION)
        .map_err(err("creating clusters"))?;
    emu.create_clusters("bench-owned-", args.clusters - 2 * quarter, None, REGION)
        .map_err(err("creating clusters"))?;
    eprintln!(
        "list_scale: {} clusters created in {:.2} s",
        args.clusters,
        setup.elapsed().as_secs_f64()
    );
    let stub = args.out.join(".no-aws-config");
    std::fs::write(&stub, "").map_err(err("writing the AWS config stub"))?;
    let mut runs = grpc_runs(&args, &emu, &stub).await?;
    let _ = std::fs::remove_file(&stub);
    let mut query = json!(null);
    match &args.query_core {
        Some(core) => {
            let (label, recs) = query_runs(&args, core, &emu)?;
            runs.extend(recs);
            query = json!({"core": label});
        }
        None => query = json!({"skipped": "no Terraform >= 1.14 given (TF_EKS_BENCH_QUERY_CORE)"}),
    }
    let doc = json!({
        "clusters": args.clusters,
        "cmk_clusters": 2 * quarter,
        "page_size": PAGE_SIZE,
        "limit": LIMIT,
        "runs_per_variant": args.runs,
        "query": query,
        "runs": runs,
    });
    let path = args.out.join("list_scale.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&doc).unwrap_or_default(),
    )
    .map_err(err("writing list_scale.json"))?;
    eprintln!("list_scale: wrote {}", path.display());
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("list_scale: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("list_scale: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("list_scale: {e}");
            ExitCode::FAILURE
        }
    }
}
