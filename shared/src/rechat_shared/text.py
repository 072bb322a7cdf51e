"""Checks on the short texts people name things with (user names, titles, app names).

Such a text is shown to other people and in lists: control characters (NUL first of all) and the
Unicode bidirectional overrides, embeddings and isolates, which can make a name read as
something else ("invoice\u202egpj.exe"), have no business in it.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI."""


def plain_text(value: str) -> str:
    """The value unchanged, or ValueError for lone surrogates, control or bidi-control chars."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    for char in value:
        if char in BIDI_CONTROLS:
            raise ValueError("text must not contain bidirectional control characters")
        if unicodedata.category(char) == "Cc":
            raise ValueError("text must not contain control characters")
    return value
