from __future__ import annotations

import pyarrow as pa

from juicer.core.operator import Mapper
from juicer_operators.mappers.pattern_params import PatternParams

_OCTET = r"(?:1[0-9][0-9]|2[0-4][0-9]|25[0-5]|[1-9][0-9]|[0-9])"


class CleanIpMapper(Mapper):
    """Remove IPv4 and full-form IPv6 addresses (or replace them with `repl`).

    The built-in pattern matches what Data-Juicer's does: four dotted octets 0-255 and
    eight colon-separated groups of 1-4 hex digits (no `::` shorthand). Octets are not
    anchored to word boundaries there either, so `1.2.3.4567` loses `1.2.3.45`."""

    name = "clean_ip_mapper"

    class Params(PatternParams):
        _default_pattern = rf"(?:{_OCTET}\.){{3}}{_OCTET}|(?:[0-9a-fA-F]{{1,4}}:){{7}}[0-9a-fA-F]{{1,4}}"

    def map_text(self, text: pa.Array) -> pa.Array:
        return self.params.rewrite(text)
