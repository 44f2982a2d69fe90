//! Discovering Terraform cores and the features their versions gate.
//!
//! By default the cores are `terraform` on `PATH` and the Terraform 1.0.3 that
//! `scripts/install-deps` puts at `<repo>/.cache/terraform/1.0.3/terraform`
//! (whichever exist, deduplicated). `TF_ACC_CORES` (a comma-separated list of
//! paths, or of names looked up on `PATH`) replaces that list.

use std::cmp::Ordering;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::paths;

/// A Terraform version, `major.minor.patch[-pre]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major version.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version.
    pub patch: u64,
    /// Pre-release suffix (`beta1` in `1.8.0-beta1`), if any.
    pub pre: Option<String>,
}

impl Version {
    /// A release version.
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version {
            major,
            minor,
            patch,
            pre: None,
        }
    }

    /// Parses `1.2.3`, `v1.2.3` or `1.2.3-beta1` (surrounding text is not
    /// accepted).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) if !p.is_empty() => (c, Some(p.to_string())),
            Some(_) => return None,
            None => (s, None),
        };
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
            pre,
        })
    }

    /// Whether this is at least `major.minor` (pre-releases of a minor count
    /// as that minor: `1.3.0-beta1` is at least 1.3).
    pub fn at_least(&self, major: u64, minor: u64) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

/// A Terraform feature that only some cores have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Providers are asked to plan destroys (PlanResourceChange with a null
    /// proposed state), so a provider can refuse a destroy at plan: 1.3.
    PlanDestroy,
    /// The built-in `terraform_data` resource: 1.4.
    TerraformData,
    /// `import` blocks: 1.5.
    ImportBlocks,
    /// `removed` blocks: 1.7.
    RemovedBlocks,
    /// `for_each` in `import` blocks: 1.7.
    ImportForEach,
}

impl Feature {
    /// The first Terraform version with the feature.
    pub const fn min_version(self) -> Version {
        match self {
            Feature::PlanDestroy => Version::new(1, 3, 0),
            Feature::TerraformData => Version::new(1, 4, 0),
            Feature::ImportBlocks => Version::new(1, 5, 0),
            Feature::RemovedBlocks => Version::new(1, 7, 0),
            Feature::ImportForEach => Version::new(1, 7, 0),
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Feature::PlanDestroy => "plan_destroy",
            Feature::TerraformData => "terraform_data",
            Feature::ImportBlocks => "import blocks",
            Feature::RemovedBlocks => "removed blocks",
            Feature::ImportForEach => "import blocks with for_each",
        };
        write!(f, "{name} (Terraform >= {})", self.min_version())
    }
}

/// One Terraform binary and its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Core {
    /// Absolute path of the binary.
    pub path: PathBuf,
    /// Its version.
    pub version: Version,
}

impl Core {
    /// Whether this core has `feature`.
    pub fn supports(&self, feature: Feature) -> bool {
        let min = feature.min_version();
        self.version.at_least(min.major, min.minor)
    }

    /// `terraform 1.0.3 (/path/to/terraform)`, for test output.
    pub fn label(&self) -> String {
        format!("terraform {} ({})", self.version, self.path.display())
    }

    /// A short name usable in a directory name: `tf1.0.3`.
    pub fn slug(&self) -> String {
        format!("tf{}", self.version)
    }
}

