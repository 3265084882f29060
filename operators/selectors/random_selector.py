from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.core.batch import ROW_ID
from juicer.core.operator import OpParams, Selector


class RandomSelector(Selector):
    """Keep a random sample of `select_num` documents or a `select_ratio` share of them.

    When both are set the smaller sample wins, as in Data-Juicer. Unlike Data-Juicer the
    sample is reproducible: a document is kept when the hash of (`seed`, its row id) is among
    the smallest, so the same input and seed give the same sample on any executor, and the
    kept documents stay in input order."""

    name = "random_selector"

    class Params(OpParams):
        select_ratio: Optional[float] = Field(
            None, ge=0, le=1, description="Share of the documents to keep.")
        select_num: Optional[int] = Field(None, gt=0, description="Number of documents to keep.")
        seed: int = Field(42, description="Seed of the sample; change it for another sample.")

    def select(self, keys: pa.Table) -> np.ndarray:
        count = keys.num_rows
        wanted = sample_size(count, self.params.select_ratio, self.params.select_num)
        keep = np.ones(count, dtype=bool)
        if wanted >= count:
            return keep
        scores = mix64(keys.column(ROW_ID).to_numpy().astype(np.uint64) ^ mix64(
            np.array([self.params.seed], dtype=np.uint64))[0])
        keep[:] = False
        keep[np.argsort(scores, kind="stable")[:wanted]] = True
        return keep


def sample_size(count: int, ratio: Optional[float], number: Optional[int]) -> int:
    """Data-Juicer's rule: the smaller of int(ratio * count) and number; all if neither."""
    if ratio is None and number is None:
        return count
    wanted = int(ratio * count) if ratio is not None else count
    return min(wanted, number) if number is not None else wanted


def mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer: a fast, well-mixed hash of 64-bit integers."""
    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
