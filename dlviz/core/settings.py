"""Page settings as dataclasses that round-trip through a URL query string.

Each field declares how it is checked with one of the helpers below
(``number``, ``choice``, ``flag``, ``numbers``, ``choices``). ``from_query``
never raises: a value it cannot use falls back to the default and is named
in the returned list of problems, so a page can say what it ignored.
Only values that differ from the defaults go into the URL, which keeps
shared links short.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

MAX_VALUE_LENGTH = 200  # longer query values are ignored outright

S = TypeVar("S")


@dataclass(frozen=True)
class Rule:
    kind: str  # "int", "float", "choice", "flag", "ints", "floats", "choices"
    lo: float | None = None
    hi: float | None = None
    options: tuple[str, ...] = ()
    max_len: int = 0
    min_len: int = 0
    max_chars: int = MAX_VALUE_LENGTH  # longer query values are ignored outright


def number(default, lo, hi, *, integer: bool | None = None):
    """An int or float field clamped to [lo, hi]."""
    is_int = isinstance(default, int) if integer is None else integer
    return dataclasses.field(default=default, metadata={"rule": Rule("int" if is_int else "float", lo, hi)})


def choice(default: str, options: Sequence[str]):
    return dataclasses.field(default=default, metadata={"rule": Rule("choice", options=tuple(options))})


def flag(default: bool = False):
    return dataclasses.field(default=default, metadata={"rule": Rule("flag")})


def numbers(default: tuple[float, ...], lo: float, hi: float, *, max_len: int, min_len: int = 0, max_chars: int = 200):
    """A comma-separated list of numbers, each in [lo, hi]: integers when the default's are."""
    kind = "ints" if all(isinstance(v, int) for v in default) and isinstance(lo, int) else "floats"
    rule = Rule(kind, lo, hi, max_len=max_len, min_len=min_len, max_chars=max(max_chars, MAX_VALUE_LENGTH))
    return dataclasses.field(default=tuple(default), metadata={"rule": rule})


def choices(default: tuple[str, ...], options: Sequence[str], *, max_len: int, min_len: int = 0):
    """A comma-separated list of options (repeats allowed)."""
    rule = Rule("choices", options=tuple(options), max_len=max_len, min_len=min_len)
    return dataclasses.field(default=tuple(default), metadata={"rule": rule})


def _rule(f: dataclasses.Field) -> Rule:
    return f.metadata["rule"]


def encode(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return ",".join(encode(v) for v in value)
    return str(value)


def parse(rule: Rule, text: str) -> Any:
    """The value ``text`` stands for under ``rule``; ValueError when it stands for none."""
    text = text.strip()
    if len(text) > rule.max_chars:
        raise ValueError("too long")
    if rule.kind == "flag":
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError("not a yes/no value")
    if rule.kind in ("int", "float"):
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        if rule.kind == "int":
            if value != int(value):
                raise ValueError("not a whole number")
            value = int(value)
        if not rule.lo <= value <= rule.hi:
            raise ValueError(f"outside {encode(rule.lo)}..{encode(rule.hi)}")
        return value
    if rule.kind == "choice":
        if text not in rule.options:
            raise ValueError("not one of " + ", ".join(rule.options))
        return text
    items = [t.strip() for t in text.split(",")] if text else []
    if not rule.min_len <= len(items) <= rule.max_len:
        raise ValueError(f"needs {rule.min_len} to {rule.max_len} items")
    if rule.kind in ("ints", "floats"):
        sub = Rule(rule.kind[:-1], rule.lo, rule.hi, max_chars=rule.max_chars)
        return tuple(parse(sub, t) for t in items)
    sub = Rule("choice", options=rule.options, max_chars=rule.max_chars)
    return tuple(parse(sub, t) for t in items)


def to_query(settings) -> dict[str, str]:
    """The query parameters for the fields that differ from their defaults."""
    defaults = type(settings)()
    out = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if value != getattr(defaults, f.name):
            out[f.name] = encode(value)
    return out


def from_query(cls: type[S], query: Mapping[str, Any]) -> tuple[S, list[str]]:
    """Settings from query parameters, with a list of the values that were ignored and why.

    Unknown keys are left alone (other parts of the page, such as the
    projector switch, keep theirs in the same URL). When a key is repeated
    the last value counts.
    """
    values, problems = {}, []
    for f in dataclasses.fields(cls):
        if f.name not in query:
            continue
        raw = query[f.name]
        if isinstance(raw, list | tuple):
            raw = raw[-1] if raw else ""
        try:
            values[f.name] = parse(_rule(f), str(raw))
        except (ValueError, OverflowError) as err:
            shown = str(raw)[:20] + ("…" if len(str(raw)) > 20 else "")
            problems.append(f"{f.name}={shown!r}: {err}")
    settings = cls(**values)
    fix = getattr(settings, "repaired", None)
    return (fix() if fix else settings), problems


def replace(settings: S, **changes) -> S:
    return dataclasses.replace(settings, **changes)
