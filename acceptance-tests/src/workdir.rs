//! Temporary directories for one test on one core.
//!
//! Layout of a [`Workdir`] (a temp dir, removed on drop unless
//! `TF_ACC_KEEP_WORKDIR` is set):
//!
//! ```text
//! <root>/cli.tfrc            CLI config (TF_CLI_CONFIG_FILE) with dev_overrides
//! <root>/plugins/terraform-provider-eks -> the provider binary (symlink)
//! <root>/config/             the test's configuration; Terraform runs here
//! <root>/import-N/           fresh directories for import-verify
//! <root>/out/                stdout/stderr of every Terraform run
//! <root>/terraform.log       TF_LOG=debug output when TF_ACC_LOG is set
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::terraform::TerraformError;

/// The provider's source address on Terraform's registry, as `dev_overrides`
/// needs it (see [`crate::Core::provider_source`] for OpenTofu's).
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/cmkguard/eks";
/// The executable name Terraform looks for in the override directory.
pub const PROVIDER_EXECUTABLE: &str = "terraform-provider-eks";

/// A temporary directory tree for one test on one core.
#[derive(Debug)]
pub struct Workdir {
    root: tempfile::TempDir,
    counter: AtomicUsize,
}

impl Workdir {
    /// Creates the tree and the CLI config, whose `dev_overrides` name
    /// `provider_source` (the core's registry host matters: see
    /// [`crate::Core::provider_source`]). With `provider_bin`, the override
    /// directory gets a `terraform-provider-eks` symlink to it (so the binary's
    /// own name and neighbours do not matter).
    pub fn new(label: &str, provider_source: &str, provider_bin: Option<&Path>) -> Result<Self> {
        let prefix: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let mut root = tempfile::Builder::new()
            .prefix(&format!("tfacc-{prefix}-"))
            .tempdir()
            .map_err(|e| Error::io("creating a temporary directory", e))?;
        if std::env::var_os("TF_ACC_KEEP_WORKDIR").is_some_and(|v| !v.is_empty()) {
            root.disable_cleanup(true);
        }
        let wd = Workdir {
            root,
            counter: AtomicUsize::new(0),
        };
        for dir in [wd.plugin_dir(), wd.config_dir(), wd.out_dir()] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        }
        if let Some(bin) = provider_bin {
            let bin = std::path::absolute(bin).unwrap_or_else(|_| bin.to_path_buf());
            let link = wd.plugin_dir().join(PROVIDER_EXECUTABLE);
            std::os::unix::fs::symlink(&bin, &link).map_err(|e| {
                Error::io(
                    format!("linking {} to {}", link.display(), bin.display()),
                    e,
                )
            })?;
        }
        let cli = cli_config(provider_source, &wd.plugin_dir());
        std::fs::write(wd.cli_config(), cli)
            .map_err(|e| Error::io(format!("writing {}", wd.cli_config().display()), e))?;
        Ok(wd)
    }

    /// The root of the tree.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The directory Terraform runs in.
    pub fn config_dir(&self) -> PathBuf {
        self.root().join("config")
    }

    /// The `dev_overrides` directory.
    pub fn plugin_dir(&self) -> PathBuf {
        self.root().join("plugins")
    }

    /// Where Terraform's stdout/stderr files go.
    pub fn out_dir(&self) -> PathBuf {
        self.root().join("out")
    }

    /// The CLI config file (`TF_CLI_CONFIG_FILE`).
    pub fn cli_config(&self) -> PathBuf {
        self.root().join("cli.tfrc")
    }

    /// The `TF_LOG_PATH` used when `TF_ACC_LOG` is set.
    pub fn log_path(&self) -> PathBuf {
        self.root().join("terraform.log")
    }

    /// Creates a fresh, empty configuration directory `<root>/<name>-N`.
    pub fn new_config_dir(&self, name: &str) -> Result<PathBuf> {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let dir = self.root().join(format!("{name}-{n}"));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Ok(dir)
    }

    /// Writes `main.tf` in `dir` (replacing it).
    pub fn write_main(&self, dir: &Path, contents: &str) -> Result<()> {
        let path = dir.join("main.tf");
        std::fs::write(&path, contents)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }
}

/// The CLI config text: `dev_overrides` for the provider (`source`, a full
/// address such as [`PROVIDER_SOURCE`]), `direct {}` for the rest.
pub fn cli_config(source: &str, plugin_dir: &Path) -> String {
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{source}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        plugin_dir.display()
    )
}

/// The provider binary to test (see [`crate::paths::provider_binary`]); an
/// error saying to run `cargo build` when it does not exist.
pub fn provider_binary() -> Result<PathBuf, TerraformError> {
    let path = crate::paths::provider_binary();
    if crate::paths::is_executable(&path) {
        Ok(path)
    } else {
        Err(TerraformError::ProviderMissing { path })
    }
}
