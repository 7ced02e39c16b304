"""What a recording is asked to do, checked before anything is written: the configuration,
the capture region, the output folder, and the recorder's hotkeys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.bundle.writer import BUNDLE_FILES
from annotator.capture.denylist import DenyList
from annotator.capture.interfaces import Display, Rect
from annotator.errors import AnnotatorError, OutputFolderError
from annotator.workspace import Workspace, check_writable, ensure_private_dir

DISK_WARN_BYTES = 500 * 1024 * 1024
DISK_STOP_BYTES = 64 * 1024 * 1024
RESERVE_BYTES = 4 * 1024 * 1024
FRAMES_STALL_S = 2.0

# Global hotkeys (X11 key names as pynput reports them).
HOTKEY_PAUSE = ("ctrl", "alt", "p")
HOTKEY_STOP = ("ctrl", "alt", "s")


def hotkey_label(keys: tuple[str, ...]) -> str:
    return "+".join(k.capitalize() if len(k) > 1 else k.upper() for k in keys)


@dataclass
class RecordConfig:
    out_dir: Path
    fps: float = 30.0
    screen: int | None = None
    region: Rect | None = None
    duration_s: float | None = None
    preset: str = "veryfast"
    crf: int = 23
    gop: int = 150
    deny: DenyList = field(default_factory=DenyList)
    acknowledgement: dict[str, Any] | None = None
    force: bool = False
    # Below disk_stop_bytes free, the recording stops cleanly; the reserve file is deleted on
    # a full disk so that the bundle can still be finalized.
    disk_warn_bytes: int = DISK_WARN_BYTES
    disk_stop_bytes: int = DISK_STOP_BYTES
    reserve_bytes: int = RESERVE_BYTES
    # Accessibility (AT-SPI): the element under each press, focus, password masking.
    a11y: bool = True
    # Read only what the X DAMAGE extension says changed (else the whole screen each tick).
    damage: bool = True
    # Which kind of device each event came from (XInput2 raw events).
    devices: bool = True


@dataclass(frozen=True)
class RecordOptions:
    """What the contributor asked of a recording: the `annotator record` flags, and what the
    recorder control window was opened with.  ``config`` turns them into a ``RecordConfig``
    the same way for both."""

    out: Path | None = None  # None: a new folder in the workspace
    fps: float = 30.0
    screen: int | None = None
    region: Rect | None = None
    duration: float | None = None
    deny: tuple[str, ...] = ()
    preset: str = "veryfast"
    crf: int = 23
    force: bool = False

    @classmethod
    def from_args(cls, args: Any) -> RecordOptions:
        """From the parsed `annotator record` arguments."""
        return cls(out=args.out, fps=args.fps, screen=args.screen, region=args.region,
                   duration=args.duration, deny=tuple(args.deny), preset=args.preset,
                   crf=args.crf, force=args.force)

    def config(self, workspace: Workspace, acknowledgement: dict[str, Any] | None
               ) -> RecordConfig:
        out = Path(self.out) if self.out is not None else workspace.new_recording_dir()
        return RecordConfig(out_dir=out, fps=self.fps, screen=self.screen, region=self.region,
                            duration_s=self.duration, preset=self.preset, crf=self.crf,
                            deny=DenyList(extra=self.deny), acknowledgement=acknowledgement,
                            force=self.force)


@dataclass
class RecorderStatus:
    state: str  # "idle", "recording", "paused", "stopped"
    elapsed_s: float
    pause_reason: str | None
    frames_stored: int
    grabs: int
    events: int
    problems: list[str]
    stop_reason: str | None


def resolve_region(displays: list[Display], virtual: Rect, screen: int | None,
                   region: Rect | None) -> tuple[Rect, Display]:
    """The capture rectangle (root-window coordinates, even size) and its display."""
    if not displays:
        raise AnnotatorError("The X server reports no screens to record.")
    if screen is not None and region is not None:
        raise AnnotatorError("Give either --screen or --region, not both.")
    if screen is not None:
        if not 1 <= screen <= len(displays):
            raise AnnotatorError(
                f"There is no screen {screen}: this desktop has {len(displays)} "
                f"screen(s), numbered 1 to {len(displays)}.",
                "Choose one of those with --screen N.",
            )
        disp = displays[screen - 1]
        rect = disp.rect
    elif region is not None:
        if region.width < 2 or region.height < 2:
            raise AnnotatorError(
                f"The region {region.width}x{region.height} is too small to record.",
                "Give --region X,Y,W,H with a width and height of at least 2 pixels.",
            )
        inside = virtual.intersect(region)
        if inside != region:
            raise AnnotatorError(
                f"The region {region.x},{region.y},{region.width},{region.height} lies "
                f"outside the screen, which spans {virtual.x},{virtual.y} to "
                f"{virtual.x + virtual.width},{virtual.y + virtual.height}.",
                "Give a region that fits on the screen (X,Y,W,H in pixels).",
            )
        rect = region
        disp = next((d for d in displays if d.rect.contains(region.x, region.y)), displays[0])
    else:
        disp = displays[0]
        rect = disp.rect
    # yuv420p needs an even width and height: drop the last odd column or row.
    return Rect(rect.x, rect.y, rect.width - rect.width % 2, rect.height - rect.height % 2), disp


def prepare_output_dir(path: Path, force: bool) -> None:
    """Refuse a non-empty folder unless forced; make sure the folder is writable."""
    if path.exists() and not path.is_dir():
        raise OutputFolderError(
            f"{path} exists and is not a folder.", "Choose a new folder with --out."
        )
    if path.is_dir() and any(path.iterdir()):
        if not force:
            raise OutputFolderError(
                f"The output folder {path} already exists and is not empty.",
                "Choose a new folder with --out, or add --force to record into it anyway "
                "(files of an earlier recording there will be replaced).",
            )
        for name in BUNDLE_FILES:
            try:
                (path / name).unlink()
            except FileNotFoundError:
                pass
    ensure_private_dir(path)
    check_writable(path)
