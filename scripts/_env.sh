# Shared by scripts/run, scripts/test and scripts/bench: create or update the virtual environment.
# Re-installs only when a requirements file changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3.11}"
command -v "$PYTHON_BIN" >/dev/null 2>&1 || PYTHON_BIN=python3

ensure_env() {
  local reqs=("$@")
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating virtual environment in $VENV" >&2
    "$PYTHON_BIN" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  fi
  local stamp="$VENV/.installed-$(cat "${reqs[@]/#/$ROOT/}" "$ROOT/requirements.txt" | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "Installing requirements ($(IFS=,; echo "${reqs[*]}"))" >&2
    for r in "${reqs[@]}"; do
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/$r" >&2
    done
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
  export FLASK_APP=server.wsgi
  cd "$ROOT"
}

# wrk, the benchmark's load generator, comes from the system's packages (Debian: apt-get).
# strict=1: fail when it cannot be installed (scripts/bench); otherwise just say so (scripts/test,
# whose benchmark smoke test then reports itself skipped).
ensure_wrk() {
  local strict="${1:-0}"
  command -v wrk >/dev/null 2>&1 && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if command -v apt-get >/dev/null 2>&1; then
    echo "Installing wrk (the benchmark's load generator)" >&2
    { $sudo apt-get install -y -qq wrk >/dev/null 2>&1 ||
      { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq wrk >/dev/null 2>&1; }; } || true
  fi
  command -v wrk >/dev/null 2>&1 && return 0
  echo "wrk could not be installed" >&2
  [ "$strict" = 1 ] && return 1
  return 0
}

# pdftoppm (poppler-utils) renders the signed letter in a test, with no system font to fall back on.
# Like wrk: installed from the system's packages when possible; the test says it skipped otherwise.
# A command from the system's packages (Debian: apt-get), for tests that need it; a test whose tool
# could not be installed says it skipped.
ensure_apt_tool() {  # command, package, why
  command -v "$1" >/dev/null 2>&1 && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if command -v apt-get >/dev/null 2>&1; then
    echo "Installing $2 ($3)" >&2
    { $sudo apt-get install -y -qq "$2" >/dev/null 2>&1 ||
      { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq "$2" >/dev/null 2>&1; }; } || true
  fi
  command -v "$1" >/dev/null 2>&1 || echo "$2 could not be installed" >&2
  return 0
}

ensure_pdftoppm() {
  ensure_apt_tool pdftoppm poppler-utils "renders the letter in a test"
}

# The staff console's third-party scripts (jsQR; axe-core for its tests) from the npm registry, with
# the committed lockfile. Without npm the console still works, minus the camera scanner.
ensure_console_assets() {
  local dir="$ROOT/server/console"
  local stamp="$dir/node_modules/.installed-$(sha256sum "$dir/package-lock.json" | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: the staff console runs without its QR scanner" >&2
    return 0
  fi
  echo "Installing the staff console's scripts (npm ci)" >&2
  (cd "$dir" && npm ci --silent --no-audit --no-fund >&2) && touch "$stamp"
}

# Chromium for the browser tests, from the system's packages (Debian: apt-get), like wrk, with a
# Chinese font so that the screenshots show text, not boxes.
ensure_chromium() {
  command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q . && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium (the browser tests' browser)" >&2
    { $sudo apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1 ||
      { $sudo apt-get update -qq >/dev/null 2>&1 &&
        $sudo apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1; }; } || true
  fi
  command -v chromium >/dev/null 2>&1 || echo "chromium could not be installed: the browser tests will be skipped" >&2
  return 0
}
