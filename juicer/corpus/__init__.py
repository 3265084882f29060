"""Tools over a corpus, before or after curating it: count and sample (stats), convert
between instruction layouts (instruct), mix datasets by weight (mix), look at a corpus
through a recipe's filters and calibrate them (analysis), and estimate a run from a sample
(dry_run, `juicer plan`)."""
from juicer.corpus.stats import count, sample

__all__ = ["count", "sample"]
