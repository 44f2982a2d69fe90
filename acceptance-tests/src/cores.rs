//! Discovering Terraform and OpenTofu cores and the features their versions
//! gate.
//!
//! By default the cores are every core `scripts/install-deps` put under
//! `<repo>/.cache/cores/<name>-<version>/` (Terraform 1.0.3 and 1.5.7,
//! OpenTofu 1.8 and the newest OpenTofu), plus `terraform` and `tofu` on
//! `PATH` when they exist. `TF_ACC_CORES` (a colon- or comma-separated list of
//! binaries, relative to the repository root, or of names looked up on `PATH`)
//! adds cores to that list, for
//! example a current Terraform built by hand; with `TF_ACC_CORES_ONLY=1` it
//! replaces the list. Two binaries of the same kind and version count once.
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

/// Which program a core is: they share the plugin protocol but not their
/// version numbers, registry host or every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// HashiCorp Terraform (`terraform`).
    Terraform,
    /// OpenTofu (`tofu`), forked from Terraform 1.6.
    OpenTofu,
}

impl Kind {
    /// The command's name: `terraform` or `tofu`.
    pub const fn command(self) -> &'static str {
        match self {
            Kind::Terraform => "terraform",
            Kind::OpenTofu => "tofu",
        }
    }

    /// The registry host a bare `cmkguard/eks` source resolves to: OpenTofu
    /// reads `source = "cmkguard/eks"` as `registry.opentofu.org/cmkguard/eks`,
    /// so its `dev_overrides` must name that host.
    pub const fn default_registry(self) -> &'static str {
        match self {
            Kind::Terraform => "registry.terraform.io",
            Kind::OpenTofu => "registry.opentofu.org",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Terraform => "Terraform",
            Kind::OpenTofu => "OpenTofu",
        })
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
    /// `terraform test` with `mock_provider`: Terraform 1.7, OpenTofu 1.8.
    TestMocks,
    /// `lifecycle { destroy = false }` inside a `removed` block: Terraform 1.7
    /// (which requires it), OpenTofu 1.10. OpenTofu 1.7 to 1.9 have `removed`
    /// blocks without a `lifecycle` block (they always forget) and reject one
    /// with "Blocks of type \"lifecycle\" are not expected here".
    RemovedBlockLifecycle,
    /// Resource identity (GetResourceIdentitySchemas, identity in state and
    /// `import { identity = {...} }`): Terraform 1.12 (protocol 6.9),
    /// OpenTofu 1.12.
    ResourceIdentity,
    /// List resources and `terraform query` (`.tfquery.hcl` files,
    /// `-generate-config-out`): Terraform 1.14. OpenTofu has none.
    Query,
    /// Actions (`action` blocks, `-invoke`, `lifecycle.action_trigger`):
    /// Terraform 1.14. OpenTofu has none.
    Actions,
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
            Feature::TestMocks => Version::new(1, 7, 0),
            Feature::RemovedBlockLifecycle => Version::new(1, 7, 0),
            // Terraform v1.12.0's tfplugin6 is protocol 6.9, the first with
            // GetResourceIdentitySchemas and identity in state.
            Feature::ResourceIdentity => Version::new(1, 12, 0),
            // Terraform v1.14.0: `terraform query`, list blocks and actions
            // (protocol 6.10's ListResource and InvokeAction).
            Feature::Query | Feature::Actions => Version::new(1, 14, 0),
        }
    }

    /// The first version of `kind` with the feature, or None when no
    /// version of `kind` has it. OpenTofu forked from Terraform 1.6, so it
    /// has every feature up to 1.6 from its first release (1.6.0); `removed`
    /// blocks and `for_each` in `import` blocks arrived in OpenTofu 1.7 (its
    /// 1.7.0 changelog).
    pub const fn min_version_of(self, kind: Kind) -> Option<Version> {
        match kind {
            Kind::Terraform => Some(self.min_version()),
            Kind::OpenTofu => match self {
                Feature::PlanDestroy | Feature::TerraformData | Feature::ImportBlocks => {
                    Some(Version::new(1, 6, 0))
                }
                Feature::RemovedBlocks | Feature::ImportForEach => Some(Version::new(1, 7, 0)),
                // OpenTofu 1.8.0's changelog: "provider mocking in tofu test".
                Feature::TestMocks => Some(Version::new(1, 8, 0)),
                // internal/configs/removed.go reads `lifecycle` from v1.10.0 on
                // (absent in v1.9.4's source).
                Feature::RemovedBlockLifecycle => Some(Version::new(1, 10, 0)),
                // OpenTofu 1.12.0's changelog: resource identity and `import`
                // blocks with `identity`.
                Feature::ResourceIdentity => Some(Version::new(1, 12, 0)),
                // OpenTofu (through 1.12.6) parses no `list` or `action`
                // blocks and never calls ListResource or InvokeAction.
                Feature::Query | Feature::Actions => None,
            },
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
            Feature::TestMocks => "test with mock_provider",
            Feature::RemovedBlockLifecycle => "lifecycle in removed blocks",
            Feature::ResourceIdentity => "resource identity",
            Feature::Query => "terraform query (list resources)",
            Feature::Actions => "actions",
        };
        write!(f, "{name} (Terraform >= {}, ", self.min_version())?;
        match self.min_version_of(Kind::OpenTofu) {
            Some(v) => write!(f, "OpenTofu >= {v})"),
            None => f.write_str("not in OpenTofu)"),
        }
    }
}

