"""What changed on screen since the last look, from the X DAMAGE extension.

A damage object on the root window reports every drawing into it or its children as
rectangles (``DeltaRectangles``: only area that newly extends the damage since the last
``DamageSubtract``).  ``poll()`` reads the notifications that have arrived (no round trip:
an idle tick costs one ``select`` of the connection) and, when there were any, subtracts everything so
that the next drawing there is reported again.  A drawing between the read and the subtract
was reported before the subtract and is read at the next poll: nothing is missed between two
polls, at worst read twice.  Tested with and without a compositing
manager (xcompmgr, picom): their painting of the screen is drawing into the root too.

The rectangles are used as *bands*: their rows are read across the whole region.  Xvfb and
Xorg report the rows of a drawing right, but not always its columns: an ``ShmPutImage`` of a
part of an image (how Qt's backing store flushes a small update, e.g. a text cursor) comes
back shifted left by the source offset (seen: a cursor drawn at x=132 reported at x=100).
A band of rows costs little to read (a 15-pixel text line of a 1920-pixel screen is 115 KB)
and cannot miss such a drawing.
"""

from __future__ import annotations

import select

from annotator.capture.interfaces import Rect

MERGE_GAP = 16  # bands this close are read as one (fewer round trips)
MAX_RECTS = 6  # more than this after merging: one bounding box


class DamageUnavailable(Exception):
    pass


class DamageWatcher:
    """Damaged rectangles of one capture region; use it from one thread."""

    def __init__(self, region: Rect, display_name: str | None = None) -> None:
        from Xlib import display
        from Xlib.ext import damage

        self.region = region
        self._d = display.Display(display_name)
        try:
            if not self._d.has_extension("DAMAGE"):
                raise DamageUnavailable("the X server has no DAMAGE extension")
            self._d.damage_query_version()
            self._root = self._d.screen().root
            self._damage = self._root.damage_create(damage.DamageReportDeltaRectangles)
            self._notify_code = self._d.extension_event.DamageNotify
            self._sock = self._d.fileno()
            self._d.sync()
        except Exception:
            self._d.close()
            raise

    def poll(self) -> list[Rect]:
        """Rectangles (frame coordinates, inside the region) damaged since the last poll."""
        d = self._d
        out: list[Rect] = []
        if not d.display.event_queue and not select.select([self._sock], [], [], 0)[0]:
            return out  # nothing arrived: one system call instead of Xlib's locked pass
        reg = self.region
        got = False
        while d.pending_events():
            got = True
            e = d.next_event()
            if e.type != self._notify_code:
                continue
            a = e.area
            band = Rect(reg.x, int(a.y) - 1, reg.width, int(a.height) + 2)
            hit = reg.intersect(band)
            if hit is not None:
                out.append(Rect(0, hit.y - reg.y, hit.width, hit.height))
        if got:
            d.damage_subtract(self._damage)
            d.flush()
        return merge_rects(out)

    def fileno(self) -> int:
        """The connection's socket: readable when a notification may have arrived."""
        return int(self._sock)

    def queued(self) -> bool:
        """Whether notifications already wait in Xlib's queue (the socket will not say)."""
        return bool(self._d.display.event_queue)

    def close(self) -> None:
        try:
            self._d.close()
        except Exception:
            pass


def merge_rects(rects: list[Rect], gap: int = MERGE_GAP, limit: int = MAX_RECTS
                ) -> list[Rect]:
    """Fewer, larger rectangles covering ``rects``: those within ``gap`` pixels of each
    other are merged into their bounding box, and more than ``limit`` become one box."""
    boxes = [(r.x, r.y, r.x + r.width, r.y + r.height) for r in rects]
    merged = True
    while merged and len(boxes) > 1:
        merged = False
        out: list[tuple[int, int, int, int]] = []
        for b in boxes:
            for i, o in enumerate(out):
                if (b[0] <= o[2] + gap and o[0] <= b[2] + gap
                        and b[1] <= o[3] + gap and o[1] <= b[3] + gap):
                    out[i] = (min(b[0], o[0]), min(b[1], o[1]), max(b[2], o[2]),
                              max(b[3], o[3]))
                    merged = True
                    break
            else:
                out.append(b)
        boxes = out
    if len(boxes) > limit:
        boxes = [(min(b[0] for b in boxes), min(b[1] for b in boxes),
                  max(b[2] for b in boxes), max(b[3] for b in boxes))]
    return [Rect(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes]
