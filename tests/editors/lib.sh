# Sourced by each editor's run.sh. Sets up a private copy of the example app and a `nextguard`
# wrapper on PATH, so the editor configs from clients/ are used exactly as shipped
# (they all start `nextguard lsp` from PATH).
#
#   NEXTGUARD_PYTHON      interpreter with nextguard installed (default: python3); the wrapper runs
#                         `$NEXTGUARD_PYTHON -m nextguard "$@"`
#   NEXTGUARD_SERVER_CMD  instead: a JSON list, the whole server command (for debugging the harness)
#   NG_EDITORS            where tests/editors/install.sh put the editors (default /tmp/nextguard-editors)
#   ARTIFACTS             where screenshots and logs go (default <repo>/test-artifacts)
#   KEEP=1                keep the work folder
EDITORS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$EDITORS_DIR/../.." && pwd)
EXAMPLE=$REPO/examples/acme-notes
NG_EDITORS=${NG_EDITORS:-/tmp/nextguard-editors}
ARTIFACTS=${ARTIFACTS:-$REPO/test-artifacts}
REL_FILE=src/app/actions/notes.ts          # the file every editor test opens
NEXTGUARD_PYTHON=${NEXTGUARD_PYTHON:-python3}

# make_work NAME: WORK=<temp dir>, APP=$WORK/app (copy of the example), PATH=$WORK/bin:$PATH
make_work() {
  WORK=$(mktemp -d "/tmp/ng-$1.XXXXXX")
  APP=$WORK/app
  cp -r "$EXAMPLE" "$APP"
  rm -rf "$APP/node_modules" "$APP/.next"
  # a project is a Git repository: eglot (project.el) and Helix take the workspace root from it
  git -C "$APP" init -q
  mkdir -p "$WORK/bin" "$WORK/tmp" "$ARTIFACTS"
  local cmd
  if [ -n "${NEXTGUARD_SERVER_CMD:-}" ]; then
    cmd=$(python3 -c 'import json, shlex, sys; print(shlex.join(json.loads(sys.argv[1])))' "$NEXTGUARD_SERVER_CMD")
  else
    local py
    py=$(command -v "$NEXTGUARD_PYTHON") || { echo "lib.sh: $NEXTGUARD_PYTHON not found" >&2; return 1; }
    # resolved now: the editor may run the wrapper with another PATH
    cmd="$(printf '%q' "$py") -m nextguard \"\$@\""
  fi
  # the server's stderr goes to a log so a failing run can show it
  printf '#!/bin/sh\nexec %s 2>>%q\n' "$cmd" "$WORK/server-stderr.log" > "$WORK/bin/nextguard"
  chmod +x "$WORK/bin/nextguard"
  export PATH="$WORK/bin:$PATH"
  export NEXTGUARD_TEST_FILE="$APP/$REL_FILE"
}

cleanup_work() {
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}

# check_fixed: the file on disk has `await verifySession()` inside archiveNote, before its data access
check_fixed() {
  python3 "$EDITORS_DIR/check_fix.py" "$EXAMPLE/$REL_FILE" "$APP/$REL_FILE"
}

show_server_log() {
  if [ -s "$WORK/server-stderr.log" ]; then
    echo "--- server stderr (tail):"; tail -30 "$WORK/server-stderr.log"
  fi
}