/// One Terraform or OpenTofu binary, its kind and its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Core {
    /// Absolute path of the binary.
    pub path: PathBuf,
    /// Terraform or OpenTofu.
    pub kind: Kind,
    /// Its version.
    pub version: Version,
}

impl Core {
    /// Whether this core has `feature`.
    pub fn supports(&self, feature: Feature) -> bool {
        feature
            .min_version_of(self.kind)
            .is_some_and(|min| self.version.at_least(min.major, min.minor))
    }

    /// Whether this is OpenTofu.
    pub fn is_opentofu(&self) -> bool {
        self.kind == Kind::OpenTofu
    }

    /// `terraform 1.0.3 (/path/to/terraform)` or `tofu 1.12.6 (...)`, for
    /// test output.
    pub fn label(&self) -> String {
        format!(
            "{} {} ({})",
            self.kind.command(),
            self.version,
            self.path.display()
        )
    }

    /// A short name usable in a test or directory name: `tf1.0.3`,
    /// `tofu1.12.6`.
    pub fn slug(&self) -> String {
        match self.kind {
            Kind::Terraform => format!("tf{}", self.version),
            Kind::OpenTofu => format!("tofu{}", self.version),
        }
    }

    /// The provider's full source address for this core's default registry
    /// (what `dev_overrides` and `terraform providers schema -json` use).
    pub fn provider_source(&self) -> String {
        format!("{}/cmkguard/eks", self.kind.default_registry())
    }
}

/// Failures discovering cores.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Nothing to run on.
    #[error(
        "no Terraform or OpenTofu core found (looked for {searched}). Install the pinned \
         cores with `scripts/install-deps` (they go to {cache}/<name>-<version>/), put a \
         `terraform` or `tofu` binary on PATH, or set TF_ACC_CORES=/path/to/terraform[:...]"
    )]
    NoneFound {
        /// What was looked for.
        searched: String,
        /// Where `scripts/install-deps` installs the cores.
        cache: PathBuf,
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

/// Where to look for cores: [`discover_from`]'s inputs.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The value of `TF_ACC_CORES` (unset or blank: no extra cores).
    pub extra: Option<String>,
    /// `TF_ACC_CORES_ONLY=1`: the extra cores replace the default list.
    pub only_extra: bool,
    /// The `PATH` to search for `terraform` and `tofu`.
    pub path_var: Option<OsString>,
    /// The directory `scripts/install-deps` installs cores into.
    pub cache: PathBuf,
}

