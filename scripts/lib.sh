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

# core_version BINARY: the version a Terraform or OpenTofu binary prints on its first line
# (`Terraform v1.0.3`, `OpenTofu v1.12.6`), without the v; empty when it prints neither.
core_version() {
  local out
  out="$("$1" version 2>/dev/null)" || true
  out="${out%%$'\n'*}"
  case "$out" in
    "Terraform v"*) printf '%s\n' "${out#Terraform v}" ;;
    "OpenTofu v"*) printf '%s\n' "${out#OpenTofu v}" ;;
  esac
}

# pick_core terraform|tofu|any: the path of the newest core of that kind among those
# scripts/install-deps put in .cache/cores/<name>-<version>/ and `terraform`/`tofu` on PATH
# (which may or may not exist). Prints nothing when there is none.
pick_core() {
  local kind="$1" cand v best="" best_v="" names=()
  case "$kind" in
    terraform) names=(terraform) ;;
    tofu) names=(tofu) ;;
    any) names=(terraform tofu) ;;
    *) die "pick_core: unknown kind '$kind'" ;;
  esac
  for name in "${names[@]}"; do
    for cand in "$REPO_ROOT"/.cache/cores/*/"$name" "$(command -v "$name" 2>/dev/null || true)"; do
      [ -n "$cand" ] && [ -x "$cand" ] || continue
      v="$(core_version "$cand")"
      [ -n "$v" ] || continue
      if [ -z "$best_v" ] || [ "$(printf '%s\n%s\n' "$best_v" "$v" | sort -V | tail -n1)" = "$v" ] && [ "$v" != "$best_v" ]; then
        best="$cand" best_v="$v"
      fi
    done
  done
  [ -n "$best" ] && printf '%s\n' "$best"
  return 0
}
