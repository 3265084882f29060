"""Operators by name. Built-ins and third-party operators are found the same way: through
the `juicer.operators` entry-point group, whose entries name an Operator class or a module
(every Operator subclass defined under that module registers)."""
from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from importlib.metadata import entry_points
from types import ModuleType

from juicer.errors import JuicerError
from juicer.core.operator import Operator

ENTRY_POINT_GROUP = "juicer.operators"
BUILTIN_MODULE = "juicer_operators"

_operators: dict[str, type[Operator]] = {}
_loaded = False


def register(cls: type[Operator]) -> type[Operator]:
    """Register an operator class under its `name` (usable as a class decorator)."""
    if not (inspect.isclass(cls) and issubclass(cls, Operator) and cls.name):
        raise JuicerError(f"{cls!r} is not an Operator subclass with a `name`")
    existing = _operators.get(cls.name)
    if existing is not None and existing is not cls:
        raise JuicerError(
            f"two operators are named '{cls.name}': {existing.__module__}.{existing.__name__} "
            f"and {cls.__module__}.{cls.__name__}; rename one of them")
    _operators[cls.name] = cls
    return cls


def _register_module(module: ModuleType) -> None:
    modules = [module]
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, prefix=module.__name__ + "."):
            modules.append(importlib.import_module(info.name))
    for mod in modules:
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if issubclass(obj, Operator) and obj.name and obj.__module__ == mod.__name__:
                register(obj)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    # The built-ins are imported even when the package metadata is missing (running from a
    # source tree without installing), so the registry never silently comes up empty.
    _register_module(importlib.import_module(BUILTIN_MODULE))
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = entry.load()
        except Exception as exc:  # a broken plugin must not hide the others
            raise JuicerError(
                f"the operator plugin '{entry.name}' ({entry.value}) failed to import: {exc}"
            ) from exc
        if isinstance(target, ModuleType):
            _register_module(target)
        else:
            register(target)


def names() -> list[str]:
    _load()
    return sorted(_operators)


def get(name: str) -> type[Operator]:
    """The operator class registered as `name`; a close-match hint if there is none."""
    _load()
    try:
        return _operators[name]
    except KeyError:
        media = _media_of(name)
        if media:  # a Data-Juicer operator Juicer does not aim at: not a typo
            raise JuicerError(f"unknown operator '{name}': Data-Juicer's {media} operator, "
                              "not supported (Juicer curates text)") from None
        raise JuicerError(f"unknown operator '{name}'{did_you_mean(name, _operators)}") from None


# words in the names of Data-Juicer's operators on other media than text
_MEDIA_WORDS = {"image": "image", "images": "image", "img": "image", "video": "video",
                "audio": "audio", "frame": "video", "frames": "video", "face": "image",
                "mllm": "multimodal", "vlm": "multimodal", "caption": "multimodal"}


def _media_of(name: str):
    for word in str(name).lower().split("_"):
        if word in _MEDIA_WORDS:
            return _MEDIA_WORDS[word]
    return None


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
