# Sourced by the build's checks that need Node tools (check-types.sh, lint-openapi.sh): installs
# the versions package-lock.json pins into node_modules, again only when the lock file changed.
# npm_tools_ready "<what is checked>" returns 1, after saying that the check is skipped, where node
# or npm is missing; a failed install fails the check (the registry is needed once).
npm_tools_ready() {
  for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "[status-stream] SKIPPED $1: no '$tool' on the PATH (install Node 20+ with npm to run it)"
      return 1
    fi
  done
  if ! cmp -s package-lock.json node_modules/.installed-lock.json 2>/dev/null; then
    echo "[status-stream] installing the build's Node tools (npm ci in src/test/js)"
    npm ci --no-audit --no-fund --loglevel=error || {
      echo "[status-stream] npm ci failed in src/test/js: $1 cannot run" >&2
      exit 1
    }
    cp package-lock.json node_modules/.installed-lock.json
  fi
}
