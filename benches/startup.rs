//! Start-up benchmark (issue 6, part 1): exec to handshake line, idle peak
//! RSS and binary size, for this provider and its peers, in one run.
//!
//! Not a Criterion benchmark and not a test: `scripts/bench` builds it with
//! `cargo build --release --bench startup` and runs the executable:
//!
//! ```text
//! startup --out DIR [--runs 200] [--warmup 5] [--rss-runs 5] [--idle-ms 2000]
//!         --target NAME=PATH[@PROTOCOL] ... [--floor NAME=PATH ...]
//! ```
//!
//! For every target and both modes (`tls`: `PLUGIN_CLIENT_CERT` holds a
//! P-521 self-signed CA certificate generated like Terraform's; `plain`:
//! `TF_DISABLE_PLUGIN_TLS=1` and no certificate) it launches the binary the
//! way go-plugin does (magic cookie, `PLUGIN_PROTOCOL_VERSIONS`,
//! `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT`) and times from just before `spawn`
//! to the moment the first stdout line has been read. Runs are interleaved
//! across targets and modes so machine noise spreads evenly. It also records
//! the CPU time the process had used when its line arrived (the sum of
//! `/proc/PID/task/*/schedstat`), which is much less sensitive to other load
//! on a shared machine than the wall time.
//!
//! Idle memory: `--rss-runs` processes per target and mode are started, left
//! idle for `--idle-ms` after their handshake, then `VmHWM` (peak RSS),
//! `VmRSS`, `RssAnon`, `RssFile` and `Threads` are read from
//! `/proc/PID/status`.
//!
//! `--probe-tls` (used internally, once per run in a fresh process) times,
//! cold, the first random bytes from aws-lc-rs and ring and the provider's
//! TLS set-up steps, through the library's public API, to explain the TLS-on
//! start-up cost.
//!
//! The floors under the handshake, timed the same way and interleaved: for
//! the target named `eks`, exec to the first line of `BIN --version`
//! (process spawn, loading and relocation, Rust start-up; no runtime, socket
//! or TLS), and each `--floor NAME=PATH`, a program that does nothing
//! (`/bin/true`, a Rust hello-world built like the provider): exec to its
//! first line, or to end of file if it prints none. For these, the whole
//! process's CPU time and minor page faults come from
//! `getrusage(RUSAGE_CHILDREN)` around its `wait`; for the handshakes, the
//! minor page faults by the handshake line from `/proc/PID/stat`.
//!
//! Binary size: the file as built, and a `strip`ped copy (the peers keep
//! symbols; ours is already stripped).
//!
//! Writes `DIR/startup.json` (every sample) and `DIR/startup-samples.csv`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

type Res<T> = Result<T, String>;

#[derive(Clone, Debug)]
struct Target {
    name: String,
    path: PathBuf,
    protocol: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    Tls,
    Plain,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Tls => "tls",
            Mode::Plain => "plain",
        }
    }
}

struct Opts {
    out: PathBuf,
    runs: usize,
    warmup: usize,
    rss_runs: usize,
    idle: Duration,
    probe_runs: usize,
    targets: Vec<Target>,
    /// `--floor NAME=PATH`: programs that do nothing, timed like `--version`.
    floors: Vec<(String, PathBuf)>,
}

