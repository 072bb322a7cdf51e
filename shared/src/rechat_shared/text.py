"""Checks on the short texts people name things with (user names, titles, app names).

Such a text is shown to other people and in lists: control characters (NUL first of all) and the
Unicode bidirectional overrides, embeddings and isolates, which can make a name read as
something else ("invoice\u202egpj.exe"), have no business in it. A person who types one is
refused (`plain_text`); a label made from text nobody typed as a name (Dify's generated title,
the start of a question, an answer's preview) is cleaned instead (`one_line`).
"""

from __future__ import annotations

import re

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI."""
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
_INVISIBLE = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "\ud800-\udfff]")
"""Bidi controls and lone surrogates (which no UTF-8 column can store)."""
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Unicode's category Cc, all of it."""


def plain_text(value: str) -> str:
    """The value unchanged, or ValueError for lone surrogates, control or bidi-control chars."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    if _BIDI.search(value):
        raise ValueError("text must not contain bidirectional control characters")
    if _CONTROL.search(value):
        raise ValueError("text must not contain control characters")
    return value


def one_line(value: str, length: int) -> str:
    """`value` as a one-line label of at most `length` characters: bidi controls and lone
    surrogates dropped, control characters (newlines, tabs, NUL...) and runs of whitespace made
    one space."""
    if _INVISIBLE.search(value):
        value = _INVISIBLE.sub("", value)
    return " ".join(_CONTROL.sub(" ", value).split())[:length]
