"""Stop-word and flagged-word lists: shipped ones (juicer/assets/wordlists) or a user's folder.

A folder holds `<lang>.txt` files (one word per line) or Data-Juicer's layout, one
`<kind>.json` mapping languages to word lists. `lang: all` merges every language.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Optional

from juicer.errors import JuicerError

KINDS = ("stopwords", "flagged_words")


def shipped_folder(kind: str) -> Path:
    return Path(str(resources.files("juicer").joinpath("assets", "wordlists", kind)))


@lru_cache(maxsize=64)
def load(kind: str, lang: str, folder: Optional[str] = None) -> frozenset[str]:
    """The `kind` word list for `lang` ("all": every language merged)."""
    directory = Path(folder) if folder else shipped_folder(kind)
    lists = _read_folder(kind, directory)
    if lang == "all":
        return frozenset(word for words in lists.values() for word in words)
    if lang not in lists:
        raise JuicerError(
            f"no {kind} list for language '{lang}' in {directory}; available: "
            f"{', '.join(sorted(lists)) or 'none'}. Add {directory / (lang + '.txt')} "
            f"(one word per line) or set lang to one of those")
    return lists[lang]


def _read_folder(kind: str, directory: Path) -> dict[str, frozenset[str]]:
    if not directory.is_dir():
        raise JuicerError(f"{kind} folder {directory} does not exist")
    data_juicer_file = directory / f"{kind}.json"
    if data_juicer_file.is_file():
        try:
            mapping = json.loads(data_juicer_file.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise JuicerError(f"{data_juicer_file}: line {exc.lineno}: not valid JSON "
                              f"({exc.msg})") from None
        return {lang: frozenset(words) for lang, words in mapping.items()}
    return {path.stem: frozenset(line.strip() for line in path.read_text("utf-8").splitlines()
                                 if line.strip())
            for path in sorted(directory.glob("*.txt"))}
