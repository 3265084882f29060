"""Renamed juicer.token_counters (token counts with language-model tokenizers); kept so that
code importing this name, as docs/models.md once showed, keeps working."""
from juicer.token_counters import DEFAULT_TOKENIZER, TIKTOKEN_ENCODINGS, TokenCounter, load

__all__ = ["DEFAULT_TOKENIZER", "TIKTOKEN_ENCODINGS", "TokenCounter", "load"]
