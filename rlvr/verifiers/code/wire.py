"""What comes back from the sandbox, decoded as untrusted input: checked shapes, bounded cost.

Every reply is attacker-controlled. The solution process can write its own frames onto the
socket the zygote relays; the zygote drops those of an unknown shape, but the host does not rely
on that (nor on a zygote the solution may have subverted), and the ``repr`` text inside a reply
can have any content and size anyway. This module is the only place the host looks inside one:

- each reply is checked against the shape its request expects and turned into a small typed
  object (:class:`Loaded`, :class:`Returned`, :class:`Raised`, :class:`Stopped`, :class:`Logs`);
  anything else raises :class:`ProtocolError`, which the judge turns into a failed run;
- values are decoded by :func:`decode`, a hand-written parser for the ``repr`` of plain data.
  It runs no code and does not use :mod:`ast` (CPython 3.11's AST conversion shares a recursion
  counter between threads, gh-106905, and builds a node object per element). Its cost is linear
  in the text, and it stops at a cap on elements, depth and digits;
- no container is accepted in which more than a handful of *different* values share a hash.
  CPython's hashes of numbers are easy to collide (every ``k * (2**61 - 1)`` hashes to 0), and
  one set of 50,000 such numbers takes minutes to build. The check applies to every container,
  lists included, so the tests cannot go quadratic either when they hash what came back, as in
  ``set(f(x))``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class ProtocolError(Exception):
    """A reply that breaks the protocol: wrong shape or types, or a value past the limits."""


class NotPlainData(ValueError):
    """The text is not the ``repr`` of plain data (the solution returned some other object)."""


@dataclass(frozen=True)
class Limits:
    """Caps on a decoded value; ``None`` switches a cap off (for the host's own arguments)."""

    max_chars: int | None = 8 << 20
    max_items: int | None = 200_000
    """Scalars and containers together; at the cap, decoding takes about 0.2-0.4 s."""
    max_depth: int = 100
    max_digits: int | None = 4300
    """CPython's own default ``int`` string limit: ``repr`` in the sandbox refuses longer ints."""
    max_same_hash: int | None = 16
    """Different values in one container that may share a hash (real data: -1 and -2 do)."""


REPLY_LIMITS = Limits()
"""For everything that comes back from the sandbox."""
TRUSTED_LIMITS = Limits(max_chars=None, max_items=None, max_digits=None, max_same_hash=None)
"""For the ``repr`` of the tests' own arguments, which the host produced itself."""

MAX_NAMES = 100_000
"""Module-level names a solution may announce; a real module has far fewer."""
MAX_TEXT = 4000
"""Exception messages and tracebacks are cut to this many characters."""


# ------------------------------------------------------------------------------------ replies
@dataclass(frozen=True)
class Stopped:
    """The solution gave no answer: it ran out of time, printed too much, or its process died."""

    reason: str
    """``timeout``, ``output-limit`` or ``crashed``."""
    message: str


@dataclass(frozen=True)
class Raised:
    """The solution's call (or its import) raised ``kind``."""

    kind: str
    message: str
    traceback: str


@dataclass(frozen=True)
class Returned:
    """A call returned; ``text`` is the ``repr`` of its value, not decoded yet."""

    text: str


@dataclass(frozen=True)
class Loaded:
    """The solution imported; each name maps to the ``repr`` of its value, or None if callable."""

    names: dict[str, str | None]


@dataclass(frozen=True)
class Logs:
    """A finished solution process: its output and how it ended."""

    stdout: str = ""
    stderr: str = ""
    exit: str = ""
    output_limit: bool = False


def zygote_error(message: Any) -> str | None:
    """The zygote's own failure report (``{"error": ...}``), if that is what the message is."""
    if not isinstance(message, dict):
        raise ProtocolError(f"a reply must be an object, got {type(message).__name__}")
    if "error" not in message:
        return None
    return _text(message, "error")


def load_reply(message: dict[str, Any]) -> Loaded | Raised | Stopped:
    """The reply to ``load``: the solution's names, its import error, or why it stopped."""
    if "names" in message:
        names = message["names"]
        if not isinstance(names, dict):
            raise ProtocolError(f"'names' must be an object, got {type(names).__name__}")
        if len(names) > MAX_NAMES:
            raise ProtocolError(f"the solution announced {len(names)} names (at most {MAX_NAMES})")
        for name, value in names.items():
            if not (isinstance(name, str) and name.isidentifier()) or name.startswith("__"):
                raise ProtocolError(f"not a name a solution announces: {str(name)[:80]!r}")
            if value is not None and not isinstance(value, str):
                raise ProtocolError(f"the value of {name!r} must be text or null")
        return Loaded(names)
    if "load_error" in message:
        return _raised(message, "load_error")
    return _stopped(message, "load")


def call_reply(message: dict[str, Any]) -> Returned | Raised | Stopped:
    """The reply to ``call``: the value's ``repr``, the exception raised, or why it stopped."""
    if "value" in message:
        return Returned(_text(message, "value", cut=False))
    if "raised" in message:
        return _raised(message, "raised")
    return _stopped(message, "call")


def run_reply(message: dict[str, Any]) -> tuple[Stopped | None, Logs]:
    """The reply to ``run`` (a program fed its stdin): why it stopped early, if so, and logs."""
    stopped = _stopped(message, "run") if _stop_flagged(message) else None
    logs = end_reply(message)
    if "exit" not in message:
        raise ProtocolError("the reply to 'run' has no 'exit'")
    return stopped, logs


def end_reply(message: dict[str, Any]) -> Logs:
    """The reply to ``end``: the output of the process that was stopped ({} when there was none)."""
    return Logs(
        stdout=_text(message, "stdout", cut=False) if "stdout" in message else "",
        stderr=_text(message, "stderr") if "stderr" in message else "",
        exit=_text(message, "exit") if "exit" in message else "",
        output_limit=_flag(message, "output_limit"),
    )


def _stop_flagged(message: dict[str, Any]) -> bool:
    return _flag(message, "timeout") or _flag(message, "output_limit") or "died" in message


def _stopped(message: dict[str, Any], op: str) -> Stopped:
    if _flag(message, "timeout"):
        return Stopped("timeout", "time limit reached")
    if _flag(message, "output_limit"):
        return Stopped("output-limit", "output limit exceeded")
    if "died" in message:
        return Stopped("crashed", f"the solution process died ({_text(message, 'died')})")
    raise ProtocolError(f"the reply to {op!r} says nothing that reply can say: {sorted(message)}")


def _raised(message: dict[str, Any], key: str) -> Raised:
    triple = message[key]
    if not (
        isinstance(triple, list) and len(triple) == 3 and all(isinstance(t, str) for t in triple)
    ):
        raise ProtocolError(f"{key!r} must be [kind, message, traceback] as text")
    kind, text, traceback = triple
    if not kind.isidentifier():
        raise ProtocolError(f"not an exception name: {kind[:80]!r}")
    return Raised(kind, text[:MAX_TEXT], traceback[-MAX_TEXT:])


def _text(message: dict[str, Any], key: str, cut: bool = True) -> str:
    value = message[key]
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r} must be text, got {type(value).__name__}")
    return value[:MAX_TEXT] if cut else value


