#!/bin/sh
# Installs, upgrades or removes annotator for the current user, without root.
#
# The self-extracting annotator-linux-x86_64.run runs this from its unpacked payload; the
# installed copy (<data>/annotator-app/install.sh) serves `annotator uninstall`.
#
#   install.sh [--no-start]     install, or upgrade in place (the workspace is kept)
#   install.sh --uninstall      remove the app; recordings and settings are never touched
#
# Where things go (<data> is $XDG_DATA_HOME, by default ~/.local/share):
#   <data>/annotator-app/versions/<version>/   the app (a PyInstaller folder)
#   <data>/annotator-app/current               link to the version in use (switched at once)
#   ~/.local/bin/annotator                      link to current/annotator
#   <data>/applications/annotator.desktop       the menu entry, and its icons under
#   <data>/icons/hicolor/
# Recordings and settings live in the workspace, <data>/annotator (or $ANNOTATOR_HOME),
# which this script only names.
set -eu

say() { printf '%s\n' "$*"; }
fail() { printf 'annotator installer: %s\n' "$*" >&2; exit 1; }

MODE=install
START=yes
for arg in "$@"; do
    case "$arg" in
        --uninstall) MODE=uninstall ;;
        --no-start) START=no ;;
        *) fail "unknown option $arg (options: --uninstall, --no-start)" ;;
    esac
done

[ -n "${HOME:-}" ] && [ -d "$HOME" ] || fail "HOME is not set to a folder: cannot tell where to install."
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ]; then
    fail "run this without sudo: annotator installs for your own account (here it would go to root's)."
fi
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
case "$DATA" in /*) ;; *) DATA="$HOME/.local/share" ;; esac  # XDG: relative paths are ignored
APP="$DATA/annotator-app"
BIN="$HOME/.local/bin"
DESKTOP="$DATA/applications/annotator.desktop"
ICONS="$DATA/icons/hicolor"
WORKSPACE="${ANNOTATOR_HOME:-$DATA/annotator}"

refresh_menus() {
    command -v update-desktop-database >/dev/null 2>&1 \
        && update-desktop-database -q "$DATA/applications" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 \
        && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
}

# A version folder is in use while a process runs its program.
in_use() {
    for exe in /proc/[0-9]*/exe; do
        target=$(readlink "$exe" 2>/dev/null) || continue
        case "$target" in "$1"/*) return 0 ;; esac
    done
    return 1
}

uninstall() {
    if [ ! -d "$APP" ] && [ ! -e "$DESKTOP" ]; then
        say "annotator is not installed for $(id -un) (nothing in $APP)."
    fi
    link="$BIN/annotator"
    if [ -L "$link" ]; then
        case "$(readlink "$link")" in "$APP"/*) rm -f "$link" ;; esac
    fi
    rm -f "$DESKTOP"
    for f in "$ICONS"/*/apps/annotator.png "$ICONS"/scalable/apps/annotator.svg; do
        [ -e "$f" ] && rm -f "$f"
    done
    # Only the app's own folder: the workspace is a sibling and is never touched.
    case "$APP" in */annotator-app) rm -rf "$APP" ;; esac
    refresh_menus
    say "annotator was removed."
    if [ -d "$WORKSPACE" ]; then
        say "Your recordings and settings are still in $WORKSPACE;"
        say "delete that folder yourself if you want them gone too."
    fi
}

install() {
    here=$(cd "$(dirname "$0")" && pwd)
    [ -x "$here/app/annotator" ] || fail "the archive is incomplete (no app/annotator): download it again."
    version=$(cat "$here/VERSION")
    glibc_needed=$(cat "$here/GLIBC")

    [ "$(uname -s)" = Linux ] || fail "annotator runs on Linux; this is $(uname -s)."
    [ "$(uname -m)" = x86_64 ] || fail "this build is for 64-bit PCs (x86_64); this computer is $(uname -m)."
    have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
    if [ -z "$have" ]; then
        fail "this system's C library is not glibc; annotator needs glibc $glibc_needed or newer (Debian 12, Ubuntu 23.04, Fedora 37 or later)."
    fi
    if [ "$(printf '%s\n%s\n' "$glibc_needed" "$have" | sort -V | head -n1)" != "$glibc_needed" ]; then
        fail "this system has glibc $have; annotator needs $glibc_needed or newer (Debian 12, Ubuntu 23.04, Fedora 37 or later)."
    fi

    mkdir -p "$APP/versions" "$BIN" "$DATA/applications" "$ICONS/scalable/apps"
    previous=""
    [ -L "$APP/current" ] && previous=$(readlink "$APP/current")

    # Into a fresh folder (moved: the archive unpacks on the same disk), then the link is
    # switched in one rename: a running annotator keeps its files, and an interrupted install
    # leaves the previous version working.
    dest="versions/$version-$$"
    rm -rf "$APP/$dest" "$APP/$dest.partial"
    mv "$here/app" "$APP/$dest.partial" 2>/dev/null || cp -R "$here/app" "$APP/$dest.partial"
    mv "$APP/$dest.partial" "$APP/$dest"
    ln -s "$dest" "$APP/current.new"
    mv -T "$APP/current.new" "$APP/current"
    cp "$here/install.sh" "$APP/install.sh.new" && mv "$APP/install.sh.new" "$APP/install.sh"

    # Older versions go, unless one is still running (then at the next upgrade).
    kept=""
    for d in "$APP"/versions/*; do
        [ -d "$d" ] || continue
        [ "$d" = "$APP/$dest" ] && continue
        if in_use "$d"; then kept="$kept $d"; else rm -rf "$d"; fi
    done

    link="$BIN/annotator"
    if [ -e "$link" ] && ! [ -L "$link" ]; then
        say "Note: $link exists and is not annotator's link; left as it is."
    elif [ -L "$link" ] && case "$(readlink "$link")" in "$APP"/*) false ;; *) true ;; esac; then
        say "Note: $link points to another annotator ($(readlink "$link")); left as it is."
    else
        ln -sfn "$APP/current/annotator" "$link"
    fi

    for size in 48 128 256; do
        mkdir -p "$ICONS/${size}x${size}/apps"
        cp "$here/icons/annotator-$size.png" "$ICONS/${size}x${size}/apps/annotator.png"
    done
    cp "$here/icons/annotator.svg" "$ICONS/scalable/apps/annotator.svg"
    sed "s|@APP@|$APP|g" "$here/annotator.desktop" > "$DESKTOP.new"
    chmod 0644 "$DESKTOP.new"
    mv "$DESKTOP.new" "$DESKTOP"
    refresh_menus

    if [ -n "$previous" ]; then
        say "annotator was upgraded to $version in $APP."
    else
        say "annotator $version was installed in $APP."
    fi
    [ -n "$kept" ] && say "An older annotator is still running; its files go at the next upgrade:$kept"
    say "Open it from your applications menu (annotator), or type: annotator"
    case ":$PATH:" in
        *":$BIN:"*) ;;
        *) say "($BIN is not on your PATH yet: it usually is after you log out and in again.)" ;;
    esac
    say "Your recordings will be kept in $WORKSPACE (also across upgrades and if you uninstall)."
    say "To remove annotator: annotator uninstall"
    say ""
    "$APP/current/annotator" check || true
    if [ "$START" = yes ] && [ -n "${DISPLAY:-}" ]; then
        say ""
        say "Starting annotator..."
        (cd "$HOME" && nohup "$APP/current/annotator" >/dev/null 2>&1 &)
    fi
}

"$MODE"
