//! Helpers shared by the release tests (`release_glibc_floor.rs`,
//! `registry_mirror.rs`, `registry_protocol.rs`): running `scripts/release`, a throwaway GPG
//! keyring, and the hashes Terraform records.
#![allow(dead_code)] // each test file uses a different subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The provider's executable name.
pub const NAME: &str = "terraform-provider-eks";

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests lives in the repository")
        .to_path_buf()
}

/// The `[package] version` of the provider's Cargo.toml.
pub fn provider_version() -> String {
    let toml = std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("read Cargo.toml");
    let mut in_package = false;
    for line in toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(rest) = line.strip_prefix("version") {
                let v = rest.trim_start().trim_start_matches('=').trim();
                return v.trim_matches('"').to_string();
            }
        }
    }
    panic!("no [package] version in Cargo.toml");
}

/// `terraform-provider-eks_v{VERSION}`.
pub fn binary_name() -> String {
    format!("{NAME}_v{}", provider_version())
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs a command, panicking with its output when it fails.
pub fn run(what: &str, cmd: &mut Command) -> Output {
    let started = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    eprintln!(
        "[release] {what}: exit {:?} after {:.1}s",
        out.status.code(),
        started.elapsed().as_secs_f64()
    );
    if !out.status.success() {
        panic!(
            "{what} failed ({}).\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// Whether this machine can run the linux_amd64 package the tests build.
pub fn linux_amd64_host() -> bool {
    cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")
}

/// Builds the linux_amd64 provider the way a release does (cargo-zigbuild
/// against the glibc 2.17 floor, checked by tools/elfcheck) with the
/// `release-check` profile (no LTO, no optimisation: minutes, not a quarter
/// hour) into `out/bin/linux_amd64/`, and returns the binary. Cargo reuses the
/// build while the sources are unchanged, so several tests share it.
/// `extra` adds arguments (e.g. `--glibc-floor`).
pub fn build_release_check(out: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new(repo_root().join("scripts/release"));
    cmd.args([
        "--build-only",
        "--profile",
        "release-check",
        "--targets",
        "linux_amd64",
    ])
    .args(extra)
    .arg("--out")
    .arg(out);
    let started = Instant::now();
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/release");
    eprintln!(
        "[release] scripts/release --build-only --profile release-check --targets linux_amd64 {}: exit {:?} after {:.1}s",
        extra.join(" "),
        output.status.code(),
        started.elapsed().as_secs_f64()
    );
    output
}

/// [`build_release_check`], which must succeed; the binary's path.
pub fn release_check_binary(out: &Path) -> PathBuf {
    let output = build_release_check(out, &[]);
    assert!(
        output.status.success(),
        "scripts/release --build-only --profile release-check failed (zig and cargo-zigbuild come from scripts/install-deps --release-tools):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bin = out.join("bin/linux_amd64").join(binary_name());
    assert!(bin.is_file(), "no binary at {}", bin.display());
    bin
}

/// The zig that scripts/install-deps installs (for the linux_arm64 stand-in).
pub fn zig() -> PathBuf {
    let z = repo_root().join(".cache/release-tools/bin/zig");
    assert!(
        z.exists(),
        "{} is missing: run scripts/install-deps --release-tools",
        z.display()
    );
    z
}

/// A linux_arm64 *stand-in* executable: a real, static aarch64 ELF file
/// compiled by zig from a few lines of C, which prints that it is not the
/// provider and exits 1. This machine cannot build the provider for arm64
/// (the aarch64 Rust standard library cannot be installed here), so the
/// registry tests package this under the linux_arm64 name to exercise what
/// Terraform does for a second platform (SHA256SUMS entries, `zh:` hashes,
/// `providers lock -platform`), never to claim the provider runs there.
pub fn arm64_stand_in(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("stand-in dir");
    let src = dir.join("stand_in.c");
    std::fs::write(
        &src,
        r#"/* linux_arm64 stand-in for the registry tests: not the provider. */
static const char msg[] = "terraform-provider-eks stand-in for linux_arm64: not a provider build\n";
void _start(void) {
    register long x0 __asm__("x0") = 2;
    register const char *x1 __asm__("x1") = msg;
    register long x2 __asm__("x2") = sizeof msg - 1;
    register long x8 __asm__("x8") = 64; /* write */
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8) : "memory");
    x0 = 1;
    x8 = 93; /* exit */
    __asm__ volatile("svc 0" : : "r"(x0), "r"(x8));
    for (;;) {
    }
}
"#,
    )
    .expect("write stand-in source");
    let out = dir.join(binary_name());
    run(
        "zig cc (linux_arm64 stand-in)",
        Command::new(zig())
            .args([
                "cc",
                "-target",
                "aarch64-linux-musl",
                "-nostdlib",
                "-static",
                "-ffreestanding",
                "-O2",
                "-s",
                "-o",
            ])
            .arg(&out)
            .arg(&src),
    );
    out
}

/// A throwaway keyring. Its gpg-agent is stopped on drop.
pub struct Keyring {
    /// GNUPGHOME.
    pub home: tempfile::TempDir,
}

impl Keyring {
    /// An empty keyring in a short /tmp path (gpg-agent's socket path must
    /// fit in sun_path).
    pub fn new() -> Self {
        let home = tempfile::Builder::new()
            .prefix("tfgpg")
            .tempdir_in("/tmp")
            .expect("temporary GNUPGHOME");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod GNUPGHOME");
        Keyring { home }
    }

    /// `gpg --batch` in this keyring.
    pub fn gpg(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path()).arg("--batch");
        c
    }

    /// Generates an RSA signing key without a passphrase; its fingerprint.
    pub fn generate(&self, uid: &str) -> String {
        run(
            "gpg --quick-generate-key (throwaway signing key)",
            self.gpg().args([
                "--passphrase",
                "",
                "--quick-generate-key",
                uid,
                "rsa2048",
                "sign",
                "1d",
            ]),
        );
        let out = run(
            "gpg --list-secret-keys",
            self.gpg()
                .args(["--with-colons", "--list-secret-keys", uid]),
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|r| r.trim_matches(':').to_string())
            })
            .expect("a fingerprint in gpg --with-colons output")
    }

    /// The ASCII-armored public key.
    pub fn export_armored(&self, fingerprint: &str) -> String {
        let out = run(
            "gpg --armor --export",
            self.gpg().args(["--armor", "--export", fingerprint]),
        );
        let text = String::from_utf8(out.stdout).expect("armored key is ASCII");
        assert!(text.contains("BEGIN PGP PUBLIC KEY BLOCK"), "{text}");
        text
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Go's dirhash "h1:" of a zip's contents, as Terraform records it: sha256
/// over the sorted lines "<sha256 hex>  <name>\n" of the archive's files,
/// base64-encoded. Computed from the files `unzip` extracts.
pub fn h1_of_zip(zip: &Path, scratch: &Path) -> String {
    let dir = scratch.join(format!("h1-{}", zip.file_name().unwrap().to_string_lossy()));
    std::fs::create_dir_all(&dir).expect("h1: scratch directory");
    run(
        "unzip (h1: hash)",
        Command::new("unzip")
            .arg("-q")
            .arg("-o")
            .arg(zip)
            .arg("-d")
            .arg(&dir),
    );
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read extracted dir") {
            let p = entry.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(&dir)
                    .expect("relative")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, sha256_hex(&std::fs::read(&p).expect("read file")));
            }
        }
    }
    let summary: String = files.iter().map(|(n, h)| format!("{h}  {n}\n")).collect();
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

/// The `h1:`/`zh:` hashes of `source`'s block in a lock file.
pub fn lock_hashes(lock: &str, source: &str) -> Vec<String> {
    let block = lock
        .split(&format!("provider \"{source}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no provider \"{source}\" block in the lock file:\n{lock}"));
    let block = block.split("\nprovider ").next().unwrap_or(block);
    block
        .split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_string)
        .collect()
}

/// SHA256SUMS as {file name: sha256 hex}.
pub fn parse_sha256sums(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(|line| {
            let (hash, file) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("malformed SHA256SUMS line {line:?}"));
            (file.to_string(), hash.to_string())
        })
        .collect()
}
