#!/bin/sh
# Runs the browser client's tests (src/test/js/*.test.mjs) with Node's built-in test runner.
# Maven's test phase calls it (exec-maven-plugin in pom.xml), so a failing test fails the build.
# Node is not a build requirement: where no node (18 or newer) is on the PATH, the tests are
# skipped with a message, and the build goes on.
case "$0" in */*) cd "${0%/*}" || exit 1 ;; esac
if ! command -v node >/dev/null 2>&1; then
  echo "[status-stream] SKIPPED the browser client's tests: no 'node' on the PATH (install Node 18+ to run them)"
  exit 0
fi
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 18 ]; then
  echo "[status-stream] SKIPPED the browser client's tests: node $(node --version) is older than 18"
  exit 0
fi
echo "[status-stream] the browser client's tests: node --test src/test/js/*.test.mjs (node $(node --version))"
exec node --test --test-reporter=spec ./*.test.mjs
