//! Proof that Terraform accepts the release package.
//!
//! 1. `scripts/release --targets linux_amd64` builds and packages the provider
//!    into a temporary directory, signing `SHA256SUMS` with a throwaway GPG key
//!    generated on the fly in a temporary `GNUPGHOME`.
//! 2. The signature is verified with gpg, `SHA256SUMS` against the files, the
//!    manifest against `terraform-registry-manifest.json`, and the zip's layout
//!    (one executable, `terraform-provider-eks_v{VERSION}`).
//! 3. The zip is laid out as a *packed* filesystem mirror and real
//!    `terraform init` installs it through a CLI config with only a
//!    `filesystem_mirror` (no `dev_overrides`).
//! 4. `.terraform.lock.hcl` must record the package hash computed from the zip
//!    (`h1:`, Go's dirhash of the archive's contents: the hash Terraform records
//!    for mirror installs; `zh:` hashes only come from a registry's signed
//!    SHA256SUMS). A tampered zip must then be rejected by `terraform init`
//!    against that lock file.
//! 5. `terraform validate` and `terraform plan` run an example that reads the
//!    `eks_encryption_config` data source from a tiny loopback stand-in for
//!    EKS's DescribeCluster, so the installed binary serves real RPCs.
//!
//! Runs on the `terraform` on `PATH` (or `TF_ACC_MIRROR_TERRAFORM`). Needs
//! `zip`, `unzip` and `gpg`. Linux x86_64 only (the package it builds).
//!
//! By default the `release-check` profile is built and packaged (the release's
//! glibc-2.17 linking without LTO; a few minutes cold, shared with the other
//! release tests, seconds when Cargo reuses it); `TF_ACC_RELEASE_BUILD=1`
//! makes it run the LTO release build instead. `TF_ACC_RELEASE_DIST=<dir>` skips the build and
//! tests an existing release directory instead (e.g. CI's `dist/`); its
//! signature is then verified against whatever keys that `GNUPGHOME` holds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;
use support::{
    h1_of_zip, lock_hashes, parse_sha256sums, provider_version, repo_root, run, sha256_hex,
    Keyring, NAME,
};

const SOURCE: &str = "registry.terraform.io/cmkguard/eks";
const MANIFEST: &str = r#"{"version":1,"metadata":{"protocol_versions":["6.0"]}}"#;

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            let f = d.join(tool);
            f.is_file()
                && std::fs::metadata(&f)
                    .map(|m| {
                        use std::os::unix::fs::PermissionsExt;
                        m.permissions().mode() & 0o111 != 0
                    })
                    .unwrap_or(false)
        })
    })
}

// --- GPG ----------------------------------------------------------------------------

/// `gpg --verify` with `gpg` (a keyring's or the ambient one); the VALIDSIG
/// fingerprint, or None when the signature does not verify.
fn gpg_verify(mut gpg: Command, sig: &Path, data: &Path) -> Option<String> {
    let out = gpg
        .args(["--status-fd", "1", "--verify"])
        .arg(sig)
        .arg(data)
        .stdin(Stdio::null())
        .output()
        .expect("run gpg --verify");
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        l.strip_prefix("[GNUPG:] VALIDSIG ")
            .and_then(|r| r.split_whitespace().next())
            .map(str::to_string)
    })
}

// --- A loopback stand-in for EKS DescribeCluster --------------------------------------

/// Answers `GET /clusters/demo` like EKS's DescribeCluster for an ACTIVE
/// 1.31 cluster without a CMK; anything else gets ResourceNotFoundException.
/// Records every request line.
struct FakeEks {
    addr: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeEks {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = format!("http://{}", listener.local_addr().expect("local addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    let _ = serve(stream, &log);
                });
            }
        });
        FakeEks { addr, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("request log").clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                content_length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;
    let request_line = request_line.trim().to_string();
    log.lock().expect("request log").push(request_line.clone());

    let (status, error_type, body) = if request_line.starts_with("GET /clusters/demo ") {
        (
            "200 OK",
            None,
            serde_json::json!({
                "cluster": {
                    "name": "demo",
                    "arn": "arn:aws:eks:us-east-1:123456789012:cluster/demo",
                    "version": "1.31",
                    "status": "ACTIVE",
                    "createdAt": 1.7e9,
                }
            })
            .to_string(),
        )
    } else {
        (
            "404 Not Found",
            Some("ResourceNotFoundException"),
            r#"{"message":"No cluster found"}"#.to_string(),
        )
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n{body}",
        body.len(),
        error_type
            .map(|t| format!("x-amzn-errortype: {t}\r\n"))
            .unwrap_or_default()
    )?;
    out.flush()
}

// --- Terraform ----------------------------------------------------------------------

