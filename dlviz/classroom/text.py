"""What participants type, made safe to store and show: plain text of a bounded length, nothing else."""

from __future__ import annotations

import re
import unicodedata

NICKNAME_CHARS = 24
QUESTION_CHARS = 200
ANSWER_CHARS = 80
TITLE_CHARS = 80

_SPACES = re.compile(r"\s+")
_JOINERS = "\t\n\r\u200c\u200d"  # kept: whitespace becomes a space; the joiners hold emoji and scripts together


def _control(ch: str) -> bool:
    return unicodedata.category(ch).startswith("C")


def clean(text: object, limit: int, what: str) -> str:
    """``text`` as one line of at most ``limit`` characters: control and format characters out, spaces collapsed.

    Letters of any script and emoji stay (right-to-left names too: the bidi controls that could flip the
    text around them are format characters and go). Raises ValueError with a sentence for the page.
    """
    if not isinstance(text, str):
        raise ValueError(f"The {what} must be text.")
    kept = "".join(" " if ch in "\t\n\r" else ch for ch in text if ch in _JOINERS or not _control(ch))
    kept = _SPACES.sub(" ", kept).strip()
    if not kept:
        raise ValueError(f"The {what} is empty.")
    if len(kept) > limit:
        raise ValueError(f"The {what} has {len(kept)} characters; at most {limit} fit.")
    return kept
