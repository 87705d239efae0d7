#!/usr/bin/env bash
# Build the nextguard VS Code extension and package it as a .vsix (Node 20, npm).
#   ./build.sh [OUT.vsix]      default: ./nextguard-<version>.vsix
# The same path as `npm ci && npx @vscode/vsce package` in a clean copy of this folder (what
# tests/test_clients.py checks): vsce runs the `vscode:prepublish` script (tsc --noEmit, then the
# esbuild bundle dist/extension.js with vscode-languageclient inlined) and takes its options from
# the "vsce" key of package.json (no node_modules in the package, README links left relative).
# The only difference: `npm ci` is skipped when node_modules already matches package-lock.json.
# The config schema ships from schemas/nextguard.schema.json in this folder, a committed copy of
# ../../schemas/nextguard.schema.json (tests/test_clients.py checks they are the same).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
VERSION=$(node -p 'require("./package.json").version')
OUT=${1:-$HERE/nextguard-$VERSION.vsix}
t() { local s=$SECONDS; "$@"; echo "  [$(( SECONDS - s ))s] $*" >&2; }

STAMP=node_modules/.nextguard-lock
if ! cmp -s package-lock.json "$STAMP" 2>/dev/null; then
  t npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$STAMP"
fi

rm -rf dist
t npx --no-install vsce package --out "$OUT"
echo "built $OUT ($(du -k "$OUT" | cut -f1) KB)"
