"""Passphrases (Argon2id, argon2-cffi), pseudonymous ids and sign-in names."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from annotator.workflow.errors import InvalidInput

# OWASP's Argon2id minimum (server.md section 3): 19 MiB, 2 iterations, 1 lane.
DEFAULT_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSPHRASE = 10
NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_WORDS = (
    "amber", "anchor", "apple", "arrow", "autumn", "bamboo", "basil", "beacon", "birch",
    "bison", "breeze", "brook", "cactus", "canyon", "cedar", "cherry", "cobalt", "comet",
    "coral", "cotton", "crane", "daisy", "delta", "desert", "dune", "eagle", "ember",
    "falcon", "fern", "fjord", "flint", "garnet", "glacier", "granite", "harbor", "hazel",
    "heron", "indigo", "island", "ivory", "jasper", "juniper", "kestrel", "lagoon", "lantern",
    "lemon", "lilac", "linen", "lotus", "maple", "marble", "meadow", "mint", "monsoon",
    "moss", "nectar", "nimbus", "oasis", "olive", "onyx", "orchid", "otter", "pebble",
    "pepper", "pine", "plum", "prairie", "quartz", "quill", "raven", "reef", "ripple",
    "saffron", "sage", "sequoia", "shale", "sierra", "silver", "sparrow", "spruce", "summit",
    "thistle", "thunder", "tide", "timber", "topaz", "tulip", "tundra", "umber", "valley",
    "velvet", "violet", "walnut", "willow", "winter", "yarrow", "zephyr", "zinc",
)


def new_pseudonym(role: str) -> str:
    """A random pseudonymous id such as ``c-7k3m9x2q`` (the prefix is the role's initial)."""
    return f"{role[0]}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def new_passphrase(words: int = 6) -> str:
    """A random passphrase of dictionary words (about 40 bits; the user changes it)."""
    return "-".join(secrets.choice(_WORDS) for _ in range(words))


def check_name(name: str) -> str:
    """A sign-in name: a short lowercase handle, never an e-mail address or a host name."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InvalidInput(
            f"{name!r} cannot be a user name.",
            "Use 2-32 characters: lowercase letters, digits, '.', '_' or '-', starting with a "
            "letter (a handle such as 'ana' or 'rev-2'; no e-mail addresses).",
        )
    return name


def check_passphrase(passphrase: str) -> str:
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(
            f"A passphrase needs at least {MIN_PASSPHRASE} characters.",
            "Choose a longer one (several words are easy to remember and hard to guess).",
        )
    return passphrase


class Passphrases:
    """Hash and verify passphrases with Argon2id."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or DEFAULT_HASHER
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    def hash(self, passphrase: str) -> str:
        return self.hasher.hash(passphrase)

    def verify(self, stored: str | None, passphrase: str) -> bool:
        """True if ``passphrase`` matches; takes as long for unknown users (``stored=None``)."""
        try:
            return self.hasher.verify(stored or self._dummy, passphrase) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
