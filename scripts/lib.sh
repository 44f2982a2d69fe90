# Shared helpers for the scripts in this folder. Source it; don't run it.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CHECKPOINT_DISABLE=1

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# need TOOL HINT: fail with a clear message when TOOL is missing.
need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed. $2"
}

# The cargo target directory (shared when CARGO_TARGET_DIR is set).
target_dir() {
  if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    printf '%s\n' "$CARGO_TARGET_DIR"
  else
    printf '%s\n' "$REPO_ROOT/target"
  fi
}