fn parse_args() -> Res<Option<Opts>> {
    let mut args = std::env::args().skip(1);
    let mut opts = Opts {
        out: PathBuf::new(),
        runs: 200,
        warmup: 5,
        rss_runs: 5,
        idle: Duration::from_millis(2000),
        probe_runs: 30,
        targets: Vec::new(),
        floors: Vec::new(),
    };
    let mut out = None;
    let num = |v: Option<String>, flag: &str| -> Res<usize> {
        v.ok_or(format!("{flag} needs a value"))?
            .parse()
            .map_err(|e| format!("{flag}: {e}"))
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            // `cargo bench` passes --bench; ignore it.
            "--bench" => {}
            "--probe-tls" => {
                probe_tls();
                std::process::exit(0);
            }
            "--out" => out = args.next().map(PathBuf::from),
            "--runs" => opts.runs = num(args.next(), "--runs")?,
            "--warmup" => opts.warmup = num(args.next(), "--warmup")?,
            "--rss-runs" => opts.rss_runs = num(args.next(), "--rss-runs")?,
            "--probe-runs" => opts.probe_runs = num(args.next(), "--probe-runs")?,
            "--idle-ms" => opts.idle = Duration::from_millis(num(args.next(), "--idle-ms")? as u64),
            "--floor" => {
                let spec = args.next().ok_or("--floor needs NAME=PATH")?;
                let (name, path) = spec
                    .split_once('=')
                    .ok_or(format!("--floor {spec}: expected NAME=PATH"))?;
                opts.floors.push((name.to_owned(), PathBuf::from(path)));
            }
            "--target" => {
                let spec = args.next().ok_or("--target needs NAME=PATH[@PROTOCOL]")?;
                let (name, rest) = spec
                    .split_once('=')
                    .ok_or(format!("--target {spec}: expected NAME=PATH[@PROTOCOL]"))?;
                let (path, protocol) = match rest.rsplit_once('@') {
                    Some((p, v)) => (p, v.parse().map_err(|e| format!("--target {spec}: {e}"))?),
                    None => (rest, 6),
                };
                opts.targets.push(Target {
                    name: name.to_owned(),
                    path: PathBuf::from(path),
                    protocol,
                });
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    match out {
        None => Ok(None),
        Some(o) => {
            opts.out = o;
            if opts.targets.is_empty() {
                return Err("no --target given".into());
            }
            Ok(Some(opts))
        }
    }
}

/// A client certificate like the one Terraform (go-plugin) generates per
/// run: ECDSA P-521, self-signed, a CA, `localhost`, signed with SHA-512.
fn client_cert_pem() -> Res<String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).map_err(|e| e.to_string())?;
    let mut params =
        CertificateParams::new(vec!["localhost".to_owned()]).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(DnType::OrganizationName, "HashiCorp");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::seconds(30);
    params.not_after = now + time::Duration::hours(262_980);
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok(cert.pem())
}

/// The environment go-plugin gives a plugin, and nothing else from ours.
fn command(t: &Target, mode: Mode, cert: &str, scratch: &Path) -> Command {
    let mut cmd = Command::new(&t.path);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        // Sockets left by killed plugins land here, and are removed at the end.
        .env("TMPDIR", scratch)
        .env("PLUGIN_UNIX_SOCKET_DIR", scratch)
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", t.protocol.to_string())
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    match mode {
        Mode::Tls => cmd.env("PLUGIN_CLIENT_CERT", cert),
        Mode::Plain => cmd.env("TF_DISABLE_PLUGIN_TLS", "1"),
    };
    cmd
}

/// Reads first lines on a long-lived thread, so the main thread can time out.
struct LineReader {
    tx: mpsc::Sender<ChildStdout>,
    rx: mpsc::Receiver<(Instant, std::io::Result<String>)>,
}

impl LineReader {
    fn new() -> Self {
        let (tx, jobs) = mpsc::channel::<ChildStdout>();
        let (done, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for stdout in jobs {
                let mut line = String::new();
                let r = BufReader::new(stdout).read_line(&mut line);
                let at = Instant::now();
                if done.send((at, r.map(|_| line))).is_err() {
                    break;
                }
            }
        });
        LineReader { tx, rx }
    }
}

/// Sum of on-CPU nanoseconds of every thread of `pid` (first field of
/// `/proc/PID/task/TID/schedstat`).
fn cpu_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let p = task.ok()?.path().join("schedstat");
        let s = std::fs::read_to_string(p).ok()?;
        total += s.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

struct Started {
    child: Child,
    elapsed: Duration,
    cpu_ns: Option<u64>,
    /// Minor page faults when the line arrived.
    minflt: Option<u64>,
    line: String,
}

