#!/usr/bin/env bash
# Smoke test of the contributor app, as a contributor's computer would run it: no network
# needed, no development venv, no system Tesseract data, a minimal environment.
#
#   unshare -m --propagation private packaging/smoke.sh REPO RUNFILE     (as root; .ci/package --check)
#
# Inside a private mount namespace, empty folders are mounted over the repository's .venv
# and the system's Tesseract data; every annotator process runs under `env -i` with only
# DISPLAY, HOME and PATH, on an Xvfb started here, with a temporary HOME.  Checked: install,
# `annotator check`, the library window (cold and warm start timed), the demo, a 3-second
# recording with scripted clicks (inspected), redaction suggestions with the bundled
# language data, an upgrade in place that keeps the workspace, an older app refusing a
# workspace a newer one upgraded, and both ways of uninstalling, which keep the recordings.
set -euo pipefail
ROOT=$(cd "$1" && pwd)
RUN=$(realpath "$2")
T=$(mktemp -d /tmp/annotator-smoke.XXXXXX)
H="$T/home"
mkdir -p "$H"
XPID=""
cleanup() {
    [ -n "$XPID" ] && kill "$XPID" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
step() { echo "smoke: $*"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

# -- hide what a contributor's computer does not have -------------------------------------
[ "$(id -u)" -eq 0 ] || fail "needs root (mount namespace)"
for d in "$ROOT/.venv" /usr/share/tesseract-ocr /usr/share/tessdata; do
    [ -d "$d" ] && mount -t tmpfs -o ro,size=1m,mode=0755 annotator-smoke-empty "$d"
done
[ ! -e "$ROOT/.venv/bin/python" ] || fail "the development venv is still visible"
[ ! -e /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ] || fail "system tessdata still visible"

# -- an X server of our own ------------------------------------------------------------------
exec 5< <(Xvfb -displayfd 4 -screen 0 1600x1000x24 -nolisten tcp 4>&1 2>/dev/null & echo "pid $!")
read -r _ XPID <&5
read -r num <&5 || fail "Xvfb did not start"
DISP=":$num"
PATHS="$H/.local/bin:/usr/local/bin:/usr/bin:/bin"
E() { env -i DISPLAY="$DISP" HOME="$H" PATH="$PATHS" "$@"; }
# The same in the background; $! is then the program itself (env execs it).
B() { env -i DISPLAY="$DISP" HOME="$H" PATH="$PATHS" "$@" & }
X() { DISPLAY="$DISP" xdotool "$@"; }
wait_window() {  # NAME TIMEOUT -> window id
    local deadline=$(( $(date +%s) + $2 )) w
    while :; do
        w=$(X search --onlyvisible --name "$1" 2>/dev/null | head -n1) && [ -n "$w" ] && { echo "$w"; return 0; }
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
gone() {  # NAME: wait until no window has it (the X server drops a dead client's windows)
    local i
    for i in $(seq 1 100); do
        X search --name "$1" >/dev/null 2>&1 || return 0
        sleep 0.1
    done
    fail "a window named $1 stayed after its program ended"
}

APP="$H/.local/share/annotator-app"
WS="$H/.local/share/annotator"

# -- install ----------------------------------------------------------------------------------
t=$(now)
E sh "$RUN" --nox11 --no-start > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "install"; }
step "installed in $(since "$t") s"
grep -q "was installed" "$T/install.log" || { cat "$T/install.log"; fail "install message"; }
[ -x "$APP/current/annotator" ] || fail "no $APP/current/annotator"
[ "$(readlink "$H/.local/bin/annotator")" = "$APP/current/annotator" ] || fail "~/.local/bin link"
grep -q "^Exec=\"$APP/current/annotator\"" "$H/.local/share/applications/annotator.desktop" \
    || fail "desktop entry"
[ -s "$H/.local/share/icons/hicolor/256x256/apps/annotator.png" ] || fail "icon"
grep -q "English language data in $APP/" "$T/install.log" \
    || { cat "$T/install.log"; fail "the bundled OCR data is not what annotator check found"; }

# -- the library window, cold and warm --------------------------------------------------------
for run in first second; do
    t=$(now)
    B annotator > "$T/app-$run.log" 2>&1
    pid=$!
    wait_window "annotator — library" 90 >/dev/null || { cat "$T/app-$run.log"; fail "no library window"; }
    step "library window ($run start) after $(since "$t") s"
    stop "$pid"
    gone "annotator — library"
done

# -- the demo -----------------------------------------------------------------------------------
t=$(now)
B annotator demo > "$T/demo.log" 2>&1
pid=$!
demo=""
deadline=$(( $(date +%s) + 120 ))
while [ -z "$demo" ]; do
    for m in "$WS"/recordings/*/manifest.json; do
        [ -f "$m" ] && X search --name "annotator — $(basename "$(dirname "$m")")" >/dev/null 2>&1 \
            && demo=$(dirname "$m")
    done
    [ "$(date +%s)" -lt "$deadline" ] || { cat "$T/demo.log"; fail "no demo in the editor"; }
    sleep 0.2
done
stop "$pid"
step "demo made and open in the editor after $(since "$t") s: $demo"

# -- a 3-second recording with scripted clicks ----------------------------------------------------
B annotator record --no-control --yes --duration 3 --out "$H/rec" > "$T/rec.log" 2>&1
pid=$!
deadline=$(( $(date +%s) + 60 ))
until grep -q "Recording to" "$T/rec.log"; do
    kill -0 "$pid" 2>/dev/null || { cat "$T/rec.log"; fail "the recorder stopped"; }
    [ "$(date +%s)" -lt "$deadline" ] || { cat "$T/rec.log"; fail "the recorder did not start"; }
    sleep 0.1
done
# At once and quickly: on a loaded machine a slow script would click after the 3 seconds.
X mousemove 200 200 click 1 mousemove 700 400 click 1 mousemove 900 600 click 3
wait "$pid" || { cat "$T/rec.log"; fail "record exited with an error"; }
E annotator inspect "$H/rec" --json > "$T/inspect.json" || fail "inspect"
python3 - "$T/inspect.json" <<'EOF' || fail "the recording is not what was done"
import json, sys
r = json.load(open(sys.argv[1]))
kinds = r["events_by_kind"]
assert r["frames_stored"] > 0, r
assert kinds.get("mouse_down", 0) >= 3 and kinds.get("mouse_up", 0) >= 3, kinds
assert not r["problems"], r["problems"]
print(f"smoke: recorded {r['duration_s']} s, {r['frames_stored']} frames stored, events {kinds}")
EOF

# -- redaction suggestions with the bundled language data -----------------------------------------
t=$(now)
E annotator redact "$demo" --suggest --json > "$T/suggest.json" 2> "$T/suggest.err" \
    || { cat "$T/suggest.err"; fail "redact --suggest"; }
python3 - "$T/suggest.json" <<'EOF' || fail "no OCR suggestion"
import json, sys
s = json.load(open(sys.argv[1]))["suggestions"]
ocr = [x for x in s if x["source"] == "ocr"]
assert ocr, s
print(f"smoke: {len(s)} suggestion(s), {len(ocr)} from OCR, kinds {sorted({x['kind'] for x in ocr})}")
EOF
step "suggestions in $(since "$t") s"

# -- upgrade in place keeps the workspace ------------------------------------------------------------
before=$(readlink "$APP/current")
t=$(now)
E sh "$RUN" --nox11 --no-start > "$T/upgrade.log" 2>&1 || { cat "$T/upgrade.log"; fail "upgrade"; }
step "upgraded in $(since "$t") s"
grep -q "was upgraded" "$T/upgrade.log" || fail "upgrade message"
[ "$(readlink "$APP/current")" != "$before" ] || fail "current did not move"
[ "$(ls "$APP/versions" | wc -l)" -eq 1 ] || fail "the old version was not removed: $(ls "$APP/versions")"
[ -f "$demo/manifest.json" ] && [ -f "$demo/suggestions.json" ] || fail "the upgrade lost the workspace"

# -- an older annotator refuses a workspace a newer one upgraded -------------------------------------
DB="$WS/store/annotator.db"
[ -f "$DB" ] || fail "no workspace database"
rev=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select version_num from alembic_version").fetchone()[0])' "$DB")
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("update alembic_version set version_num=?", (sys.argv[2],)); c.commit()' "$DB" "9999_newer"
B annotator > "$T/old.log" 2>&1
pid=$!
w=$(wait_window "workspace too new" 90) || { cat "$T/old.log"; fail "no refusal window"; }
X windowfocus --sync "$w" key Return || true
status=0
wait "$pid" || status=$?
[ "$status" -eq 2 ] && grep -q "older than your workspace" "$T/old.log" \
    || { cat "$T/old.log"; fail "an older app did not refuse the workspace (status $status)"; }
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("update alembic_version set version_num=?", (sys.argv[2],)); c.commit()' "$DB" "$rev"
step "a workspace from a newer annotator is refused with a message"

# -- uninstall: the app goes, the recordings stay ------------------------------------------------------
E annotator uninstall > "$T/uninstall.log" 2>&1 || { cat "$T/uninstall.log"; fail "annotator uninstall"; }
[ ! -e "$APP" ] && [ ! -L "$H/.local/bin/annotator" ] \
    && [ ! -e "$H/.local/share/applications/annotator.desktop" ] || fail "uninstall left the app"
[ -f "$demo/manifest.json" ] && [ -f "$H/rec/manifest.json" ] || fail "uninstall touched recordings"
grep -q "recordings and settings are still in $WS" "$T/uninstall.log" || fail "uninstall message"
E sh "$RUN" --uninstall > "$T/uninstall2.log" 2>&1 || fail "the installer's --uninstall"
grep -q "not installed" "$T/uninstall2.log" || fail "the installer's --uninstall message"
step "uninstalled; recordings kept"
echo "smoke: passed"
