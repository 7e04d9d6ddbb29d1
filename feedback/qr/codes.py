"""Printed codes: random Crockford base32 tokens and forgiving normalisation of what people type.

Crockford's alphabet has no I, L, O or U, so the letters people confuse map onto digits. No maintained package
implements it (the PyPI ones date from 2011 and 2015), and the part we need is the alphabet and its decode rules.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: What people type for what the printer printed (Crockford's decoding rules).
CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
#: Separators people add or keep when typing a printed code.
SEPARATORS = str.maketrans("", "", " -_.\t")
CODE_LENGTH = 8  # 8 × 5 bits = 40 random bits
MAX_TYPED_LENGTH = 40
_VALID = frozenset(ALPHABET)


class InvalidCode(ValueError):
    """The text cannot be a code of ours (wrong length or alphabet)."""


def generate_code(length: int = CODE_LENGTH) -> str:
    """A random code of `length` Crockford characters (5 random bits each)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise_code(text: str, length: int = CODE_LENGTH) -> str:
    """Upper-case, drop separators and map confusables; raise InvalidCode unless a well-formed code remains."""
    if len(text) > MAX_TYPED_LENGTH or not text.isascii():
        raise InvalidCode(text[:MAX_TYPED_LENGTH])
    code = text.upper().translate(SEPARATORS).translate(CONFUSABLES)
    if len(code) != length or not _VALID.issuperset(code):
        raise InvalidCode(text)
    return code


def group(code: str, size: int = 4) -> str:
    """Readable groups for printing and reading aloud: ABCD-1234."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))
