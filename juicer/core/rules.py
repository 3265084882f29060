"""Filter rules: one definition of when a document passes, read by the filter that drops,
by `juicer analyze` that counts, and by `juicer calibrate` that moves thresholds."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

# the comparisons a rule's threshold is tested with (the stat on the left)
COMPARISONS: dict[str, Callable[[np.ndarray, Any], np.ndarray]] = {
    ">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less,
    "==": np.equal, "!=": np.not_equal,
}
# comparisons whose threshold is a bound calibration can move: a lower or an upper one
LOWER_BOUNDS, UPPER_BOUNDS = (">=", ">"), ("<=", "<")


@dataclass(frozen=True)
class Rule:
    """A named keep condition over one stat; a document failing it is dropped as
    `<step_id>:<name>`.

    Most rules are a comparison: the stat `op` `threshold` (`op` one of COMPARISONS), with
    `nan` saying what a document whose stat is missing gets ("fail", as Data-Juicer's range
    filters; "pass", as datatrove's `if value < threshold: drop`). `param` names the
    operator parameter that sets the threshold, so calibration can move it. A rule that is
    not a comparison (membership, a flag) gives its test as `check`, which decides missing
    values itself (`nan` is for comparisons), and an `op` word that describes it for the
    report ("in", "is", "outside"). `exempt` marks documents the rule never drops whatever
    the threshold (FineWeb's `line_punct_exclude_zero`)."""

    name: str
    stat: str
    op: str
    threshold: Any
    check: Optional[Callable[[np.ndarray], np.ndarray]] = None
    param: Optional[str] = None
    nan: str = "fail"
    exempt: Optional[Callable[[np.ndarray], np.ndarray]] = None

    def __post_init__(self):
        if self.check is None and self.op not in COMPARISONS:
            raise ValueError(f"rule '{self.name}': '{self.op}' is no comparison "
                             f"({', '.join(COMPARISONS)}); give the test as check=")
        if self.nan not in ("fail", "pass"):
            raise ValueError(f"rule '{self.name}': nan must be 'fail' or 'pass', not {self.nan!r}")

    def passes(self, values: np.ndarray, threshold: Any = None) -> np.ndarray:
        """Whether each value passes; `threshold` tries another one (calibration)."""
        values = np.asarray(values)
        if self.check is not None:
            result = np.asarray(self.check(values), dtype=bool)
        else:
            with np.errstate(invalid="ignore"):
                result = np.asarray(COMPARISONS[self.op](
                    values, self.threshold if threshold is None else threshold), dtype=bool)
            if values.dtype.kind == "f":
                missing = np.isnan(values)
                result = result | missing if self.nan == "pass" else result & ~missing
        if self.exempt is not None:
            result = result | np.asarray(self.exempt(values), dtype=bool)
        return result

    @property
    def calibratable(self) -> bool:
        """A comparison with a numeric bound set by a parameter: calibration may move it."""
        return (self.check is None and self.param is not None
                and self.op in LOWER_BOUNDS + UPPER_BOUNDS)

    @property
    def lower_bound(self) -> bool:
        return self.op in LOWER_BOUNDS


def bound(name: str, stat: str, op: str, threshold: Any, *, param: Optional[str] = None,
          nan: str = "fail", exempt=None) -> Rule:
    """A comparison rule; its parameter is the rule's name unless given."""
    return Rule(name, stat, op, threshold, param=param or name, nan=nan, exempt=exempt)
