from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from juicer.core.operator import Mapper, OpParams


class RemoveBibliographyMapper(Mapper):
    """Cut LaTeX documents at their appendix or bibliography: everything from the first
    `\\appendix`, `\\begin{references}`, `\\begin{REFERENCES}`, `\\begin{thebibliography}`
    or `\\bibliography{...}` to the end is removed. Same rule as Data-Juicer's mapper of
    this name."""

    name = "remove_bibliography_mapper"
    Params = OpParams

    def map_text(self, text: pa.Array) -> pa.Array:
        return pc.replace_substring_regex(
            text, r"(?s)(\\appendix|\\begin\{references\}|\\begin\{REFERENCES\}|"
                  r"\\begin\{thebibliography\}|\\bibliography\{.*\}).*$", "")
