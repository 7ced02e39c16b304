"""Argument types the commands share: numbers checked against what they measure when the
command line is read, so a bad value is one clear line, not a failure deep in the encoder,
a server that starts with no worker, or a folder left behind."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)

X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                "slower", "veryslow")


def _number(convert: Callable[[str], N], what: str, *, low: N, high: N | None = None,
            low_included: bool = False) -> Callable[[str], N]:
    def parse(text: str) -> N:
        try:
            v = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        too_low = v < low or (v == low and not low_included)
        if too_low or (high is not None and v > high):
            raise argparse.ArgumentTypeError(f"{text!r} must be {_bounds()}")
        return v

    def _bounds() -> str:
        if high is None:
            return ("at least " if low_included else "greater than ") + f"{low:g}"
        return (f"from {low:g} to {high:g}" if low_included
                else f"greater than {low:g} and at most {high:g}")

    return parse


positive_float = _number(float, "a number", low=0.0)
positive_seconds = _number(float, "a number of seconds", low=0.0)
positive_int = _number(int, "a whole number", low=0)
fps = _number(float, "a rate in frames a second", low=0.0, high=60.0)
crf = _number(int, "an x264 quality (CRF) number", low=0, high=51, low_included=True)
port = _number(int, "a TCP port number", low=1, high=65535, low_included=True)
