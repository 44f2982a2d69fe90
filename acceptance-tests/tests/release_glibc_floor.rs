//! The glibc floor of the Linux release binary, and the check that fails the
//! release (issue 12).
//!
//! `scripts/release --targets linux_amd64` links the provider with
//! cargo-zigbuild against glibc 2.17 and refuses to package a binary that
//! `tools/elfcheck/elfcheck.py` rejects. These tests build that binary (the
//! `release-check` profile: the same target, linker and floor without LTO) and
//! prove:
//!
//! - it needs no GLIBC_ symbol version newer than 2.17 and no shared library
//!   beyond glibc's own (read from the ELF file, like `objdump -T` and
//!   `readelf -d`), and starts (`--version`);
//! - the check has teeth: declaring a floor just below what the binary
//!   really needs fails, naming the version and the symbols;
//! - the provider as the host's gcc links it (`cargo build`, what issue 12
//!   found: GLIBC_2.34 and libgcc_s) is refused by `scripts/release` itself,
//!   so nothing is packaged.

mod support;

use std::process::Command;

use support::*;

fn elfcheck() -> Command {
    let mut c = Command::new("python3");
    c.arg(repo_root().join("tools/elfcheck/elfcheck.py"));
    c
}

/// (major, minor) of "2.17".
fn parse(v: &str) -> (u32, u32) {
    let (a, b) = v.split_once('.').expect("x.y");
    (a.parse().unwrap(), b.parse().unwrap())
}

#[test]
fn issue12_release_linux_binary_meets_the_glibc_floor() {
    if !linux_amd64_host() {
        eprintln!("[release_glibc_floor] skipped: builds and runs linux_amd64");
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let bin = release_check_binary(work.path());

    // What the binary needs, read from its dynamic section and version needs.
    let out = run(
        "elfcheck --json (floor 2.17)",
        elfcheck()
            .args(["--json", "--glibc-floor", "2.17", "--arch", "amd64"])
            .arg(&bin),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("elfcheck JSON");
    eprintln!("[release_glibc_floor] {report}");
    assert_eq!(report["ok"], true, "{report}");
    let max = report["max_glibc"]
        .as_str()
        .expect("a dynamically linked glibc binary names GLIBC_ versions");
    assert!(parse(max) <= (2, 17), "needs GLIBC_{max}: {report}");
    let needed: Vec<&str> = report["needed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for lib in &needed {
        assert!(
            [
                "libc.so.6",
                "libm.so.6",
                "libdl.so.2",
                "libpthread.so.0",
                "librt.so.1",
                "ld-linux-x86-64.so.2"
            ]
            .contains(lib),
            "needs {lib}: {report}"
        );
    }
    assert!(
        !needed.iter().any(|l| l.starts_with("libgcc_s")),
        "libgcc_s must not be needed: {report}"
    );

    // binutils agrees, where it is installed (the issue's own measurement).
    if let Ok(o) = Command::new("objdump").arg("-T").arg(&bin).output() {
        let text = String::from_utf8_lossy(&o.stdout);
        let newest = text
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter_map(|w| w.strip_prefix("GLIBC_"))
            .filter(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
            .filter_map(|v| {
                let mut it = v.split('.');
                Some((
                    it.next()?.parse::<u32>().ok()?,
                    it.next()?.parse::<u32>().ok()?,
                ))
            })
            .max()
            .expect("objdump -T lists GLIBC_ versions");
        assert!(newest <= (2, 17), "objdump -T: newest GLIBC_{newest:?}");
        assert_eq!(newest, parse(max), "objdump -T and elfcheck disagree");
    }

    // It starts here (glibc 2.36) and reports its version.
    let version = run("provider --version", Command::new(&bin).arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("{NAME} v{}", provider_version())
    );

    // A deliberately lower floor than the binary needs fails, with the reason.
    let (major, minor) = parse(max);
    let lower = format!("{major}.{}", minor - 1);
    let out = elfcheck()
        .args(["--glibc-floor", &lower])
        .arg(&bin)
        .output()
        .expect("run elfcheck");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "floor {lower} must fail:\n{err}"
    );
    assert!(
        err.contains(&format!("needs GLIBC_{max} from libc.so.6 (for "))
            && err.contains(&format!("newer than the floor glibc {lower}")),
        "{err}"
    );
    // elfcheck's own words (an ERROR line) are shown only when an assertion above fails:
    // a passing test's log must not read like a failure (issue 22).
    eprintln!("[release_glibc_floor] (expected) elfcheck refused floor {lower}: the binary needs GLIBC_{max}");
}

#[test]
fn issue12_release_refuses_a_binary_linked_against_the_host_glibc() {
    if !linux_amd64_host() {
        eprintln!("[release_glibc_floor] skipped: packages linux_amd64");
        return;
    }
    // The debug build the other acceptance tests run: host gcc, host glibc.
    let host_build = acceptance_tests::workdir::provider_binary()
        .expect("the provider binary: run `cargo build --bin terraform-provider-eks` first");
    let work = tempfile::tempdir().expect("temp dir");
    let staged = work.path().join("prebuilt/linux_amd64");
    std::fs::create_dir_all(&staged).unwrap();
    std::fs::copy(&host_build, staged.join(binary_name())).unwrap();
    let dist = work.path().join("dist");
    let out = Command::new(repo_root().join("scripts/release"))
        .args(["--targets", "linux_amd64", "--prebuilt"])
        .arg(work.path().join("prebuilt"))
        .arg("--out")
        .arg(&dist)
        .env_remove("GPG_FINGERPRINT")
        .output()
        .expect("run scripts/release");
    let err = String::from_utf8_lossy(&out.stderr);
    // Whether the host's glibc is new enough to matter decides what we can assert.
    let check = elfcheck().arg(&host_build).output().expect("run elfcheck");
    if check.status.success() {
        eprintln!(
            "[release_glibc_floor] this host's glibc links the debug build within 2.17; nothing to refuse"
        );
        assert!(out.status.success(), "{err}");
        return;
    }
    assert!(
        !out.status.success(),
        "scripts/release must refuse it:\n{err}"
    );
    assert!(
        err.contains("newer than the floor glibc 2.17")
            && err.contains("does not meet the declared floor"),
        "{err}"
    );
    let zips: Vec<_> = std::fs::read_dir(&dist)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "zip"))
                .collect()
        })
        .unwrap_or_default();
    assert!(zips.is_empty(), "nothing may be packaged: {zips:?}");
    // scripts/release's ERROR lines are shown only when an assertion above fails.
    eprintln!(
        "[release_glibc_floor] (expected) scripts/release refused the host build: it needs a glibc newer than the floor 2.17; nothing was packaged"
    );
}
