"""Recipe regular expressions, run as RE2 through Arrow: linear time, so no pattern or text
can hang a worker (a backtracking `re` pattern can take exponential time on one document).

Recipes written for Data-Juicer use Python `re` syntax. `to_re2` keeps Python's meaning of
the Unicode classes (`\\w`, `\\d`, `\\s` and their negations match what they match on Python
`str`; RE2's own are ASCII-only) and of `\\uXXXX`; constructs RE2 cannot run in linear time
(lookarounds, backreferences) are refused with a message saying so. One difference remains:
`\\b` is an ASCII word boundary in RE2.
"""
from __future__ import annotations

import re
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from juicer.text import kernels

_WORD = r"\pL\pN_"  # Python's \w on str: alphanumeric (str.isalnum) or underscore
_DIGIT = r"\p{Nd}"  # Python's \d on str: decimal digits


@lru_cache(maxsize=None)
def _space() -> str:
    return kernels.char_class(kernels.python_whitespace())


def _classes() -> dict[str, tuple[str, str]]:
    """escape letter -> (RE2 outside a character class, RE2 inside one or '' if impossible)"""
    return {
        "w": (f"[{_WORD}]", _WORD), "W": (f"[^{_WORD}]", ""),
        "d": (_DIGIT, _DIGIT), "D": (r"\P{Nd}", r"\P{Nd}"),
        "s": (f"[{_space()}]", _space()), "S": (f"[^{_space()}]", ""),
    }


def from_verbose(pattern: str) -> str:
    """A pattern written for re.VERBOSE, without its layout: whitespace outside character
    classes and `#` comments removed (RE2 has no verbose mode)."""
    out, in_class, escaped, comment = [], False, False, False
    for char in pattern:
        if comment:
            comment = char != "\n"
        elif escaped or in_class:
            # a `]` first in a class (`[]a]`, `[^]a]`) is a literal
            first = in_class and out[-1] == "[" or out[-2:] == ["[", "^"]
            out.append(char)
            if not escaped and char == "]" and not first:
                in_class = False
            escaped = not escaped and char == "\\"
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "[":
            out.append(char)
            in_class = True
        elif char == "#":
            comment = True
        elif not char.isspace():
            out.append(char)
    return "".join(out)


def strip_raw_prefix(pattern: str) -> str:
    """Data-Juicer accepts patterns written as r'...' inside YAML strings."""
    if len(pattern) > 2 and pattern[:2] in ("r'", 'r"') and pattern[-1] == pattern[1]:
        return pattern[2:-1]
    return pattern


@lru_cache(maxsize=256)
def to_re2(pattern: str) -> str:
    """The RE2 pattern matching what Python's `re` matches with `pattern` (see module doc)."""
    pattern = strip_raw_prefix(pattern)
    classes = _classes()
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escape = pattern[i + 1]
            if escape in classes:
                outside, inside = classes[escape]
                if in_class and not inside:
                    raise ValueError(f"\\{escape} inside a character class has no RE2 "
                                     f"equivalent; write the class another way")
                out.append(inside if in_class else outside)
                i += 2
                continue
            if escape in "uU":
                width = 4 if escape == "u" else 8
                digits = pattern[i + 2:i + 2 + width]
                if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                    out.append(f"\\x{{{digits}}}")
                    i += 2 + width
                    continue
            if escape == "Z":
                out.append(r"\z")
                i += 2
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            # a ']' (or '^]') right after '[' is a literal in both dialects
            if pattern[i + 1:i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1:i + 2] == "]":
                out.append(r"\]")
                i += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


def checked(pattern: str, option: str = "pattern") -> str:
    """`to_re2(pattern)`, or a ValueError naming the option and what is wrong."""
    try:
        translated = to_re2(pattern)
        pc.count_substring_regex(pa.array([""], pa.string()), translated)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        hint = ""
        if re.search(r"\(\?<?[=!]|\\[1-9]", pattern):
            hint = (" Lookarounds and backreferences are not supported: Juicer runs RE2, "
                    "which matches in linear time.")
        raise ValueError(f"{option} {pattern!r} is not a valid RE2 regular expression "
                         f"({str(exc).split(':')[-1].strip()}).{hint}") from None
    except ValueError as exc:
        raise ValueError(f"{option} {pattern!r}: {exc}") from None
    return translated


def to_re2_replacement(repl: str) -> str:
    r"""A Python `re.sub` replacement as an RE2 rewrite: \1 and \g<1> name groups, \n and \t
    are a newline and a tab, \\ is a backslash."""
    out, i = [], 0
    while i < len(repl):
        char = repl[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        group = re.match(r"\\(?:g<(\d+)>|(\d{1,2}))", repl[i:])
        if group:
            out.append("\\" + (group.group(1) or group.group(2)))
            i += group.end()
            continue
        escape = repl[i + 1:i + 2]
        simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\\\", "f": "\f", "v": "\v", "a": "\a"}
        if escape not in simple:
            raise ValueError(f"replacement {repl!r}: unsupported escape \\{escape} (named "
                             f"groups \\g<name> are not supported; use group numbers)")
        out.append(simple[escape])
        i += 2
    return "".join(out)


def sub(text: pa.Array, pattern: str, repl: str = "", *, dotall: bool = True) -> pa.Array:
    """re.sub(pattern, repl, text, flags=re.DOTALL) on every string, in RE2."""
    translated = checked(pattern)
    if dotall:
        translated = "(?s)" + translated
    return pc.replace_substring_regex(text, translated, to_re2_replacement(repl))
