"""What this computer must provide, checked up front and told plainly.

Recording needs an X11 session whose server can report input (the RECORD extension);
detecting password fields and the element under a click needs the accessibility bus
(AT-SPI on the session D-Bus); a team server sign-in is best kept in the system keyring;
redaction suggestions and the leak check before submitting need Tesseract's English data
(bundled with the contributor app).  Each check says what was found, what a missing piece
means for the contributor, and what to do, so that nothing fails later without warning.

The checks take at most about a second (D-Bus and X connections with short timeouts); the
app runs them off its UI thread and ``annotator check`` prints them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from annotator.errors import AnnotatorError
from annotator.settings import current as settings

REQUIRED = "required"  # without it a main task (recording, submitting) cannot be done
RECOMMENDED = "recommended"  # without it something is degraded, and the contributor is told
# Under this much free space an hour or two of recording may not fit (the recorder itself
# warns at 500 MB and stops cleanly near a full disk).
LOW_DISK_BYTES = 1024**3


@dataclass(frozen=True)
class Check:
    key: str  # stable id: display, accessibility, keyring, ocr, disk, preferences
    title: str
    ok: bool
    level: str  # REQUIRED or RECOMMENDED
    found: str  # what was found, in a sentence
    impact: str = ""  # what a failure means for the contributor ("" when ok)
    fix: str = ""  # what to do about it ("" when ok)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check_display() -> Check:
    from annotator.capture.platform import require_x11

    title = "X11 session (screen and input recording)"
    impact = ("You cannot record on this session. Editing, redacting and submitting "
              "recordings made elsewhere still work.")
    try:
        display = require_x11()
    except AnnotatorError as exc:
        return Check("display", title, False, REQUIRED, exc.message, impact, exc.hint or "")
    if settings().session_type == "wayland" or settings().wayland_display:
        return Check(
            "display", title, False, RECOMMENDED,
            f"This is a Wayland session; annotator reaches its X11 compatibility server "
            f"(XWayland, display {display}) only.",
            "Windows of Wayland applications may record as black, and input typed into them "
            "may be missing from the recording.",
            "Log in to an X11 session (at the login screen choose for example "
            "\"Ubuntu on Xorg\" or \"GNOME on Xorg\").")
    return Check("display", title, True, REQUIRED,
                 f"Display {display}, with input capture (the RECORD extension).")


def _a11y_bus_address(timeout: float) -> str:
    """The accessibility bus's address from the session D-Bus; AnnotatorError (the reason)
    when there is none."""
    if not settings().dbus_address:
        raise AnnotatorError("There is no session D-Bus (DBUS_SESSION_BUS_ADDRESS is not "
                             "set), so there is no accessibility bus.")
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
    except ImportError as exc:
        raise AnnotatorError(f"The D-Bus client (jeepney) cannot be loaded: {exc}.") from exc
    try:
        conn = open_dbus_connection("SESSION", auth_timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        raise AnnotatorError(f"The session D-Bus cannot be reached: {exc}.") from exc
    try:
        bus = DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Bus")
        try:
            reply = conn.send_and_get_reply(new_method_call(bus, "GetAddress"),
                                            timeout=timeout)
        except TimeoutError:
            raise AnnotatorError("The accessibility bus (org.a11y.Bus) did not answer.") \
                from None
        if reply.header.message_type.value == 3:  # an error reply
            raise AnnotatorError("No accessibility bus (org.a11y.Bus) is running on the "
                                 "session D-Bus.")
        return str(reply.body[0])
    finally:
        conn.close()


def check_accessibility(timeout: float = 1.0) -> Check:
    title = "Accessibility bus (password fields, what was clicked)"
    try:
        address = _a11y_bus_address(timeout)
    except AnnotatorError as exc:
        return Check(
            "accessibility", title, False, RECOMMENDED, exc.message,
            "Password fields cannot be detected while you record: what you type into them "
            "is recorded like any other key, so mask it yourself in the editor before you "
            "submit (Redactions: mask the typed text, box the field). Clicks are not "
            "matched to the button or field under them.",
            "Install the AT-SPI accessibility service (the at-spi2-core package; GNOME, KDE "
            "and Xfce desktops include it), then log out and in again.")
    return Check("accessibility", title, True, RECOMMENDED,
                 f"The accessibility bus answers ({address.split(',')[0]}).")


def check_keyring(workspace_root: Path | None = None) -> Check:
    title = "Keyring (where a team server sign-in is kept)"
    try:
        from annotator.remote.credentials import _usable_keyring

        kr = _usable_keyring()
    except Exception as exc:  # noqa: BLE001 - a broken keyring is the finding
        kr, reason = None, f"The keyring cannot be used: {exc}."
    else:
        reason = "No system keyring (Secret Service) is available."
    if kr is not None and type(kr).__module__.startswith("keyrings.alt"):
        return Check(
            "keyring", title, False, RECOMMENDED,
            f"The only keyring is {type(kr).__name__} (keyrings.alt), which keeps secrets in "
            "a file.",
            "If you sign in to a team server, your sign-in is kept in a plain file readable by "
            "your account (keyrings.alt), instead of a system keyring.",
            "Install and unlock a keyring (GNOME Keyring, KWallet, or KeePassXC with Secret "
            "Service), then sign in again.")
    if kr is not None:
        return Check("keyring", title, True, RECOMMENDED,
                     f"The system keyring is available ({type(kr).__name__}).")
    where = (str(workspace_root / "team" / "tokens.json") if workspace_root is not None
             else "a file in your annotator folder")
    return Check(
        "keyring", title, False, RECOMMENDED, reason,
        f"If you sign in to a team server, your sign-in is kept in {where}, readable only "
        "by your account, instead of the system keyring.",
        "Nothing, if that is acceptable. Otherwise install and unlock a keyring (GNOME "
        "Keyring, KWallet, or KeePassXC with Secret Service), then sign in again.")


def check_ocr() -> Check:
    from annotator.redaction.ocr import check_language, find_tesseract

    title = "Tesseract OCR and its English data (redaction suggestions, leak check)"
    try:
        check_language("eng")
        folder = find_tesseract()
    except AnnotatorError as exc:
        return Check(
            "ocr", title, False, REQUIRED, exc.message,
            "Sensitive text on screen is not found for you, and the leak check before "
            "submitting cannot read the video, so submitting stays blocked.",
            exc.hint or "")
    return Check("ocr", title, True, REQUIRED, f"English language data in {folder}.")


def check_disk(workspace_root: Path) -> Check:
    title = "Free disk space for recordings"
    probe = workspace_root
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError as exc:
        return Check("disk", title, False, RECOMMENDED,
                     f"The free space of {workspace_root} cannot be read: {exc}.",
                     "Recording may stop without warning when the disk fills.",
                     "Check that your annotator folder is on a working disk.")
    found = f"{free / 2**30:.1f} GB free in {probe}."
    if free < LOW_DISK_BYTES:
        return Check("disk", title, False, RECOMMENDED, found,
                     "A recording takes a few megabytes a minute and stops (saved) when the "
                     "disk is full.",
                     "Free some disk space.")
    return Check("disk", title, True, RECOMMENDED, found)


def check_preferences(workspace_root: Path) -> Check:
    from annotator.workspace import Workspace

    title = "Your preferences (preferences.json)"
    path = workspace_root / "preferences.json"
    found = Workspace(workspace_root).preferences().problems  # never creates the workspace
    if found:
        return Check("preferences", title, False, RECOMMENDED, " ".join(found),
                     "Those settings are not used.",
                     f"Correct or remove them in {path} (docs/settings.md lists the keys).")
    return Check("preferences", title, True, RECOMMENDED,
                 f"{path.name} is as this version expects." if path.is_file()
                 else "None set yet: the defaults are used.")


def run_checks(workspace_root: Path | None = None) -> list[Check]:
    """All checks, in the order they are shown.  Never raises: a check that itself fails
    is reported as failed with the reason."""
    steps: list[tuple[str, str, Callable[[], Check]]] = [
        ("display", "X11 session", check_display),
        ("accessibility", "Accessibility bus", check_accessibility),
        ("keyring", "Keyring", lambda: check_keyring(workspace_root)),
        ("ocr", "Tesseract OCR", check_ocr),
    ]
    if workspace_root is not None:
        steps.append(("disk", "Free disk space", lambda: check_disk(workspace_root)))
        steps.append(("preferences", "Your preferences",
                      lambda: check_preferences(workspace_root)))
    out = []
    for key, title, fn in steps:
        try:
            out.append(fn())
        except Exception as exc:  # noqa: BLE001 - a check must not stop the others
            out.append(Check(key, title, False, RECOMMENDED,
                             f"The check itself failed: {type(exc).__name__}: {exc}.",
                             "annotator could not tell whether this works.", ""))
    return out


def problems(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok]


def format_report(checks: list[Check]) -> str:
    """The checks as plain text (``annotator check``, the installer)."""
    lines = []
    for c in checks:
        mark = "✓" if c.ok else "✗"
        need = " (needed)" if not c.ok and c.level == REQUIRED else ""
        lines.append(f"  {mark} {c.title}{need}: {c.found}")
        if not c.ok:
            if c.impact:
                lines.append(f"      What it means: {c.impact}")
            if c.fix:
                lines.append(f"      What to do: {c.fix}")
    bad = problems(checks)
    if not bad:
        head = "This computer has everything annotator uses."
    else:
        head = (f"This computer lacks {len(bad)} thing(s) annotator uses; "
                "here is what that means for you.")
    return head + "\n" + "\n".join(lines)
