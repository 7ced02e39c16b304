"""Windows that are never recorded: blacked out while visible, recording paused while focused.

Patterns are case-insensitive substrings matched against a window's title and application.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator.capture.interfaces import WindowInfo

# Password managers and similar: their windows hold secrets by design.
DEFAULT_DENY = (
    "keepass",
    "keepassxc",
    "1password",
    "bitwarden",
    "lastpass",
    "dashlane",
    "enpass",
    "seahorse",
    "passwords and keys",
    "gnome-keyring",
    "kwalletmanager",
    "proton pass",
)


@dataclass
class DenyList:
    patterns: tuple[str, ...] = DEFAULT_DENY
    extra: tuple[str, ...] = field(default_factory=tuple)

    @property
    def all(self) -> tuple[str, ...]:
        return tuple(p.lower() for p in (*self.patterns, *self.extra) if p.strip())

    def match(self, window: WindowInfo | None) -> str | None:
        """The pattern a window matches, or None."""
        if window is None:
            return None
        hay = f"{window.title}\n{window.app}".lower()
        for p in self.all:
            if p in hay:
                return p
        return None
