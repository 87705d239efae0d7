#!/usr/bin/env bash
# Build the nextguard VS Code extension and package it as a .vsix (Node 20, npm).
#   ./build.sh [OUT.vsix]      default: ./nextguard-<version>.vsix
# Steps: npm ci (skipped when node_modules already matches package-lock.json), copy the config
# schema from ../../schemas/, tsc --noEmit, esbuild bundle (dist/extension.js, vscode-languageclient
# inlined), vsce package --no-dependencies.
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

# Ship the configuration schema inside the extension (contributes.jsonValidation for nextguard.json).
SCHEMA=${SCHEMA:-$HERE/../../schemas/nextguard.schema.json}
mkdir -p schemas
if [ -f "$SCHEMA" ]; then
  cp "$SCHEMA" schemas/nextguard.schema.json
elif [ ! -f schemas/nextguard.schema.json ]; then
  echo "build.sh: $SCHEMA not found (set SCHEMA=/path/to/nextguard.schema.json)" >&2; exit 2
fi

t npx --no-install tsc --noEmit -p .
rm -rf dist
t npm run -s build
# relative README links stay relative: the images ship inside the .vsix (no public repository URL yet)
t npx --no-install vsce package --no-dependencies --allow-missing-repository --no-rewrite-relative-links --out "$OUT"
echo "built $OUT ($(du -k "$OUT" | cut -f1) KB)"