/// Finds the cores to test on, sorted by kind then oldest first, each with
/// its kind and version.
///
/// Reads `TF_ACC_CORES`, `TF_ACC_CORES_ONLY` and `PATH` from the environment;
/// see [`discover_from`].
pub fn discover() -> Result<Vec<Core>, CoreError> {
    discover_from(&Sources {
        extra: std::env::var("TF_ACC_CORES").ok(),
        only_extra: std::env::var("TF_ACC_CORES_ONLY").is_ok_and(|v| v == "1"),
        path_var: std::env::var_os("PATH"),
        cache: paths::cores_dir(),
    })
}

/// [`discover`] with its inputs explicit.
pub fn discover_from(src: &Sources) -> Result<Vec<Core>, CoreError> {
    let mut candidates = Vec::new();
    let mut searched = Vec::new();
    let extra = src
        .extra
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if !(src.only_extra && extra.is_some()) {
        searched.push(format!("{}/*/{{terraform,tofu}}", src.cache.display()));
        candidates.extend(cached_cores(&src.cache));
        for name in ["terraform", "tofu"] {
            searched.push(format!("`{name}` on PATH"));
            candidates.extend(find_on_path(name, src.path_var.clone()));
        }
    }
    if let Some(list) = extra {
        for entry in list
            .split([':', ','])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let path = if entry.contains('/') {
                // Relative paths are taken from the repository root (cargo
                // runs the tests in acceptance-tests/).
                let p = PathBuf::from(entry);
                if p.is_relative() {
                    paths::repo_root().join(p)
                } else {
                    p
                }
            } else {
                find_on_path(entry, src.path_var.clone()).unwrap_or_else(|| PathBuf::from(entry))
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

    let mut seen = Vec::new();
    let mut cores = Vec::new();
    for path in candidates {
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.contains(&canonical) {
            continue;
        }
        seen.push(canonical);
        let path = std::path::absolute(&path).unwrap_or(path);
        let (kind, version) = core_version(&path)?;
        cores.push(Core {
            path,
            kind,
            version,
        });
    }
    if cores.is_empty() {
        return Err(CoreError::NoneFound {
            searched: searched.join(", "),
            cache: src.cache.clone(),
        });
    }
    cores.sort_by(|a, b| (a.kind, &a.version).cmp(&(b.kind, &b.version)));
    // Two different binaries of the same kind and version add nothing.
    cores.dedup_by(|a, b| a.kind == b.kind && a.version == b.version);
    Ok(cores)
}

/// The executables `<cache>/<name>-<version>/{terraform,tofu}`, in name order
/// (directories still being built start with a dot and are skipped).
fn cached_cores(cache: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .flat_map(|e| [e.path().join("terraform"), e.path().join("tofu")])
        .filter(|p| paths::is_executable(p))
        .collect();
    found.sort();
    found
}

/// Looks `name` up on a `PATH` value.
pub fn find_on_path(name: &str, path_var: Option<OsString>) -> Option<PathBuf> {
    let path_var = path_var?;
    std::env::split_paths(&path_var)
        .map(|dir| dir.join(name))
        .find(|p| paths::is_executable(p))
}

/// Reads a core's kind and version from the first line of `<core> version`
/// (`Terraform v1.0.3`, `OpenTofu v1.12.6`), which every release prints.
pub fn core_version(path: &Path) -> Result<(Kind, Version), CoreError> {
    let err = |reason: String| CoreError::Version {
        path: path.to_path_buf(),
        reason,
    };
    let mut cmd = Command::new(path);
    cmd.arg("version")
        .stdin(Stdio::null())
        .env("CHECKPOINT_DISABLE", "1");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("TF_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.output().map_err(|e| err(e.to_string()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_version_text(&text).ok_or_else(|| {
        err(format!(
            "unrecognised `version` output: {:?}",
            text.lines().next().unwrap_or("")
        ))
    })
}

/// Parses the kind and version out of plain `version` output
/// (`Terraform v1.0.3\non linux_amd64\n...` or `OpenTofu v1.12.6\n...`).
pub fn parse_version_text(text: &str) -> Option<(Kind, Version)> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let (kind, rest) = if let Some(rest) = l.strip_prefix("Terraform ") {
            (Kind::Terraform, rest)
        } else {
            (Kind::OpenTofu, l.strip_prefix("OpenTofu ")?)
        };
        let version = Version::parse(rest.split_whitespace().next()?)?;
        Some((kind, version))
    })
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
            Some((Kind::Terraform, Version::new(1, 0, 3)))
        );
        assert_eq!(
            parse_version_text("Terraform v1.5.0-dev\n"),
            Version::parse("1.5.0-dev").map(|v| (Kind::Terraform, v))
        );
        assert_eq!(
            parse_version_text("OpenTofu v1.12.6\non linux_amd64\n"),
            Some((Kind::OpenTofu, Version::new(1, 12, 6)))
        );
        assert_eq!(parse_version_text("Something v1.2.3\n"), None);
    }

    #[test]
    fn feature_gates() {
        let core = |v: &str| Core {
            path: PathBuf::from("/x"),
            kind: Kind::Terraform,
            version: Version::parse(v).unwrap(),
        };
        let tofu = |v: &str| Core {
            kind: Kind::OpenTofu,
            ..core(v)
        };
        assert!(tofu("1.6.0").supports(Feature::ImportBlocks));
        assert!(tofu("1.6.2").supports(Feature::PlanDestroy));
        assert!(!tofu("1.6.2").supports(Feature::RemovedBlocks));
        assert!(tofu("1.8.11").supports(Feature::ImportForEach));
        assert!(!tofu("1.9.4").supports(Feature::RemovedBlockLifecycle));
        assert!(tofu("1.10.0").supports(Feature::RemovedBlockLifecycle));
        assert!(core("1.7.0").supports(Feature::RemovedBlockLifecycle));
        assert_eq!(tofu("1.8.11").slug(), "tofu1.8.11");
        assert_eq!(
            tofu("1.8.11").provider_source(),
            "registry.opentofu.org/cmkguard/eks"
        );
        let old = core("1.0.3");
        assert!(!old.supports(Feature::PlanDestroy));
        assert!(!old.supports(Feature::TerraformData));
        assert!(core("1.3.0").supports(Feature::PlanDestroy));
        assert!(!core("1.3.9").supports(Feature::TerraformData));
        assert!(core("1.4.0-rc1").supports(Feature::TerraformData));
        assert!(core("1.5.7").supports(Feature::ImportBlocks));
        assert!(!core("1.6.6").supports(Feature::RemovedBlocks));
        assert!(core("1.11.4").supports(Feature::RemovedBlocks));
        assert!(!core("1.11.4").supports(Feature::ResourceIdentity));
        assert!(core("1.12.0").supports(Feature::ResourceIdentity));
        assert!(!core("1.13.5").supports(Feature::Query));
        assert!(!core("1.13.5").supports(Feature::Actions));
        assert!(core("1.14.0").supports(Feature::Query));
        assert!(core("1.15.9-dev").supports(Feature::Actions));
        assert!(!tofu("1.11.2").supports(Feature::ResourceIdentity));
        assert!(tofu("1.12.6").supports(Feature::ResourceIdentity));
        assert!(!tofu("1.12.6").supports(Feature::Query));
        assert!(!tofu("99.0.0").supports(Feature::Actions));
        assert_eq!(Feature::Query.min_version_of(Kind::OpenTofu), None);
        assert_eq!(
            Feature::ResourceIdentity.min_version_of(Kind::OpenTofu),
            Some(Version::new(1, 12, 0))
        );
        assert_eq!(
            Feature::Actions.to_string(),
            "actions (Terraform >= 1.14.0, not in OpenTofu)"
        );
        assert_eq!(
            Feature::ImportBlocks.to_string(),
            "import blocks (Terraform >= 1.5.0, OpenTofu >= 1.6.0)"
        );
    }
}