fn stderr_tail(path: &Path) -> String {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn start(reader: &LineReader, t: &Target, mode: Mode, cert: &str, scratch: &Path) -> Res<Started> {
    let err_path = scratch.join(format!("{}-{}.stderr", t.name, mode.as_str()));
    let err = File::create(&err_path).map_err(|e| e.to_string())?;
    let mut cmd = command(t, mode, cert, scratch);
    cmd.stderr(err);
    let t0 = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("starting {}: {e}", t.path.display()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    reader.tx.send(stdout).map_err(|e| e.to_string())?;
    let (at, line) = match reader.rx.recv_timeout(HANDSHAKE_TIMEOUT) {
        Ok((at, Ok(line))) => (at, line),
        Ok((_, Err(e))) => return Err(format!("{}: reading stdout: {e}", t.name)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            // The reader thread returns once the pipe closes.
            let _ = reader.rx.recv_timeout(Duration::from_secs(1));
            return Err(format!(
                "{} ({}): no handshake line within {HANDSHAKE_TIMEOUT:?}\n{}",
                t.name,
                mode.as_str(),
                stderr_tail(&err_path)
            ));
        }
    };
    let cpu_ns = cpu_ns(child.id());
    let minflt = minflt(child.id());
    let elapsed = at.duration_since(t0);
    check_line(t, mode, &line).map_err(|e| format!("{e}\n{}", stderr_tail(&err_path)))?;
    Ok(Started {
        child,
        elapsed,
        cpu_ns,
        minflt,
        line,
    })
}

/// `CORE|APP|NETWORK|ADDR|grpc|CERT`: the protocol we asked for, and a
/// certificate exactly when TLS is on.
fn check_line(t: &Target, mode: Mode, line: &str) -> Res<()> {
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    let ok = fields.len() >= 5
        && fields[0] == "1"
        && fields[1] == t.protocol.to_string()
        && fields[4] == "grpc";
    let cert = fields.get(5).is_some_and(|c| !c.is_empty());
    if !ok || cert != (mode == Mode::Tls) {
        return Err(format!(
            "{} ({}): unexpected handshake line {line:?}",
            t.name,
            mode.as_str()
        ));
    }
    Ok(())
}

fn stop(mut s: Started) {
    let _ = s.child.kill();
    let _ = s.child.wait();
}

fn status_kib(pid: u32) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if matches!(
            k,
            "VmHWM" | "VmRSS" | "RssAnon" | "RssFile" | "RssShmem" | "Threads"
        ) {
            if let Some(n) = v.split_whitespace().next().and_then(|n| n.parse().ok()) {
                out.insert(k.to_owned(), n);
            }
        }
    }
    out
}

/// The size of a `strip`ped copy (peers may ship symbols); None without `strip`.
fn stripped_size(path: &Path, copy: &Path) -> Option<u64> {
    let ok = Command::new("strip")
        .arg("-o")
        .arg(copy)
        .arg(path)
        .stderr(Stdio::null())
        .status()
        .ok()?
        .success();
    if !ok {
        return None;
    }
    std::fs::metadata(copy).ok().map(|m| m.len())
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

fn summary(v: &[f64]) -> Value {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    json!({"n": v.len(), "median": median(v), "min": min, "max": max})
}

/// `--probe-tls`: in a fresh process, time the first (seeding) and second
/// draw of random bytes from each crypto library the binary links, and the
/// provider's TLS set-up steps that need no randomness, cold then warm;
/// print one JSON line.
///
/// aws-lc seeds its generator from CPU jitter entropy on the first draw in a
/// process (~30 ms); whoever draws first pays it: TLS key generation at
/// start-up if aws-lc does it, else the AWS SDK's first HTTPS handshake
/// (rustls with aws-lc-rs). ring reads the OS generator every time.
///
/// Key generation is not probed here: a bench build turns on the
/// dev-dependencies' features (rcgen's aws-lc backend, for the tests' P-521
/// certificates), so it would not use the shipped binary's backend. The
/// binary-level handshake times cover it.
fn probe_tls() {
    use terraform_provider_eks::server::tls::{parse_client_cert, ServerIdentity};
    let pem = std::env::var("PROBE_CLIENT_CERT").expect("PROBE_CLIENT_CERT");
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        f();
        us(t.elapsed())
    };
    let aws_lc = || {
        let mut buf = [0u8; 32];
        rustls::crypto::aws_lc_rs::default_provider()
            .secure_random
            .fill(&mut buf)
            .expect("random bytes");
    };
    let ring = || {
        let mut buf = [0u8; 32];
        rustls::crypto::ring::default_provider()
            .secure_random
            .fill(&mut buf)
            .expect("random bytes");
    };
    // First: nothing may have touched aws-lc's generator yet.
    let aws_lc_first = time(&aws_lc);
    let aws_lc_second = time(&aws_lc);
    let ring_first = time(&ring);
    let ring_second = time(&ring);
    let t = Instant::now();
    let client = parse_client_cert(&pem).expect("parses");
    let parse = us(t.elapsed());
    // A server config needs a certificate; any will do for timing the rest.
    let id = ServerIdentity::generate().expect("generates");
    let config_cold = time(&|| {
        id.server_config(client.clone()).expect("configures");
    });
    let config_warm = time(&|| {
        id.server_config(client.clone()).expect("configures");
    });
    let runtime_multi = time(&|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {});
    });
    let runtime_current = time(&|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {});
    });
    println!(
        "{}",
        json!({
            "aws_lc_first_random_us": aws_lc_first,
            "aws_lc_second_random_us": aws_lc_second,
            "ring_first_random_us": ring_first,
            "ring_second_random_us": ring_second,
            "parse_client_cert_us": parse,
            "server_config_cold_us": config_cold,
            "server_config_warm_us": config_warm,
            "tokio_multi_thread_runtime_us": runtime_multi,
            "tokio_current_thread_runtime_us": runtime_current,
        })
    );
}