def _flag(message: dict[str, Any], key: str) -> bool:
    value = message.get(key, False)
    if not isinstance(value, bool):
        raise ProtocolError(f"{key!r} must be true or false, got {type(value).__name__}")
    return value


# ------------------------------------------------------------------------------------- values
_NUM = r"(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|inf|nan)"
_STR_ESCAPE = r"\\(?:[\\'\"abfnrtv]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})"
_BYTES_ESCAPE = r"\\(?:[\\'\"abfnrtv]|x[0-9a-fA-F]{2})"
# Unrolled loops ("normal* (special normal*)*"): linear even when the closing quote is missing.
_TOKEN = re.compile(
    rf"""[ ]*(?:
      (?P<s>'[^'\\\n]*(?:{_STR_ESCAPE}[^'\\\n]*)*'|"[^"\\\n]*(?:{_STR_ESCAPE}[^"\\\n]*)*")
    | (?P<b>b'[\x20-\x26\x28-\x5b\x5d-\x7e]*(?:{_BYTES_ESCAPE}[\x20-\x26\x28-\x5b\x5d-\x7e]*)*'
        |b"[\x20\x21\x23-\x5b\x5d-\x7e]*(?:{_BYTES_ESCAPE}[\x20\x21\x23-\x5b\x5d-\x7e]*)*")
    | (?P<c>\(-?{_NUM}[+-]{_NUM}j\))
    | (?P<n>-?{_NUM}j?)
    | (?P<w>None|True|False|set\(\)|frozenset\(\))
    | (?P<o>\[|\(|\{{|frozenset\()
    | (?P<x>[\])}}])
    | (?P<p>[,:])
    )""",
    re.VERBOSE | re.ASCII,
)
_WORDS: dict[str, Any] = {"None": None, "True": True, "False": False}
_LIST, _TUPLE, _BRACE, _SET, _DICT, _FROZEN = range(6)
_OPENERS = {"[": _LIST, "(": _TUPLE, "{": _BRACE, "frozenset(": _FROZEN}
_CLOSERS = {"]": (_LIST,), ")": (_TUPLE, _FROZEN), "}": (_BRACE, _SET, _DICT)}
_VALUE, _VALUE_OR_CLOSE, _AFTER = range(3)
_UNHASHABLE = (list, dict, set)


