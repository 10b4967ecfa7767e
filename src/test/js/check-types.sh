#!/bin/sh
# The browser client's types: TypeScript checks status-stream.js against status-stream.d.ts (the
# module's JSDoc names the declared types), and compiles types/consumer.ts, which imports the
# package by its name as a front-end team's code would (package.json's exports and types). Maven's
# test phase runs it (exec-maven-plugin in pom.xml); without node and npm it is skipped.
case "$0" in */*) cd "${0%/*}" || exit 1 ;; esac
. ./npm-tools.sh
npm_tools_ready "the browser client's type check" || exit 0
echo "[status-stream] the browser client's types: tsc -p src/test/js/tsconfig.json ($(node_modules/.bin/tsc --version))"
exec node_modules/.bin/tsc -p tsconfig.json