/// One exec-to-first-line sample: the wall time, and the whole process's
/// CPU time and minor page faults (`getrusage(RUSAGE_CHILDREN)` around its
/// `wait`, so it includes exec and exit; the harness reaps one child at a
/// time, so the difference is this child's alone).
struct LineSample {
    wall_us: f64,
    cpu_us: f64,
    minflt: f64,
}

fn children_usage() -> (f64, f64) {
    use nix::sys::resource::{getrusage, UsageWho};
    match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => {
            let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 * 1e6 + tv.tv_usec() as f64;
            (
                t(u.user_time()) + t(u.system_time()),
                u.minor_page_faults() as f64,
            )
        }
        Err(_) => (f64::NAN, f64::NAN),
    }
}

/// Exec to the first stdout line (or to end of file, for a program that
/// prints nothing, like `/bin/true`) of `BIN ARGS`, in an empty environment:
/// spawning the process, loading and relocating the binary and the
/// language's start-up. For `eks --version`, the floor under the handshake
/// time of the same binary, with no runtime, socket or TLS; for the floor
/// programs, what this harness measures for a process that does nothing.
fn first_line(reader: &LineReader, path: &Path, args: &[String]) -> Res<LineSample> {
    let (cpu0, flt0) = children_usage();
    let t0 = Instant::now();
    let mut child = Command::new(path)
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", path.display()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    reader.tx.send(stdout).map_err(|e| e.to_string())?;
    let r = reader.rx.recv_timeout(HANDSHAKE_TIMEOUT);
    if r.is_err() {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "{} {args:?}: no line within {HANDSHAKE_TIMEOUT:?}",
            path.display()
        ));
    }
    // These programs exit by themselves right after their line: wait, so the
    // CPU and page faults cover the whole process, exit included.
    child.wait().map_err(|e| e.to_string())?;
    let (cpu1, flt1) = children_usage();
    match r {
        Ok((at, Ok(_))) => Ok(LineSample {
            wall_us: at.duration_since(t0).as_secs_f64() * 1e6,
            cpu_us: cpu1 - cpu0,
            minflt: flt1 - flt0,
        }),
        _ => Err(format!("{} {args:?} printed no line", path.display())),
    }
}

/// Minor page faults of a running process so far (`/proc/PID/stat`, the
/// 10th field: all its threads).
fn minflt(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(7)?.parse().ok()
}

