# Shared helpers for the scripts in this folder. Source it; don't run it.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CHECKPOINT_DISABLE=1

# Messages. A script that sets SCRIPT_NAME before sourcing this file gets "NAME: ...",
# "NAME: WARNING: ..." and "NAME: ERROR: ..."; without it, "==> ..." and "error: ...".
# SAY_FD=2 sends say to stderr (for a script whose stdout is data); DIE_STATUS is die's
# exit status (default 1).
say() {
  if [ -n "${SCRIPT_NAME:-}" ]; then printf '%s: %s\n' "$SCRIPT_NAME" "$*"; else printf '==> %s\n' "$*"; fi >&"${SAY_FD:-1}"
}
warn() { printf '%s: WARNING: %s\n' "${SCRIPT_NAME:-warning}" "$*" >&2; }
die() {
  if [ -n "${SCRIPT_NAME:-}" ]; then printf '%s: ERROR: %s\n' "$SCRIPT_NAME" "$*"; else printf 'error: %s\n' "$*"; fi >&2
  exit "${DIE_STATUS:-1}"
}

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

# The one Python floor of every script here: the emulator and the tools' venvs (install-deps),
# the quickstart, the tests, the docs generator and the release's binary checks. Change it here.
PYTHON_FLOOR=3.10

# python_meets_floor PYTHON: whether the interpreter PYTHON is Python $PYTHON_FLOOR or newer.
python_meets_floor() {
  "$1" -c "import sys; sys.exit(0 if sys.version_info[:2] >= tuple(int(p) for p in '$PYTHON_FLOOR'.split('.')) else 1)" \
    >/dev/null 2>&1
}

# need_python [PYTHON]: fail with a clear message unless PYTHON (default python3) is on PATH
# and is Python $PYTHON_FLOOR or newer.
need_python() {
  local py="${1:-python3}" version
  command -v "$py" >/dev/null 2>&1 \
    || die "'$py' was not found on PATH. Install Python $PYTHON_FLOOR or newer with the venv module (Debian: apt-get install python3 python3-venv)."
  if ! python_meets_floor "$py"; then
    version="$("$py" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo 'of an unknown version')"
    die "'$py' is Python $version; Python $PYTHON_FLOOR or newer is needed (set PYTHON to another interpreter for scripts/install-deps)."
  fi
}
