//! Well-known paths: the repository root, the bundled Terraform core, the
//! provider binary.

use std::path::{Path, PathBuf};

/// The repository root (the parent of the `acceptance-tests` crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Where `scripts/install-deps` puts the cores it provides, one directory
/// `<name>-<version>` each.
pub fn cores_dir() -> PathBuf {
    repo_root().join(".cache/cores")
}

/// Where `scripts/install-deps` puts Terraform 1.0.3.
pub fn bundled_core() -> PathBuf {
    cores_dir().join("terraform-1.0.3/terraform")
}

/// The emulator's Python package directory (`acceptance-tests/emulator`).
pub fn emulator_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("emulator")
}

/// The Python that runs the emulator: `TF_ACC_EMULATOR_PYTHON`, else the
/// repository's `.venv/bin/python` (created by `scripts/install-deps`).
pub fn emulator_python() -> PathBuf {
    match std::env::var_os("TF_ACC_EMULATOR_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join(".venv/bin/python"),
    }
}

/// The Cargo target directory: `CARGO_TARGET_DIR` (relative paths are taken
/// from the repository root), else `<repo>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                repo_root().join(d)
            }
        }
        _ => repo_root().join("target"),
    }
}

/// The provider binary the tests run: `TF_ACC_PROVIDER_BIN`, else
/// `<target dir>/debug/terraform-provider-eks`. Not checked for existence.
pub fn provider_binary() -> PathBuf {
    match std::env::var_os("TF_ACC_PROVIDER_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => target_dir().join("debug/terraform-provider-eks"),
    }
}

/// Whether `path` is a regular file (after following symlinks) with an
/// execute bit set.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
