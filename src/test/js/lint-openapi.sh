#!/bin/sh
# Lints the API description, src/main/resources/META-INF/openapi.yaml, with Redocly CLI's
# recommended rules (redocly.yaml; the version is pinned in package-lock.json). Maven's test phase
# runs it (exec-maven-plugin in pom.xml); without node and npm it is skipped.
case "$0" in */*) cd "${0%/*}" || exit 1 ;; esac
. ./npm-tools.sh
npm_tools_ready "the OpenAPI lint" || exit 0
# No telemetry and no update check: the build talks to no one but the npm registry, once.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
echo "[status-stream] the OpenAPI lint: redocly lint (recommended rules) on META-INF/openapi.yaml (Redocly CLI $(node_modules/.bin/redocly --version 2>/dev/null | tail -n 1))"
exec node_modules/.bin/redocly lint --format=stylish ../../main/resources/META-INF/openapi.yaml
