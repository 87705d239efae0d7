#!/usr/bin/env bash
# Emacs + eglot batch end-to-end test with the shipped clients/emacs/nextguard.el.
# Debian bookworm: apt-get install emacs-nox elpa-eglot (Emacs 28.2 + eglot 1.9).  EMACS=... to override.
set -euo pipefail
source "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
EMACS=${EMACS:-emacs}
make_work emacs
trap cleanup_work EXIT
export NEXTGUARD_CLIENT_CONFIG="$REPO/clients/emacs/nextguard.el" RESULT_FILE="$WORK/result.txt"
export HOME="$WORK" TMPDIR="$WORK/tmp"     # no ~/.emacs.d
cd "$APP"
start=$SECONDS
rc=0
timeout 150 "$EMACS" --batch -l "$EDITORS_DIR/emacs/test.el" "$APP/$REL_FILE" > "$WORK/emacs.log" 2>&1 || rc=$?
cat "$WORK/result.txt" 2>/dev/null || { echo "no result file; emacs log:"; tail -40 "$WORK/emacs.log"; }
if [ $rc -eq 0 ]; then check_fixed || rc=1; fi
if [ $rc -ne 0 ]; then show_server_log; echo "--- emacs log (tail):"; tail -40 "$WORK/emacs.log"; fi
echo "elapsed: $(( SECONDS - start ))s, emacs exit code: $rc"
[ $rc -eq 0 ] && echo "RESULT: PASS" || echo "RESULT: FAIL"
exit $rc