def decode(text: str, limits: Limits = REPLY_LIMITS) -> Any:
    """The value whose ``repr`` is ``text``: numbers, str, bytes, None/True/False, inf/nan, and
    lists, tuples, dicts, sets and frozensets of those.

    Raises:
        NotPlainData: the text is not such a ``repr`` (an object, a recursive list, code, …).
        ProtocolError: it is, but past ``limits`` (too long, too many elements, too deep, too
            many digits, or hash-colliding elements).
    """
    if not isinstance(text, str):
        raise ProtocolError(f"a value must be text, got {type(text).__name__}")
    if limits.max_chars is not None and len(text) > limits.max_chars:
        raise ProtocolError(f"a value of {len(text)} characters (at most {limits.max_chars})")
    stack: list[list[Any]] = []  # frames: [kind, items, saw_comma]
    state, pos, count = _VALUE, 0, 0
    max_items = limits.max_items
    while True:
        match = _TOKEN.match(text, pos)
        if match is None:
            raise NotPlainData(f"not plain data at character {pos}: {text[pos : pos + 40]!r}")
        pos, group = match.end(), match.lastgroup
        token = match.group(group)  # type: ignore[arg-type]
        if state != _AFTER:
            if group == "o":
                if len(stack) >= limits.max_depth:
                    raise ProtocolError(f"a value nested more than {limits.max_depth} deep")
                stack.append([_OPENERS[token], [], False])
                state = _VALUE_OR_CLOSE
                count += 1
                if max_items is not None and count > max_items:
                    raise ProtocolError(f"a value of more than {max_items} elements")
                continue
            if group == "x":
                if state != _VALUE_OR_CLOSE:
                    raise NotPlainData(f"unexpected {token!r} at character {pos - 1}")
                value = _close(stack, token, limits)
            elif group == "p":
                raise NotPlainData(f"unexpected {token!r} at character {pos - 1}")
            else:
                value = _scalar(group, token, limits)  # type: ignore[arg-type]
                count += 1
                if max_items is not None and count > max_items:
                    raise ProtocolError(f"a value of more than {max_items} elements")
        elif group == "x":
            value = _close(stack, token, limits)
        elif group == "p":
            state = _punctuation(stack, token, pos)
            continue
        else:
            raise NotPlainData(f"expected ',' or a closing bracket at character {match.start()}")
        # a complete value: it ends the text or goes into the innermost open container
        if not stack:
            if text[pos:].strip(" "):
                raise NotPlainData(f"text after the value at character {pos}")
            return value
        frame = stack[-1]
        if frame[0] == _FROZEN and (frame[1] or not isinstance(value, set)):
            raise NotPlainData("frozenset(...) takes one set")
        frame[1].append(value)
        state = _AFTER


