"""Errors that say where the problem is and how to fix it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake found in a recipe, with its location and a hint."""

    location: str  # e.g. "recipe.yaml:12 pipeline[2] (text_length_filter).params.min_len"
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return with_hint(f"{self.location}: {self.message}", self.hint)


def with_hint(text: str, hint: str) -> str:
    """How an error and what to do about it print: the hint indented on its own line."""
    return f"{text}\n    hint: {hint}" if hint else text


class JuicerError(Exception):
    """Base class of every error Juicer raises on purpose: what went wrong and where, and
    in `hint` (data, so callers and the report can show it apart) what to do about it."""

    def __init__(self, message: str = "", *args, hint: str = ""):
        super().__init__(message, *args)
        self.hint = hint

    def __str__(self) -> str:
        return with_hint(super().__str__(), self.hint)


# errno values (Linux and macOS agree) of a storage problem the user fixes outside Juicer
_STORAGE = {28: "the disk is full", 122: "the disk quota is used up",
            13: "no permission to write there", 30: "the file system is read-only"}


def storage_hint(message: str) -> str:
    """For an OSError's text ("[Errno 28] No space left on device: ..."), what to do, or ''."""
    for number, problem in _STORAGE.items():
        if f"[Errno {number}]" in message:
            return (f"{problem}: fix that (or point output.path elsewhere) and run the same "
                    f"command again; finished work is kept and the run resumes")
    return ""


class RecipeError(JuicerError):
    """A recipe has one or more mistakes; all of them are listed at once."""

    def __init__(self, problems: list[Problem], source: str = "recipe"):
        self.problems = list(problems)
        self.source = source
        count = len(self.problems)
        header = f"{source}: {count} problem{'s' if count != 1 else ''} found"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


class InputError(JuicerError):
    """An input file cannot be read at all (not a single bad record: those are quarantined)."""


class RefusedError(JuicerError):
    """A run refused before it starts, for a reason in its settings or its folders (an
    output that would hold or replace the input, a finished run without --overwrite):
    the command exits 2, like a recipe mistake."""


class MissingInputError(InputError, RefusedError):
    """An input path or pattern that names nothing: a mistake in the recipe (exit 2)."""


class OperatorError(JuicerError):
    """An operator failed in a way that is not tied to one document."""


class MissingDependencyError(JuicerError):
    """An optional package is needed; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str):
        super().__init__(f"{purpose} needs the package '{package}', which is not installed.",
                         hint=f"pip install 'juicer-llm[{extra}]'")


class EndpointError(JuicerError):
    """A service the run's operators depend on (an LLM endpoint) cannot be used: no
    document is at fault, so none is set aside; the run stops, and rerunning it resumes."""
