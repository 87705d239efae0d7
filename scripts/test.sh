#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install the package with its test dependencies, then
# lint, type-check and run every test. Exits non-zero on any failure, and when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 -m ruff check server tests bench
python3 -m ruff format --check server tests bench
python3 -m mypy
lint-imports --no-cache
status=0
python3 -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "scripts/test.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