def _scalar(group: str, token: str, limits: Limits) -> Any:
    if group == "s":
        body = token[1:-1]
        return body if "\\" not in body else _unescape(body)
    if group == "b":
        body = token[2:-1]
        raw = body if "\\" not in body else _unescape(body)
        return raw.encode("latin-1")
    if group == "w":
        if token == "set()":
            return set()
        if token == "frozenset()":
            return frozenset()
        return _WORDS[token]
    if group == "c" or token.endswith("j"):
        if len(token) > 64:
            raise ProtocolError("a complex number longer than any repr of one")
        return complex(token)
    digits = token.lstrip("-")
    if digits.isdigit():
        if limits.max_digits is not None and len(digits) > limits.max_digits:
            raise ProtocolError(f"an integer of more than {limits.max_digits} digits")
        try:
            return int(token)
        except ValueError as err:  # this interpreter's own int_max_str_digits
            raise ProtocolError(str(err)) from None
    if len(token) > 64:
        raise ProtocolError("a float longer than any repr of one")
    return float(token)


def _unescape(body: str) -> str:
    """Undo ``repr``'s escapes (already checked by the token pattern) at C speed."""
    try:
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError as err:  # \U beyond the last code point
        raise NotPlainData(f"bad escape in a string: {err}") from None


def _punctuation(stack: list[list[Any]], token: str, pos: int) -> int:
    """The state after ',' or ':' following a value; raises where repr would not put one."""
    if not stack:
        raise NotPlainData(f"unexpected {token!r} at character {pos - 1}")
    frame = stack[-1]
    kind, n = frame[0], len(frame[1])
    if token == ",":
        if kind in (_LIST, _SET) or (kind == _DICT and n % 2 == 0):
            return _VALUE_OR_CLOSE
        if kind == _TUPLE:
            frame[2] = True
            return _VALUE_OR_CLOSE
        if kind == _BRACE:  # {a, ...}: a set
            frame[0] = _SET
            return _VALUE_OR_CLOSE
    elif kind == _BRACE:  # {a: ...}: a dict
        frame[0] = _DICT
        return _VALUE
    elif kind == _DICT and n % 2 == 1:
        return _VALUE
    raise NotPlainData(f"unexpected {token!r} at character {pos - 1}")


def _close(stack: list[list[Any]], token: str, limits: Limits) -> Any:
    if not stack or stack[-1][0] not in _CLOSERS[token]:
        raise NotPlainData(f"unexpected {token!r}")
    kind, items, comma = stack.pop()
    k = limits.max_same_hash
    if kind == _LIST:
        _check_hashes(items, k)
        return items
    if kind == _TUPLE:
        if len(items) == 1 and not comma:
            raise NotPlainData("parentheses around a single value")
        _check_hashes(items, k)
        return tuple(items)
    if kind == _FROZEN:
        if not items:
            raise NotPlainData("frozenset( without a set")
        return frozenset(items[0])
    if kind == _BRACE and not items:
        return {}
    if kind == _DICT and len(items) % 2:
        raise NotPlainData("a dict key without a value")
    keys = items if kind != _DICT else items[0::2]
    _check_hashes(keys, k)  # before anything is hashed into a table
    try:
        if kind != _DICT:
            return set(items)
        values = items[1::2]
        _check_hashes(values, k)
        return dict(zip(keys, values))
    except TypeError as err:  # an unhashable element or key: {[1]: 2} is no repr of a dict
        raise NotPlainData(str(err)) from None


def _check_hashes(values: list[Any], limit: int | None) -> None:
    """Refuse more than ``limit`` different values with one hash among ``values``.

    Runs before a set or dict is built from them, and for lists and tuples too, since the tests
    may hash those. Costs one hash per element and at most ``limit`` comparisons each.
    Unhashable values are skipped (building a set of them fails on its own, cheaply).
    """
    if limit is None or len(values) <= limit:
        return
    seen: dict[int, list[Any]] = {}
    for value in values:
        if isinstance(value, _UNHASHABLE):
            continue
        try:
            h = hash(value)
        except TypeError:  # a tuple holding a list
            continue
        same = seen.get(h)
        if same is None:
            seen[h] = [value]
        elif not any(other is value or other == value for other in same):
            same.append(value)
            if len(same) > limit:
                raise ProtocolError(
                    f"more than {limit} different values with the same hash in one container"
                )
