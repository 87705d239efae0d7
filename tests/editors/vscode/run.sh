#!/usr/bin/env bash
# VS Code end-to-end test: install the nextguard .vsix into code-server 4.100.3 (VS Code 1.100.3),
# drive it in Debian's headless Chromium with playwright-core: open notes.ts, wait for NG101 on
# archiveNote, open the quick-fix menu (Ctrl+.), apply the fix, save (codeActionsOnSave also runs
# source.fixAll.nextguard), then the command "Fix all problems in the workspace"; screenshots to
# $ARTIFACTS/vscode/.
#   VSIX=...                    the extension (default: clients/vscode/nextguard-<version>.vsix, built if missing)
#   UPDATE_README_IMAGES=1      also copy the diagnostic / quick-fix screenshots to clients/vscode/images/
#   MODE=not-installed          instead: no nextguard anywhere; check the one "not installed" message
set -euo pipefail
source "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
CS=$NG_EDITORS/cs/node_modules/.bin/code-server
PW_DIR=$NG_EDITORS/pw
EXT_DIR=$REPO/clients/vscode
VSIX=${VSIX:-$EXT_DIR/nextguard-$(node -p "require('$EXT_DIR/package.json').version").vsix}
[ -f "$VSIX" ] || "$EXT_DIR/build.sh" "$VSIX"
make_work vscode
W=$WORK
SHOTS=$ARTIFACTS/vscode
mkdir -p "$SHOTS" "$W/data/User" "$W/ext"
PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM -- "-$PID" 2>/dev/null || true      # the process group made by setsid below
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$PID" 2>/dev/null || true
  fi
  cleanup_work
}
trap cleanup EXIT
MODE=${MODE:-fix}
SERVER_PATH="$WORK/bin/nextguard"
if [ "$MODE" = not-installed ]; then
  SERVER_PATH=""
  rm -f "$WORK/bin/nextguard"
  # nothing on PATH, and no login shell profile that could put it back (code-server's extension
  # host re-resolves the environment from $SHELL -il)
  mkdir -p "$W/home"
  export PATH="$(dirname "$(command -v node)"):/usr/bin:/bin" HOME="$W/home" SHELL=/bin/sh
fi
cat > "$W/data/User/settings.json" <<JSON
{
  "nextguard.path": "$SERVER_PATH",
  "nextguard.trace.server": "verbose",
  "editor.codeActionsOnSave": { "source.fixAll.nextguard": "explicit" },
  "editor.codeActionsOnSaveTimeout": 5000,
  "git.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "typescript.validate.enable": false,
  "javascript.validate.enable": false,
  "security.workspace.trust.enabled": false,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "editor.minimap.enabled": false
}
JSON
printf 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n' > "$W/config.yaml"
CSARGS=(--config "$W/config.yaml" --user-data-dir "$W/data" --extensions-dir "$W/ext")
export XDG_CONFIG_HOME="$W/xdg-config" XDG_DATA_HOME="$W/xdg-data" XDG_CACHE_HOME="$W/xdg-cache"  # keep $HOME untouched
export TMPDIR="$W/tmp"   # code-server leaves vscode-ipc-*.sock, vscode-typescript*/ in $TMPDIR

start=$SECONDS
"$CS" "${CSARGS[@]}" --install-extension "$VSIX" 2>&1 | grep -v '^\[' || true
ls "$W/ext" | grep -q '^nextguard.nextguard-' || { echo "extension not installed"; echo "RESULT: FAIL"; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# nextguard.path points at lib.sh's wrapper: code-server's extension host re-resolves PATH from a
# login shell, so a PATH entry of ours would not be first there.
NEXTGUARD_DIAG_DUMP="$W/diags.json" setsid "$CS" "${CSARGS[@]}" --bind-addr "127.0.0.1:$PORT" --auth none \
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  "$APP" > "$W/code-server.log" 2>&1 &
PID=$!
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
echo "code-server up on 127.0.0.1:$PORT after $(( SECONDS - start ))s"

rc=0
if [ "$MODE" = not-installed ]; then
  PW_DIR=$PW_DIR node "$EDITORS_DIR/vscode/not-installed.mjs" "http://127.0.0.1:$PORT/?folder=$APP" "$SHOTS" || rc=$?
else
  PW_DIR=$PW_DIR node "$EDITORS_DIR/vscode/e2e.mjs" "http://127.0.0.1:$PORT/?folder=$APP" "$APP/$REL_FILE" "$SHOTS" "$W/diags.json" || rc=$?
  if [ $rc -eq 0 ]; then check_fixed || rc=1; fi
fi
OUTLOG=$(find "$W/data/logs" -name '*nextguard.log' 2>/dev/null | head -1)
cp "$OUTLOG" "$SHOTS/output-channel-$MODE.log" 2>/dev/null || true
if [ $rc -ne 0 ]; then
  show_server_log
  echo "--- extension output channel ($OUTLOG), head:"; head -c 3000 "$OUTLOG" 2>/dev/null || echo "(not found)"
  echo; echo "--- code-server log (tail):"; tail -20 "$W/code-server.log"
elif [ -n "${UPDATE_README_IMAGES:-}" ] && [ "$MODE" = fix ]; then
  mkdir -p "$EXT_DIR/images"
  cp "$SHOTS/diagnostic.png" "$SHOTS/quickfix.png" "$EXT_DIR/images/"
  echo "updated $EXT_DIR/images/{diagnostic,quickfix}.png"
fi
echo "elapsed: $(( SECONDS - start ))s; screenshots in $SHOTS"
[ $rc -eq 0 ] && echo "RESULT: PASS" || echo "RESULT: FAIL"
exit $rc
