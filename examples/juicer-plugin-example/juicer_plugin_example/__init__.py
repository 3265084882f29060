"""Example operators from a separate package: installed beside Juicer, they appear in
`juicer ops list` and run from a recipe like the built-ins."""
from juicer_plugin_example.digit_ratio_filter import DigitRatioFilter
from juicer_plugin_example.strip_prefix_mapper import StripPrefixMapper

__all__ = ["DigitRatioFilter", "StripPrefixMapper"]