/// Failures discovering cores.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Nothing to run on.
    #[error(
        "no Terraform core found (looked for {searched}). Install the pinned \
         Terraform 1.0.3 with `scripts/install-deps` (it goes to {bundled}), put a \
         `terraform` binary on PATH, or set TF_ACC_CORES=/path/to/terraform[,...]"
    )]
    NoneFound {
        /// What was looked for.
        searched: String,
        /// Where `scripts/install-deps` installs Terraform 1.0.3.
        bundled: PathBuf,
    },
    /// A `TF_ACC_CORES` entry is not an executable.
    #[error("TF_ACC_CORES names `{entry}`, which is not an executable file (resolved to {path})")]
    NotExecutable {
        /// The entry as written.
        entry: String,
        /// What it resolved to.
        path: PathBuf,
    },
    /// `terraform version` could not be run or understood.
    #[error("could not read the version of {path}: {reason}")]
    Version {
        /// The binary.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Finds the cores to test on, sorted oldest first, each with its version.
///
/// Reads `TF_ACC_CORES` and `PATH` from the environment; see
/// [`discover_from`].
pub fn discover() -> Result<Vec<Core>, CoreError> {
    let cores_var = std::env::var("TF_ACC_CORES").ok();
    discover_from(
        cores_var.as_deref(),
        std::env::var_os("PATH"),
        &paths::bundled_core(),
    )
}

/// [`discover`] with its inputs explicit: the value of `TF_ACC_CORES` (unset or
/// blank means the default list), the `PATH` to search and the bundled core's
/// path.
pub fn discover_from(
    cores_var: Option<&str>,
    path_var: Option<OsString>,
    bundled: &Path,
) -> Result<Vec<Core>, CoreError> {
    let mut candidates = Vec::new();
    let mut searched = Vec::new();
    match cores_var.map(str::trim).filter(|s| !s.is_empty()) {
        Some(list) => {
            for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let path = if entry.contains('/') {
                    PathBuf::from(entry)
                } else {
                    find_on_path(entry, path_var.clone()).unwrap_or_else(|| PathBuf::from(entry))
                };
                if !paths::is_executable(&path) {
                    return Err(CoreError::NotExecutable {
                        entry: entry.to_string(),
                        path,
                    });
                }
                candidates.push(path);
            }
            searched.push(format!("TF_ACC_CORES={list}"));
        }
        None => {
            searched.push("`terraform` on PATH".to_string());
            if let Some(p) = find_on_path("terraform", path_var) {
                candidates.push(p);
            }
            searched.push(bundled.display().to_string());
            if paths::is_executable(bundled) {
                candidates.push(bundled.to_path_buf());
            }
        }
    }

    let mut seen = Vec::new();
    let mut cores = Vec::new();
    for path in candidates {
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.contains(&canonical) {
            continue;
        }
        seen.push(canonical);
        let path = std::path::absolute(&path).unwrap_or(path);
        let version = core_version(&path)?;
        cores.push(Core { path, version });
    }
    if cores.is_empty() {
        return Err(CoreError::NoneFound {
            searched: searched.join(" and "),
            bundled: bundled.to_path_buf(),
        });
    }
    cores.sort_by(|a, b| a.version.cmp(&b.version));
    // Two different binaries of the same version add nothing.
    cores.dedup_by(|a, b| a.version == b.version);
    Ok(cores)
}

/// Looks `name` up on a `PATH` value.
pub fn find_on_path(name: &str, path_var: Option<OsString>) -> Option<PathBuf> {
    let path_var = path_var?;
    std::env::split_paths(&path_var)
        .map(|dir| dir.join(name))
        .find(|p| paths::is_executable(p))
}

/// Reads a core's version: `terraform version -json`, falling back to parsing
/// the first line of `terraform version` (`Terraform v1.0.3`).
pub fn core_version(path: &Path) -> Result<Version, CoreError> {
    let err = |reason: String| CoreError::Version {
        path: path.to_path_buf(),
        reason,
    };
    let run = |args: &[&str]| {
        let mut cmd = Command::new(path);
        cmd.args(args)
            .stdin(Stdio::null())
            .env("CHECKPOINT_DISABLE", "1");
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("TF_") {
                cmd.env_remove(k);
            }
        }
        cmd.output()
    };
    let out = run(&["version", "-json"]).map_err(|e| err(e.to_string()))?;
    if out.status.success() {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
            if let Some(version) = v
                .get("terraform_version")
                .and_then(|v| v.as_str())
                .and_then(Version::parse)
            {
                return Ok(version);
            }
        }
    }
    let out = run(&["version"]).map_err(|e| err(e.to_string()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_version_text(&text).ok_or_else(|| {
        err(format!(
            "unrecognised `terraform version` output: {:?}",
            text.lines().next().unwrap_or("")
        ))
    })
}

/// Parses the version out of plain `terraform version` output
/// (`Terraform v1.0.3\non linux_amd64\n...`).
pub fn parse_version_text(text: &str) -> Option<Version> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Terraform "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(Version::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(Version::parse("1.0.3"), Some(Version::new(1, 0, 3)));
        assert_eq!(Version::parse("v1.11.4"), Some(Version::new(1, 11, 4)));
        let beta = Version::parse("1.8.0-beta1").unwrap();
        assert_eq!(beta.pre.as_deref(), Some("beta1"));
        assert!(beta < Version::new(1, 8, 0));
        assert!(Version::parse("1.2").is_none());
        assert!(Version::parse("x.y.z").is_none());
        assert_eq!(
            parse_version_text("Terraform v1.0.3\non linux_amd64\n"),
            Some(Version::new(1, 0, 3))
        );
        assert_eq!(
            parse_version_text("Terraform v1.5.0-dev\n"),
            Version::parse("1.5.0-dev")
        );
    }

    #[test]
    fn feature_gates() {
        let core = |v: &str| Core {
            path: PathBuf::from("/x"),
            version: Version::parse(v).unwrap(),
        };
        let old = core("1.0.3");
        assert!(!old.supports(Feature::PlanDestroy));
        assert!(!old.supports(Feature::TerraformData));
        assert!(core("1.3.0").supports(Feature::PlanDestroy));
        assert!(!core("1.3.9").supports(Feature::TerraformData));
        assert!(core("1.4.0-rc1").supports(Feature::TerraformData));
        assert!(core("1.5.7").supports(Feature::ImportBlocks));
        assert!(!core("1.6.6").supports(Feature::RemovedBlocks));
        assert!(core("1.11.4").supports(Feature::RemovedBlocks));
    }
}