fn run(opts: &Opts) -> Res<()> {
    std::fs::create_dir_all(&opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("tf-eks-bench-startup-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let cert = client_cert_pem()?;
    let reader = LineReader::new();
    let modes = [Mode::Tls, Mode::Plain];

    // Handshake timing, interleaved.
    let mut wall: BTreeMap<(String, Mode), Vec<f64>> = BTreeMap::new();
    let mut cpu: BTreeMap<(String, Mode), Vec<f64>> = BTreeMap::new();
    let mut faults: BTreeMap<(String, Mode), Vec<f64>> = BTreeMap::new();
    let mut lines: BTreeMap<(String, Mode), String> = BTreeMap::new();
    let mut csv = String::from("target,mode,run,handshake_us,cpu_us\n");
    eprintln!(
        "startup: {} warm-up + {} timed runs per target and mode",
        opts.warmup, opts.runs
    );
    for run in 0..opts.warmup + opts.runs {
        for t in &opts.targets {
            for &mode in &modes {
                let s = start(&reader, t, mode, &cert, scratch.path())?;
                let (elapsed, cpu_ns, flt) = (s.elapsed, s.cpu_ns, s.minflt);
                lines
                    .entry((t.name.clone(), mode))
                    .or_insert_with(|| s.line.trim_end().to_owned());
                stop(s);
                if run < opts.warmup {
                    continue;
                }
                let us = elapsed.as_secs_f64() * 1e6;
                let cpu_us = cpu_ns.map(|n| n as f64 / 1e3);
                wall.entry((t.name.clone(), mode)).or_default().push(us);
                if let Some(c) = cpu_us {
                    cpu.entry((t.name.clone(), mode)).or_default().push(c);
                }
                if let Some(f) = flt {
                    faults
                        .entry((t.name.clone(), mode))
                        .or_default()
                        .push(f as f64);
                }
                csv.push_str(&format!(
                    "{},{},{},{us:.1},{}\n",
                    t.name,
                    mode.as_str(),
                    run - opts.warmup,
                    cpu_us.map(|c| format!("{c:.1}")).unwrap_or_default()
                ));
            }
        }
    }

    // The floors under our handshake: the same binary's `--version`, and
    // programs that do nothing (`--floor`), through the same harness,
    // interleaved.
    let mut first: Vec<(String, PathBuf, Vec<String>)> = opts
        .floors
        .iter()
        .map(|(n, p)| (n.clone(), p.clone(), Vec::new()))
        .collect();
    for t in opts.targets.iter().filter(|t| t.name == "eks") {
        first.push((
            format!("{} --version", t.name),
            t.path.clone(),
            vec!["--version".to_owned()],
        ));
    }
    let mut first_samples: Vec<Vec<LineSample>> = first.iter().map(|_| Vec::new()).collect();
    for run in 0..opts.warmup + opts.runs {
        for (i, (_, path, args)) in first.iter().enumerate() {
            let s = first_line(&reader, path, args)?;
            if run >= opts.warmup {
                first_samples[i].push(s);
            }
        }
    }
    let version_us: BTreeMap<String, Vec<f64>> = first
        .iter()
        .zip(&first_samples)
        .filter_map(|((name, _, _), v)| {
            let t = name.strip_suffix(" --version")?;
            Some((t.to_owned(), v.iter().map(|s| s.wall_us).collect()))
        })
        .collect();
    let first_json: Vec<Value> = first
        .iter()
        .zip(&first_samples)
        .map(|((name, path, args), v)| {
            let wall: Vec<f64> = v.iter().map(|s| s.wall_us).collect();
            let cpu: Vec<f64> = v.iter().map(|s| s.cpu_us).collect();
            let flt: Vec<f64> = v.iter().map(|s| s.minflt).collect();
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            json!({
                "name": name,
                "path": path,
                "args": args,
                "size_bytes": size,
                "wall_us": summary(&wall),
                "cpu_us": summary(&cpu),
                "minflt": summary(&flt),
                "samples": {"wall_us": wall, "cpu_us": cpu, "minflt": flt},
            })
        })
        .collect();

    // Idle memory.
    eprintln!(
        "startup: idle RSS, {} process(es) per target and mode, {:?} idle",
        opts.rss_runs, opts.idle
    );
    let mut rss: BTreeMap<(String, Mode), Vec<BTreeMap<String, u64>>> = BTreeMap::new();
    if opts.rss_runs > 0 {
        let mut running = Vec::new();
        for t in &opts.targets {
            for &mode in &modes {
                for _ in 0..opts.rss_runs {
                    running.push((
                        t.name.clone(),
                        mode,
                        start(&reader, t, mode, &cert, scratch.path())?,
                    ));
                }
            }
        }
        std::thread::sleep(opts.idle);
        for (name, mode, s) in running {
            let st = status_kib(s.child.id());
            rss.entry((name, mode)).or_default().push(st);
            stop(s);
        }
    }

    // TLS set-up steps, cold, in fresh processes.
    let mut probes = Vec::new();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    for _ in 0..opts.probe_runs {
        let out = Command::new(&exe)
            .arg("--probe-tls")
            .env("PROBE_CLIENT_CERT", &cert)
            .output()
            .map_err(|e| e.to_string())?;
        let line = String::from_utf8_lossy(&out.stdout);
        let v: Value =
            serde_json::from_str(line.trim()).map_err(|e| format!("probe: {e}: {line}"))?;
        probes.push(v);
    }
    let mut probe_summary = serde_json::Map::new();
    if let Some(Value::Object(first)) = probes.first() {
        for k in first.keys() {
            let v: Vec<f64> = probes.iter().filter_map(|p| p[k].as_f64()).collect();
            probe_summary.insert(k.clone(), summary(&v));
        }
    }

    // Report.
    let mut targets = Vec::new();
    for t in &opts.targets {
        let size = std::fs::metadata(&t.path).map(|m| m.len()).unwrap_or(0);
        let stripped = stripped_size(
            &t.path,
            &scratch.path().join(format!("{}.stripped", t.name)),
        );
        let mut modes_out = serde_json::Map::new();
        for &mode in &modes {
            let key = (t.name.clone(), mode);
            let w = wall.get(&key).cloned().unwrap_or_default();
            let c = cpu.get(&key).cloned().unwrap_or_default();
            let f = faults.get(&key).cloned().unwrap_or_default();
            let r = rss.get(&key).cloned().unwrap_or_default();
            let pick = |k: &str| -> Vec<f64> {
                r.iter()
                    .filter_map(|m| m.get(k))
                    .map(|&v| v as f64)
                    .collect()
            };
            modes_out.insert(
                mode.as_str().to_owned(),
                json!({
                    "handshake_line": lines.get(&key),
                    "handshake_us": summary(&w),
                    "handshake_cpu_us": summary(&c),
                    "handshake_minflt": summary(&f),
                    "vmhwm_kib": summary(&pick("VmHWM")),
                    "vmrss_kib": summary(&pick("VmRSS")),
                    "rss_anon_kib": summary(&pick("RssAnon")),
                    "rss_file_kib": summary(&pick("RssFile")),
                    "threads": summary(&pick("Threads")),
                    "samples": {"handshake_us": w, "handshake_cpu_us": c, "handshake_minflt": f, "status_kib": r},
                }),
            );
        }
        targets.push(json!({
            "name": t.name,
            "path": t.path,
            "protocol": t.protocol,
            "size_bytes": size,
            "stripped_size_bytes": stripped,
            "modes": modes_out,
            "version_line_us": version_us.get(&t.name).map(|v| summary(v.as_slice())),
            "version_line_samples_us": version_us.get(&t.name),
        }));
    }
    let report = json!({
        "runs": opts.runs,
        "warmup": opts.warmup,
        "rss_runs": opts.rss_runs,
        "idle_ms": opts.idle.as_millis() as u64,
        "targets": targets,
        "first_line": first_json,
        "tls_probe": {"runs": opts.probe_runs, "summary": probe_summary, "samples": probes},
    });
    let json_path = opts.out.join("startup.json");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", json_path.display()))?;
    std::fs::write(opts.out.join("startup-samples.csv"), csv).map_err(|e| e.to_string())?;

    let mut err = std::io::stderr().lock();
    for t in &opts.targets {
        for &mode in &modes {
            let key = (t.name.clone(), mode);
            let w = wall.get(&key).cloned().unwrap_or_default();
            let r = rss.get(&key).cloned().unwrap_or_default();
            let hwm: Vec<f64> = r
                .iter()
                .filter_map(|m| m.get("VmHWM"))
                .map(|&v| v as f64)
                .collect();
            let _ = writeln!(
                err,
                "startup: {:<28} {:<5} handshake median {:>8.0} us  idle VmHWM median {:>7.0} KiB",
                t.name,
                mode.as_str(),
                median(&w),
                median(&hwm)
            );
        }
    }
    let _ = writeln!(err, "startup: wrote {}", json_path.display());
    Ok(())
}

fn main() {
    match parse_args() {
        Ok(Some(opts)) => {
            if let Err(e) = run(&opts) {
                eprintln!("startup: {e}");
                std::process::exit(1);
            }
        }
        Ok(None) => {
            // `cargo bench` with no arguments: nothing to measure against.
            eprintln!(
                "startup: nothing to do without --out and --target; run scripts/bench, which \
                 builds the peers and passes them in"
            );
        }
        Err(e) => {
            eprintln!("startup: {e}");
            std::process::exit(2);
        }
    }
}
