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
# Warnings (a missing CLI config file, say) may come first, so the first such line counts.
core_version() {
  local out line
  out="$(env -u TF_CLI_CONFIG_FILE -u TF_CLI_CONFIG "$1" version 2>/dev/null)" || true
  while IFS= read -r line; do
    case "$line" in
      "Terraform v"*) printf '%s\n' "${line#Terraform v}"; return 0 ;;
      "OpenTofu v"*) printf '%s\n' "${line#OpenTofu v}"; return 0 ;;
    esac
  done <<<"$out"
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

# go_install_pinned LABEL MODULE DEST BIN PACKAGE LDFLAGS WANT VERSION_ARG...
# Builds PACKAGE with Go from the throwaway module MODULE (a directory whose committed go.mod
# pins the version and go.sum every hash; -mod=readonly makes Go verify them) into DEST/BIN.
# The build goes to a temporary directory beside DEST and is moved into place only after
# `BIN VERSION_ARG...` printed WANT as one of its lines (Terraform and OpenTofu print CLI
# configuration warnings before their version). DEST/.stamp records the module files'
# and LDFLAGS' sha256 and the binary's sha256, so a later call reuses the build. Any failure
# stops the script with the command and the reason, and leaves no half-installed DEST.
go_install_pinned() {
  local label="$1" module="$2" dest="$3" bin="$4" pkg="$5" ldflags="$6" want_line="$7"
  shift 7
  local stamp_want tmp out line
  [ -f "$module/go.mod" ] && [ -f "$module/go.sum" ] || die "missing $module/go.mod or go.sum (the pinned $label module)."
  stamp_want="module $( (cat "$module/go.mod" "$module/go.sum"; printf '%s\n' "$ldflags") | sha256sum | cut -d' ' -f1)"
  if [ -x "$dest/$bin" ] && [ -f "$dest/.stamp" ] \
      && [ "$(sed -n 1p "$dest/.stamp")" = "$stamp_want" ] \
      && [ "$(sed -n 2p "$dest/.stamp")" = "binary $(sha256sum "$dest/$bin" | cut -d' ' -f1)" ]; then
    say "$label is already built at ${dest#"$REPO_ROOT"/}/$bin (stamp OK)."
    return 0
  fi
  command -v go >/dev/null 2>&1 \
    || die "'go' was not found on PATH; it builds $label from the Go module proxy (${module#"$REPO_ROOT"/}/go.mod names the Go version it needs)."
  say "building $label from the Go module proxy (${module#"$REPO_ROOT"/}; hashes from its go.sum) ..."
  mkdir -p "$(dirname "$dest")"
  rm -rf "$(dirname "$dest")/.building-$(basename "$dest")."*   # left by an interrupted build
  tmp="$(mktemp -d "$(dirname "$dest")/.building-$(basename "$dest").XXXXXX")"
  if ! out="$(cd "$module" && GOFLAGS="-mod=readonly -buildvcs=false" GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 \
      go build -trimpath -ldflags "$ldflags" -o "$tmp/$bin" "$pkg" 2>&1)"; then
    rm -rf "$tmp"
    die "building $label failed; nothing was installed. Command: (cd ${module#"$REPO_ROOT"/} && GOFLAGS='-mod=readonly -buildvcs=false' GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags '$ldflags' -o $bin $pkg). Go said:
$(printf '%s\n' "$out" | tail -n 20)"
  fi
  out="$(env -u TF_CLI_CONFIG_FILE -u TF_CLI_CONFIG "$tmp/$bin" "$@" 2>&1)" \
    || { rm -rf "$tmp"; die "'$bin $*' of the fresh $label build failed; nothing was installed: $out"; }
  line="$want_line"
  if ! grep -qxF -- "$want_line" <<<"$out"; then
    rm -rf "$tmp"
    die "the fresh $label build prints '$(head -n 3 <<<"$out" | tr '\n' ' ')', expected '$want_line'; nothing was installed."
  fi
  printf '%s\nbinary %s\n' "$stamp_want" "$(sha256sum "$tmp/$bin" | cut -d' ' -f1)" > "$tmp/.stamp"
  chmod 0755 "$tmp"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  say "built and checked: $line at ${dest#"$REPO_ROOT"/}/$bin."
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