struct Tf {
    bin: PathBuf,
    cli_config: PathBuf,
    home: PathBuf,
}

impl Tf {
    fn cmd(&self, dir: &Path) -> Command {
        let mut c = Command::new(&self.bin);
        c.current_dir(dir);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().to_string();
            if k.starts_with("TF_") || k.starts_with("AWS_") {
                c.env_remove(&k);
            }
        }
        c.env("CHECKPOINT_DISABLE", "1")
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            // Static credentials for the loopback endpoint; no shared files, no IMDS.
            .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            )
            .env("AWS_CONFIG_FILE", self.home.join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home.join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true");
        c
    }
}

#[test]
fn terraform_installs_the_release_from_a_filesystem_mirror() {
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        eprintln!("[registry_mirror] skipped: the test packages linux_amd64 and runs it");
        return;
    }
    let started = Instant::now();
    let terraform = std::env::var_os("TF_ACC_MIRROR_TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("terraform"));
    let prebuilt = std::env::var_os("TF_ACC_RELEASE_DIST")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let mut missing: Vec<&str> = ["gpg", "unzip"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    if prebuilt.is_none() && !on_path("zip") {
        missing.push("zip");
    }
    if terraform.components().count() == 1 && !on_path(&terraform.to_string_lossy()) {
        missing.push("terraform");
    }
    assert!(
        missing.is_empty(),
        "missing tools: {} (Debian: apt-get update && apt-get install -y zip unzip gnupg; \
         Terraform from https://developer.hashicorp.com/terraform/install)",
        missing.join(", ")
    );

    let version = provider_version();
    let prefix = format!("{NAME}_{version}");
    let zip_name = format!("{prefix}_linux_amd64.zip");
    let binary_name = format!("{NAME}_v{version}");
    let work = tempfile::Builder::new()
        .prefix("tfacc-mirror-")
        .tempdir()
        .expect("temporary directory");
    let keyring = Keyring::new();

    // 1. Build and package (or take an existing release directory).
    let (dist, fingerprint) = match &prebuilt {
        Some(dir) => {
            eprintln!(
                "[registry_mirror] testing the release in TF_ACC_RELEASE_DIST={}",
                dir.display()
            );
            (dir.clone(), None)
        }
        None => {
            let fingerprint = keyring
                .generate("terraform-provider-eks release test <release-test@example.invalid>");
            let dist = work.path().join("dist");
            let mut release = Command::new(repo_root().join("scripts/release"));
            release.args(["--targets", "linux_amd64", "--require-signature", "--out"]);
            release.arg(&dist);
            if std::env::var_os("TF_ACC_RELEASE_BUILD").is_none() {
                // The release's target, linker and glibc floor (cargo-zigbuild,
                // checked by tools/elfcheck) without LTO: the `release-check`
                // profile, which the other release tests build too. The LTO
                // build (a quarter hour on 2 cores) stays in the release
                // workflow; TF_ACC_RELEASE_BUILD=1 builds it here instead.
                release.args(["--profile", "release-check"]);
            }
            run(
                "scripts/release --targets linux_amd64",
                release
                    .env("GNUPGHOME", keyring.home.path())
                    .env("GPG_FINGERPRINT", &fingerprint)
                    .env_remove("GPG_PASSPHRASE")
                    .stdout(Stdio::inherit())
                    .stderr(Stdio::inherit()),
            );
            (dist, Some(fingerprint))
        }
    };

    // 2. Signature, checksums, manifest.
    let sums_path = dist.join(format!("{prefix}_SHA256SUMS"));
    let sig_path = dist.join(format!("{prefix}_SHA256SUMS.sig"));
    let manifest_path = dist.join(format!("{prefix}_manifest.json"));
    let zip_path = dist.join(&zip_name);
    for p in [&sums_path, &sig_path, &manifest_path, &zip_path] {
        assert!(p.is_file(), "the release lacks {}", p.display());
    }
    // With TF_ACC_RELEASE_DIST, the signer is GPG_FINGERPRINT in the ambient keyring.
    let (verifier, expected_signer) = match (&fingerprint, std::env::var("GPG_FINGERPRINT")) {
        (Some(f), _) => (Some(&keyring), Some(f.clone())),
        (None, Ok(f)) if !f.is_empty() => (None, Some(f)),
        _ => (None, None),
    };
    match expected_signer {
        Some(signer) => {
            let verify = |sig: &Path, data: &Path| match verifier {
                Some(k) => gpg_verify(k.gpg(), sig, data),
                None => {
                    let mut gpg = Command::new("gpg");
                    gpg.arg("--batch");
                    gpg_verify(gpg, sig, data)
                }
            };
            let got = verify(&sig_path, &sums_path);
            // GPG_FINGERPRINT may be a full fingerprint or a key id (its tail).
            let signer_uc = signer.to_uppercase();
            assert!(
                got.as_deref()
                    .is_some_and(|g| g.to_uppercase().ends_with(&signer_uc)),
                "SHA256SUMS.sig must verify with {signer}; gpg reported {got:?}"
            );
            // A signature that verifies anything proves nothing: tamper and retry.
            let tampered = work.path().join("SHA256SUMS.tampered");
            let mut bytes = std::fs::read(&sums_path).expect("read SHA256SUMS");
            bytes.extend_from_slice(b"0000  extra.zip\n");
            std::fs::write(&tampered, bytes).expect("write tampered SHA256SUMS");
            assert_eq!(
                verify(&sig_path, &tampered),
                None,
                "the signature must not verify a modified SHA256SUMS"
            );
        }
        None => eprintln!(
            "[registry_mirror] TF_ACC_RELEASE_DIST without GPG_FINGERPRINT: signature not verified"
        ),
    }
    let sums = std::fs::read_to_string(&sums_path).expect("read SHA256SUMS");
    let listed = parse_sha256sums(&sums);
    for (file, hash) in &listed {
        let bytes = std::fs::read(dist.join(file))
            .unwrap_or_else(|e| panic!("SHA256SUMS lists {file}, which cannot be read: {e}"));
        assert_eq!(&sha256_hex(&bytes), hash, "sha256 of {file}");
    }
    assert!(
        listed.contains_key(&zip_name),
        "SHA256SUMS must list {zip_name}"
    );
    assert!(
        listed.contains_key(&format!("{prefix}_manifest.json")),
        "SHA256SUMS must list the manifest"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).expect("read manifest"))
            .expect("manifest is JSON");
    assert_eq!(
        manifest,
        serde_json::from_str::<serde_json::Value>(MANIFEST).unwrap(),
        "manifest"
    );
    let zip_sha256 = listed[&zip_name].clone();

    // The zip holds exactly the executable, named for the version.
    let names = run("unzip -Z1", Command::new("unzip").arg("-Z1").arg(&zip_path));
    assert_eq!(
        String::from_utf8_lossy(&names.stdout)
            .lines()
            .collect::<Vec<_>>(),
        vec![binary_name.as_str()],
        "zip contents"
    );
    let extracted = work.path().join("extracted");
    run(
        "unzip",
        Command::new("unzip")
            .arg("-q")
            .arg(&zip_path)
            .arg("-d")
            .arg(&extracted),
    );
    let exe = extracted.join(&binary_name);
    let out = run("provider --version", Command::new(&exe).arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{NAME} v{version}")
    );
    let expected_h1 = h1_of_zip(&zip_path, work.path());

    // 3. A packed filesystem mirror and `terraform init` without dev_overrides.
    let mirror = work.path().join("mirror");
    let pkg_dir = mirror.join(SOURCE);
    std::fs::create_dir_all(&pkg_dir).expect("mirror dirs");
    std::fs::copy(&zip_path, pkg_dir.join(&zip_name)).expect("copy zip into the mirror");
    let cli_config = work.path().join("cli.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{SOURCE}\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("write CLI config");
    let tf = Tf {
        bin: terraform.clone(),
        cli_config,
        home: work.path().to_path_buf(),
    };
    let fake = FakeEks::start();
    let config_dir = work.path().join("config");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("main.tf"),
        format!(
            r#"terraform {{
  required_providers {{
    eks = {{
      source  = "cmkguard/eks"
      version = "= {version}"
    }}
  }}
}}

provider "eks" {{
  region      = "us-east-1"
  max_retries = 0

  endpoints {{
    eks = "{addr}"
    kms = "{addr}"
    sts = "{addr}"
  }}
}}

data "eks_encryption_config" "demo" {{
  cluster_name = "demo"
}}

output "key_type" {{
  value = data.eks_encryption_config.demo.key_type
}}

output "cluster_version" {{
  value = data.eks_encryption_config.demo.cluster_version
}}
"#,
            addr = fake.addr
        ),
    )
    .expect("write main.tf");

    let init = run(
        "terraform init (filesystem mirror)",
        tf.cmd(&config_dir)
            .args(["init", "-no-color", "-input=false"]),
    );
    let init_out = String::from_utf8_lossy(&init.stdout);
    assert!(
        init_out.contains(&format!("Installed cmkguard/eks v{version}")),
        "init should install cmkguard/eks v{version} from the mirror:\n{init_out}"
    );
    let installed = config_dir
        .join(".terraform/providers")
        .join(SOURCE)
        .join(&version)
        .join("linux_amd64")
        .join(&binary_name);
    assert!(
        installed.is_file(),
        "terraform init should unpack {} (not a dev override)",
        installed.display()
    );

    // 4. The lock file records the package's hash.
    let lock = std::fs::read_to_string(config_dir.join(".terraform.lock.hcl"))
        .expect("terraform init writes .terraform.lock.hcl");
    assert!(
        lock.contains(&format!("version     = \"{version}\"")),
        "lock file version:\n{lock}"
    );
    let hashes = lock_hashes(&lock, SOURCE);
    assert!(
        hashes.contains(&expected_h1),
        "the lock file must record {expected_h1} (computed from the zip); it has {hashes:?}"
    );
    let zh = format!("zh:{zip_sha256}");
    if hashes.iter().any(|h| h.starts_with("zh:")) {
        assert!(
            hashes.contains(&zh),
            "zh: hashes {hashes:?} must include {zh}"
        );
    }
    eprintln!("[registry_mirror] lock file records {expected_h1}; zip sha256 {zip_sha256}");

    // The lock is binding: a different package under the same name is refused.
    let evil_mirror = work.path().join("evil-mirror");
    let evil_pkg = evil_mirror.join(SOURCE);
    std::fs::create_dir_all(&evil_pkg).expect("evil mirror dirs");
    let evil_src = work.path().join("evil");
    std::fs::create_dir_all(&evil_src).expect("evil dir");
    let mut evil_bin = std::fs::read(&exe).expect("read binary");
    evil_bin.extend_from_slice(b"\0tampered");
    std::fs::write(evil_src.join(&binary_name), evil_bin).expect("write tampered binary");
    let evil_zip = evil_pkg.join(&zip_name);
    if on_path("zip") {
        run(
            "zip tampered package",
            Command::new("zip")
                .current_dir(&evil_src)
                .arg("-q")
                .arg(&evil_zip)
                .arg(&binary_name),
        );
        let evil_dir = work.path().join("config-evil");
        std::fs::create_dir_all(&evil_dir).expect("evil config dir");
        std::fs::copy(config_dir.join("main.tf"), evil_dir.join("main.tf")).expect("copy main.tf");
        std::fs::copy(
            config_dir.join(".terraform.lock.hcl"),
            evil_dir.join(".terraform.lock.hcl"),
        )
        .expect("copy lock file");
        let evil_cli = work.path().join("evil.tfrc");
        std::fs::write(
            &evil_cli,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{SOURCE}\"]\n  }}\n}}\n",
                evil_mirror.display()
            ),
        )
        .expect("write evil CLI config");
        let evil_tf = Tf {
            bin: tf.bin.clone(),
            cli_config: evil_cli,
            home: tf.home.clone(),
        };
        let out = evil_tf
            .cmd(&evil_dir)
            .args(["init", "-no-color", "-input=false"])
            .stdin(Stdio::null())
            .output()
            .expect("run terraform init (tampered)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success() && text.contains("checksum"),
            "terraform init must refuse a package that does not match the lock file:\n{text}"
        );
    } else {
        eprintln!("[registry_mirror] no zip on PATH: the tampered-package check is skipped");
    }

    // 5. validate and plan with the installed provider.
    let validate = run(
        "terraform validate",
        tf.cmd(&config_dir).args(["validate", "-no-color"]),
    );
    assert!(String::from_utf8_lossy(&validate.stdout).contains("Success!"));
    run(
        "terraform plan",
        tf.cmd(&config_dir)
            .args(["plan", "-no-color", "-input=false", "-out=tfplan"]),
    );
    let show = run(
        "terraform show -json tfplan",
        tf.cmd(&config_dir).args(["show", "-json", "tfplan"]),
    );
    let plan: serde_json::Value = serde_json::from_slice(&show.stdout).expect("plan JSON");
    let outputs = &plan["planned_values"]["outputs"];
    assert_eq!(
        outputs["key_type"]["value"], "AWS_OWNED",
        "plan outputs: {outputs}"
    );
    assert_eq!(
        outputs["cluster_version"]["value"], "1.31",
        "plan outputs: {outputs}"
    );
    let requests = fake.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /clusters/demo ")),
        "the installed provider should have called DescribeCluster; requests: {requests:?}"
    );
    let version_json = run(
        "terraform version -json",
        tf.cmd(&config_dir).args(["version", "-json"]),
    );
    let v: serde_json::Value = serde_json::from_slice(&version_json.stdout).expect("version JSON");
    assert_eq!(
        v["provider_selections"][SOURCE], version,
        "terraform version -json provider selections: {v}"
    );
    eprintln!(
        "[registry_mirror] ok in {:.0}s: {} ({})",
        started.elapsed().as_secs_f64(),
        zip_name,
        v["terraform_version"]
    );
}
