"""The `juicer` command: process recipes, check and fill them, list operators."""
from __future__ import annotations

import contextlib
import json
import shutil
import sys
import time
from typing import Optional

import click

from juicer.core import registry
from juicer._version import __version__
from juicer.errors import JuicerError, RecipeError, RefusedError, with_hint
from juicer.io.progress import human_size

EXIT_RECIPE = 2  # the recipe is wrong: nothing was read
EXIT_FAILED = 1  # the run itself failed


class TerminalProgress:
    """One status line on stderr, redrawn at most 10 times a second; silent off a TTY."""

    def __init__(self, stream=None):
        import threading

        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.last = 0.0
        self.line = ""  # the bar, redrawn with the reading detail
        self.lock = threading.Lock()  # the driver's progress watcher draws from a thread

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done not in (0, total) and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        with self.lock:
            self.line = f"{label:<40.40} [{bar}] {done}/{total}"
            self.stream.write(f"\r{self.line}\x1b[K")
            if done == total:
                self.stream.write("\n")
                self.line = ""
            self.stream.flush()

    def note(self, text: str) -> None:
        """A note about the run as it starts (why workers wait), shown even off a TTY."""
        with self.lock:
            self.stream.write(f"note: {text}\n")
            self.stream.flush()

    def detail(self, text: str) -> None:
        """What the running shard tasks have read: documents, bytes, rate, time left."""
        if not self.enabled or not self.line:
            return
        with self.lock:
            self.stream.write(f"\r{self.line}  {text}\x1b[K")
            self.stream.flush()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__, prog_name="juicer")
def main() -> None:
    """Juicer turns raw text corpora into curated LLM training data.

    Exit codes: 0 done; 1 the run failed (bad input file, storage, an operator with
    on_error: raise); 2 the recipe or the command line is wrong (nothing was read);
    130 / 143 stopped by Ctrl-C / SIGTERM (finished work is kept: run it again to resume)."""
    _stop_cleanly_on_signals()


def _stop_cleanly_on_signals() -> None:
    """SIGTERM (a scheduler's stop, `kill`) ends a run like Ctrl-C: no traceback, the
    tasks already committed are kept, exit 128 + the signal's number."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return  # click's test runner in a thread: signals are the main thread's

    def stop(number, _frame):
        name = signal.Signals(number).name
        signal.signal(number, signal.SIG_DFL)  # a second one ends it at once
        click.echo(f"\njuicer: stopped by {name}; finished work is kept: run the same "
                   "command again to resume", err=True)
        raise SystemExit(128 + number)

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stop)


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    bash: eval "$(juicer completion bash)" in ~/.bashrc; zsh: the same in ~/.zshrc;
    fish: juicer completion fish > ~/.config/fish/completions/juicer.fish"""
    from click.shell_completion import get_completion_class

    script = get_completion_class(shell)(main, {}, "juicer", "_JUICER_COMPLETE").source()
    click.echo(script)


EXECUTOR_OPTION = click.option(
    "--executor", type=click.Choice(["local", "dask", "ray"]), default=None,
    help="Where tasks run (default: executor.kind, else local). dask and ray start a local "
         "cluster unless --address is given.")
ADDRESS_OPTION = click.option(
    "--address", default=None, metavar="ADDRESS",
    help="Cluster to run on: a Dask scheduler (tcp://host:8786) or a Ray cluster "
         "(host:6379, or auto on one of its nodes).")


def _executor_overrides(executor: Optional[str], address: Optional[str]) -> tuple[str, ...]:
    return tuple(f"executor.{key}={value}" for key, value in
                 (("kind", executor), ("address", address)) if value is not None)


@contextlib.contextmanager
def _failure_exits():
    """A JuicerError inside ends the command with its message and EXIT_FAILED, no traceback."""
    try:
        yield
    except RefusedError as exc:  # refused before anything ran: like a recipe mistake
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_RECIPE)
    except JuicerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)


def _load(recipe_file: str, overrides: tuple[str, ...]):
    from juicer.recipe import load_recipe

    try:
        return load_recipe(recipe_file, list(overrides))
    except RecipeError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_RECIPE)


@main.command()
@click.argument("recipe_file", type=click.Path(dir_okay=False))
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: executor.workers, else the CPU count).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a recipe value, e.g. --set pipeline.0.params.min_len=30 "
                   "or --set output.path=out2 (repeatable).")
@click.option("--overwrite", is_flag=True, help="Replace an existing run in output.path.")
@click.option("--force", is_flag=True,
              help="Resume an interrupted run even though the recipe or input changed.")
@click.option("--keep-work", is_flag=True, hidden=True,
              help="Keep the _work/ intermediates (debugging).")
@click.option("--output", "-o", default=None, metavar="DIR",
              help="Write the run here instead of the recipe's output.path (as "
                   "--set output.path=DIR).")
@EXECUTOR_OPTION
@ADDRESS_OPTION
def process(recipe_file: str, workers: Optional[int], overrides: tuple[str, ...],
            overwrite: bool, force: bool, keep_work: bool, output: Optional[str],
            executor: Optional[str], address: Optional[str]) -> None:
    """Run RECIPE_FILE: write data/, dropped/, quarantine/, report.html and report.json.

    Run it again on the same output.path after a crash or kill and it resumes: shards that
    finished are reused, the output is the same as an uninterrupted run's."""
    from juicer.engine.driver import process as run

    if output is not None:
        import os

        # relative to where the command runs, as a path on the command line is
        overrides = overrides + (f"output.path={os.path.abspath(output)}",)
    recipe = _load(recipe_file, overrides + _executor_overrides(executor, address))
    for note in recipe.notes:
        click.echo(f"note: {note}", err=True)
    with _failure_exits():
        result = run(recipe, workers=workers, overwrite=overwrite, force=force,
                     progress=TerminalProgress(), keep_work=keep_work)
    click.echo(summary(result.report, result.output))


def summary(report: dict, output: str) -> str:
    """The one-screen summary printed after a run."""
    total = max(report["input_docs"] + report.get("split_docs", 0), 1)

    def share(count: int) -> str:
        return f"{count:>10,}  {100 * count / total:5.1f}%"

    lines = [
        f"juicer {report['juicer_version']}: {report['recipe']} in {report['seconds']:.1f}s "
        f"({report['executor']['workers']} workers, {report['executor']['shards']} shards)",
        f"  input        {report['input_docs']:>10,}",
        *([f"  + split into {report['split_docs']:>10,}  more documents (chunks)"]
          if report.get("split_docs") else []),
        f"  kept         {share(report['kept_docs'])}",
        f"  dropped      {share(report['dropped_docs'])}",
        f"  quarantined  {share(report['quarantined_docs'])}",
    ]
    if "input_tokens" in report:
        lines.append(f"  tokens       {report['kept_tokens']:>10,} kept of {report['input_tokens']:,} "
                     f"({report['tokenizer']})")
    resumed = report.get("resumed", {})
    if resumed.get("resumed"):
        lines.insert(1, f"  resumed an interrupted run: {resumed['reused_tasks']} tasks reused, "
                        f"{resumed['ran_tasks']} run")
    if not report["accounting_ok"]:
        lines.append("  WARNING: counts do not add up; please report this as a bug")
    analyzing = report.get("mode") == "analyze"
    if analyzing:
        lines.insert(1, "  analysis: every filter saw every document; nothing was dropped")
    lines.append("")
    lines.append(f"  {'step':<36} {'in':>9} {'out':>9} "
                 f"{'would drop' if analyzing else 'dropped':>10}  top reason")
    for step in report["steps"]:
        reasons = step["drops_by_rule"]
        top = max(reasons, key=reasons.get) if reasons else ""
        if "changed_docs" in step:
            top = f"changed {step['changed_docs']:,}"
        lines.append(f"  {step['id']:<36.36} {step['docs_in']:>9,} {step['docs_out']:>9,} "
                     f"{sum(reasons.values()):>10,}  {top}")
    quarantine = report["quarantine"]["by_error"]
    if quarantine:
        lines.append("")
        lines.append("  quarantined: " + ", ".join(f"{k} ({v})" for k, v in
                                                    list(quarantine.items())[:4]))
    lines.append("")
    lines.append(f"  output:  {output}/data/ ({len(report['files']['data'])} files)")
    lines.append(f"  dropped: {output}/dropped/    quarantine: {output}/quarantine/")
    lines.append(f"  report:  {output}/report.html (open it in a browser; numbers in report.json)")
    return "\n".join(lines)


@main.command()
@click.argument("recipe_file", type=click.Path(dir_okay=False))
@click.option("--input", "inputs", multiple=True, metavar="PATH",
              help="Analyze these files/directories/globs instead of the recipe's input "
                   "(repeatable).")
@click.option("--sample", type=click.IntRange(min=1), default=None, metavar="N",
              help="Read about N documents, picked at random (the same ones every time).")
@click.option("--output", "-o", default=None, metavar="DIR",
              help="Where to write (default: the recipe's output.path + _analysis).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
@EXECUTOR_OPTION
@ADDRESS_OPTION
def analyze(recipe_file: str, inputs: tuple[str, ...], sample: Optional[int],
            output: Optional[str], workers: Optional[int], overrides: tuple[str, ...],
            executor: Optional[str], address: Optional[str]) -> None:
    """Compute every statistic of RECIPE_FILE's filters on every document, dropping none.

    Writes report.html (what each filter would drop, histograms with the thresholds: the
    basis for choosing them), report.json and data/ with the __stats__ of every document.
    An existing analysis in the same directory is replaced."""
    from juicer.corpus.analysis import analyze as run_analysis

    recipe = _load(recipe_file, overrides + _executor_overrides(executor, address))
    with _failure_exits():
        result = run_analysis(recipe, output=output, inputs=inputs, sample=sample,
                              workers=workers, overwrite=True, progress=TerminalProgress())
    click.echo(summary(result.report, result.output))


@main.command()
@click.argument("recipe_file", type=click.Path(dir_okay=False))
@click.option("--keep", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Share of documents the filters should keep together, e.g. 0.8.")
@click.option("--chars", type=click.IntRange(min=1), default=None, metavar="N",
              help="Or: characters the filters should keep together (a size budget).")
@click.option("--tokens", type=click.IntRange(min=1), default=None, metavar="N",
              help="Or: tokens the filters should keep together (a token budget).")
@click.option("--tokenizer", default=None, metavar="NAME",
              help="Tokenizer for --tokens: cl100k_base (default, or the recipe's "
                   "output.count_tokens), o200k_base, a tokenizer.json or .model path.")
@click.option("--analysis", default=None, metavar="DIR",
              help="Reuse an analysis `juicer analyze` wrote (default: run one).")
@click.option("--recipe-out", default=None, metavar="FILE",
              help="Where to write the calibrated recipe (default: "
                   "ANALYSIS_DIR/recipe.calibrated.yaml).")
@click.option("--output", "-o", default=None, metavar="DIR",
              help="Where the analysis is written, as for `juicer analyze` (default: the "
                   "recipe's output.path + _analysis).")
@click.option("--input", "inputs", multiple=True, metavar="PATH")
@click.option("--sample", type=click.IntRange(min=1), default=None, metavar="N")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
def calibrate(recipe_file: str, keep: Optional[float], chars: Optional[int],
              tokens: Optional[int], tokenizer: Optional[str], analysis: Optional[str], recipe_out: Optional[str],
              output: Optional[str], inputs: tuple[str, ...], sample: Optional[int],
              workers: Optional[int], overrides: tuple[str, ...]) -> None:
    """Propose thresholds for RECIPE_FILE's filters that keep about --keep of the documents
    (or --chars characters, or --tokens tokens).

    Each filter with numeric min/max params gets the same share of the drops, trimmed
    from the tails of its statistic; other rules and deduplication stay as they are.
    Writes the calibrated recipe and adds the proposal to the analysis report."""
    from juicer.corpus.analysis import calibrate as run_calibration

    recipe = _load(recipe_file, overrides)
    options = {} if analysis else {"inputs": inputs, "sample": sample, "workers": workers,
                                   "output": output, "progress": TerminalProgress()}
    with _failure_exits():
        proposal = run_calibration(recipe, keep, chars=chars, tokens=tokens, tokenizer=tokenizer,
                                   analysis=analysis,
                                   recipe_out=recipe_out, **options)
    if tokens:
        goal = f"{tokens:,} tokens ({proposal['tokenizer']})"
    else:
        goal = f"{chars:,} characters" if chars else f"{100 * keep:.1f}% of the documents"
    kept_tokens = f", {proposal['kept_tokens']:,} tokens" if "kept_tokens" in proposal else ""
    click.echo(f"target {goal}; achieved {100 * proposal['achieved']:.1f}% "
               f"({proposal['kept_documents']:,} of {proposal['documents']:,} documents, "
               f"{proposal['kept_characters']:,} characters{kept_tokens})")
    for row in proposal["thresholds"]:
        click.echo(f"  {row['step'] + '.' + row['param']:<44} {row['was']!s:>12} -> "
                   f"{row['proposed']:<12g} (step keeps {row['step_kept']:,})")
    click.echo(f"  calibrated recipe: {proposal['recipe_path']}")


@main.command("train-classifier")
@click.option("--positive", "positive", multiple=True, required=True, metavar="PATH",
              help="Curated text (JSONL/Parquet files or folders): what should score high.")
@click.option("--negative", "negative", multiple=True, required=True, metavar="PATH",
              help="Raw text: what should score low.")
@click.option("--output", "-o", required=True, metavar="MODEL",
              help="Model file to write (.ftz quantized, the default, or .bin); a sidecar "
                   "MODEL.json gets the label, the text preparation and the evaluation.")
@click.option("--text-field", default="text", show_default=True)
@click.option("--epochs", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--dim", type=click.IntRange(min=2), default=32, show_default=True)
@click.option("--word-ngrams", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--test-share", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.1, show_default=True, help="Held out for the evaluation (by text hash).")
@click.option("--no-quantize", is_flag=True, help="Write a full .bin model.")
@click.option("--seed", type=int, default=0, show_default=True)
def train_classifier(positive: tuple[str, ...], negative: tuple[str, ...], output: str,
                     text_field: str, epochs: int, dim: int, word_ngrams: int,
                     test_share: float, no_quantize: bool, seed: int) -> None:
    """Train a fastText quality classifier (GPT-3 / DCLM style) from two labelled sources,
    evaluate it on a held-out split and save it for quality_classifier_filter's model_path."""
    from juicer.api import train_classifier as run_training

    with _failure_exits():
        result = run_training(positive, negative, output, text_field=text_field, epochs=epochs,
                              dim=dim, word_ngrams=word_ngrams, test_share=test_share,
                              quantize=not no_quantize, seed=seed)
    click.echo(f"trained on {result['train_documents']:,} documents ({result['positive_documents']:,} "
               f"positive, {result['negative_documents']:,} negative)")
    click.echo(f"held out {result['test_documents']:,}: accuracy {result['accuracy']:.4f}, "
               f"precision {result['precision']:.4f}, recall {result['recall']:.4f}")
    click.echo(f"model: {result['model_path']}")


@main.command("train-lm")
@click.option("--input", "inputs", multiple=True, required=True, metavar="PATH",
              help="Text the model should find likely (JSONL/Parquet files or folders).")
@click.option("--output", "-o", required=True, metavar="MODEL.arpa",
              help="Model to write; MODEL.sp.model and MODEL.json are written beside it.")
@click.option("--held-out", multiple=True, metavar="PATH",
              help="Texts whose median perplexity is measured and recorded.")
@click.option("--text-field", default="text", show_default=True)
@click.option("--order", type=click.IntRange(1, 5), default=3, show_default=True)
@click.option("--vocab-size", type=click.IntRange(min=100), default=8000, show_default=True,
              help="SentencePiece pieces.")
def train_lm(inputs: tuple[str, ...], output: str, held_out: tuple[str, ...], text_field: str,
             order: int, vocab_size: int) -> None:
    """Train an n-gram language model (CCNet style: SentencePiece pieces, Kneser-Ney) for
    perplexity_filter's model_path, offline."""
    from juicer.api import train_lm as run_training

    with _failure_exits():
        sidecar = run_training(inputs, output, text_field=text_field, held_out=held_out,
                               order=order, vocab_size=vocab_size)
    click.echo(f"trained a {order}-gram model on {sidecar['training_lines']:,} lines "
               f"({sidecar['training_tokens']:,} pieces)")
    if "held_out" in sidecar:
        click.echo(f"held out {sidecar['held_out']['documents']:,} documents: median perplexity "
                   f"{sidecar['held_out']['median_perplexity']:.1f}")
    click.echo(f"model: {sidecar['model_path']}")


TEXT_UNIT_OPTION = click.option(
    "--text-unit", type=click.Choice(["file", "line"]), default="file",
    help="What one document is in a .txt input: the whole file or each line.")


@main.command("count")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--field", "fields", multiple=True, metavar="FIELD",
              help="Text field to measure (repeatable; default: text). Records without the "
                   "first one count as unreadable.")
@click.option("--by", default=None, metavar="FIELD",
              help="Also count per value of this field, e.g. lang or source.")
@click.option("--tokenizer", default=None, metavar="NAME",
              help="Count tokens too: cl100k_base, o200k_base, a tokenizer.json or .model "
                   "path (extra models).")
@TEXT_UNIT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def count_command(inputs: tuple[str, ...], fields: tuple[str, ...], by: Optional[str],
                  tokenizer: Optional[str], text_unit: str, as_json: bool) -> None:
    """Count documents, characters, bytes and tokens of INPUT files, folders or globs
    (any format process reads), in total and per value of --by."""
    from juicer.corpus.stats import count

    with _failure_exits():
        counted = count(inputs, fields=fields or ("text",), by=by, tokenizer=tokenizer,
                        text_unit=text_unit)
    if as_json:
        click.echo(json.dumps(counted, indent=2, ensure_ascii=False))
        return
    click.echo(f"documents   {counted['documents']:>14,}")
    if counted["unreadable"]:
        click.echo(f"unreadable  {counted['unreadable']:>14,}  (records without "
                   f"'{(fields or ('text',))[0]}', or damaged)")
    units = ["documents", "chars", "bytes"] + (["tokens"] if tokenizer else [])
    click.echo(f"\n{'field':<24}" + "".join(f"{unit:>16}" for unit in units))
    for name, sums in counted["fields"].items():
        click.echo(f"{name:<24.24}" + "".join(f"{sums[unit]:>16,}" for unit in units))
    if by is None:
        return
    groups = list(counted["groups"].items())
    click.echo(f"\nby {by} ({len(groups)} values{', the 50 largest' if len(groups) > 50 else ''})")
    first = next(iter(counted["fields"]))
    width = max([24, len(by)] + [len(str(key)) + 2 for key, _ in groups[:50]])  # never cut
    click.echo(f"{by:<{width}}{'documents':>16}{'share':>8}" + "".join(
        f"{unit:>16}" for unit in units[1:]))
    for key, group in groups[:50]:
        sums = group["fields"][first]
        share = group["documents"] / max(counted["documents"], 1)
        click.echo(f"{key!s:<{width}}{group['documents']:>16,}{share:>8.1%}" + "".join(
            f"{sums[unit]:>16,}" for unit in units[1:]))


@main.command("sample")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-n", "size", type=click.IntRange(min=1), required=True,
              help="Documents to draw.")
@click.option("--output", "-o", required=True, metavar="FILE",
              help="A .jsonl or .parquet file.")
@click.option("--seed", type=int, default=0, help="Another seed draws another sample.")
@click.option("--text-field", default="text")
@TEXT_UNIT_OPTION
def sample_command(inputs: tuple[str, ...], size: int, output: str, seed: int,
                   text_field: str, text_unit: str) -> None:
    """Draw N documents uniformly at random from INPUT (files, folders, globs; any format),
    the same ones every time for the same input and seed, and write them in input order."""
    from juicer.corpus.stats import sample

    with _failure_exits():
        drawn = sample(inputs, size, output, seed=seed, text_field=text_field,
                       text_unit=text_unit)
    click.echo(f"{drawn['sampled']:,} of {drawn['population']:,} documents -> {output}")


@main.command("convert")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--to", "to", type=click.Choice(["alpaca", "sharegpt", "messages",
                                                "query_response"]), required=True,
              help="Layout to write.")
@click.option("--from", "source", type=click.Choice(["alpaca", "sharegpt", "messages",
                                                     "query_response"]), default=None,
              help="Layout of INPUT (default: recognized from its fields).")
@click.option("--output", "-o", required=True, metavar="FILE",
              help="A .jsonl or .parquet file.")
def convert_command(inputs: tuple[str, ...], to: str, source: Optional[str],
                    output: str) -> None:
    """Convert instruction data between layouts (Alpaca, ShareGPT, OpenAI messages,
    query/response). Records with no form in the target layout go to FILE.failed.jsonl
    with their file, position and reason."""
    from juicer.corpus.instruct import convert

    with _failure_exits():
        done = convert(inputs, output, to, source=source)
    click.echo(f"{done['converted']:,} records {done['from']} -> {done['to']}: {output}")
    if done["failed"]:
        click.echo(f"{done['failed']:,} records have no {to} form: {done['failures']}")
    if done["unreadable"]:
        click.echo(f"{done['unreadable']:,} records could not be read")


@main.command("mix")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE:WEIGHT...")
@click.option("--output", "-o", required=True, metavar="DIR")
@click.option("--docs", "documents", type=float, default=None, metavar="N",
              help="Size of the mix in documents (e.g. 1e6).")
@click.option("--tokens", type=float, default=None, metavar="N",
              help="Or: size in tokens (weights count tokens).")
@click.option("--tokenizer", default="cl100k_base", metavar="NAME",
              help="Tokenizer for --tokens.")
@click.option("--seed", type=int, default=0)
@click.option("--text-field", default="text")
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl"]), default="parquet")
@click.option("--source-field", default="mix_source", metavar="NAME",
              help="Column that names each document's source (default mix_source; '' for "
                   "none).")
def mix_command(sources: tuple[str, ...], output: str, documents: Optional[float],
                tokens: Optional[float], tokenizer: str, seed: int, text_field: str,
                fmt: str, source_field: str) -> None:
    """Mix datasets by weight: each SOURCE is a recipe (its output), a folder or a file,
    e.g. web.yaml:0.7 code/:0.3. Without --docs or --tokens the mix is as large as the
    weights allow without repeating a document. Writes DIR/data/ and DIR/mix_report.json
    with the realized shares."""
    from juicer.corpus.mix import mix, parse_source

    with _failure_exits():
        report = mix([parse_source(s) for s in sources], output,
                     documents=int(documents) if documents else None,
                     tokens=int(tokens) if tokens else None, tokenizer=tokenizer, seed=seed,
                     text_field=text_field, fmt=fmt, source_field=source_field)
    click.echo(f"{report['total']:,} {report['unit']} -> {output}/data/")
    width = max([40] + [len(entry["source"]) for entry in report["sources"]])  # never cut
    for entry in report["sources"]:
        short = "  (source too small for its share)" if entry["short"] else ""
        click.echo(f"  {entry['source']:<{width}} {entry['realized_share']:>7.2%} of the mix "
                   f"(asked {entry['requested_share']:.2%}), {entry['taken']:,} of "
                   f"{entry['available']:,}{short}")


@main.command("plan")
@click.argument("recipe_file", type=click.Path(dir_okay=False))
@click.option("--sample", type=click.IntRange(min=10), default=2000, metavar="N",
              help="Documents of the dry run (picked by row id, the same every time).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plan_command(recipe_file: str, sample: int, workers: Optional[int],
                 overrides: tuple[str, ...], as_json: bool) -> None:
    """Estimate what running RECIPE_FILE on its whole input costs: a dry run on about N
    documents, scaled up. Per step: documents in, dropped, CPU time; in total: time on the
    workers, disk for data/, dropped/ and intermediates, memory per worker. Writes nothing
    but a scratch folder it removes."""
    from juicer.corpus.dry_run import plan

    recipe = _load(recipe_file, overrides)
    with _failure_exits():
        estimate = plan(recipe, sample=sample, workers=workers)
    if as_json:
        click.echo(json.dumps(estimate, indent=2))
        return
    click.echo(f"{recipe_file}: {estimate['input_files']} files, {human_size(estimate['input_bytes'])}, "
               f"about {estimate['population']:,} documents in {estimate['shards']} shards "
               f"(dry run on {estimate['sampled']:,})")
    click.echo(f"\n  {'step':<36} {'docs in':>12} {'dropped':>10} {'keeps':>7} {'CPU':>10}")
    for step in estimate["steps"]:
        share = f"{step['keep_share']:.1%}" if step["keep_share"] is not None else "-"
        dropped = "-" if step["dropped"] is None else f"{step['dropped']:,}"
        click.echo(f"  {step['id']:<36.36} {step['docs_in']:>12,} {dropped:>10} "
                   f"{share:>7} {step['cpu_seconds']:>9,.0f}s")
    disk = estimate["disk_bytes"]
    click.echo(f"\n  kept about {estimate['kept_docs']:,} documents, dropped "
               f"{estimate['dropped_docs']:,}, quarantined {estimate['quarantined_docs']:,}")
    click.echo(f"  time:   about {estimate['wall_seconds']:,.0f} s on {estimate['workers']} "
               f"workers ({estimate['cpu_seconds']:,.0f} CPU seconds)")
    click.echo(f"  disk:   data/ {human_size(disk['data'])}, dropped/ {human_size(disk['dropped'])}, "
               f"intermediates up to {human_size(disk['_work'])}")
    click.echo(f"  memory: about {human_size(estimate['worker_memory_bytes'])} per worker "
               "(set by shard and batch size, not by the corpus)")
    for note in estimate["notes"]:
        click.echo(f"  note:   {note}")


@main.command("report")
@click.argument("output_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--compare", default=None, type=click.Path(file_okay=False, exists=True),
              metavar="OTHER_DIR", help="Write a comparison of the two runs instead.")
@click.option("--output", "-o", default=None, metavar="FILE",
              help="Page to write (default: OUTPUT_DIR/report.html, or OUTPUT_DIR/compare.html "
                   "with --compare).")
@click.option("--group-by", "group_by", multiple=True, metavar="FIELD",
              help="Recount the drop rates per value of FIELD (repeatable; e.g. source).")
@click.option("--key", default=None, metavar="FIELD",
              help="With --compare: the field that matches documents across the runs "
                   "(default: id, doc_id, uuid or url when both have it, else the text).")
def report_command(output_dir: str, compare: Optional[str], output: Optional[str],
                   group_by: tuple[str, ...], key: Optional[str]) -> None:
    """(Re)write the HTML report of the run in OUTPUT_DIR from its report.json, or compare
    it with the run in OTHER_DIR (counts, params that differ, funnels, drops per rule,
    documents whose fate changed, stat shifts)."""
    from juicer.api import render_report as write_report

    with _failure_exits():
        path = write_report(output_dir, compare, output, group_by=group_by, key=key)
    click.echo(path)


@main.group()
def recipe() -> None:
    """Check recipes and show them with every default filled."""


@recipe.command("check")
@click.argument("recipe_file", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
@click.option("--json", "as_json", is_flag=True,
              help="Print {ok, steps, input_files, shards, notes, problems} as JSON.")
def recipe_check(recipe_file: str, overrides: tuple[str, ...], as_json: bool) -> None:
    """Validate RECIPE_FILE without reading any data; exit 2 listing every mistake."""
    from juicer.io.shards import expand_paths, split_into_shards
    from juicer.io.probe import check_text_field
    from juicer.recipe import load_recipe

    result = {"recipe": recipe_file, "ok": False, "steps": None, "input_files": None,
              "shards": None, "notes": [], "problems": []}

    def fail(problems: list[dict], text: str) -> None:
        if as_json:
            click.echo(json.dumps({**result, "problems": problems}, indent=2))
        else:
            click.echo(text, err=True)
        sys.exit(EXIT_RECIPE)

    try:
        loaded = load_recipe(recipe_file, list(overrides))
    except RecipeError as exc:
        fail([{"location": p.location, "message": p.message, "hint": p.hint}
              for p in exc.problems], str(exc))
    result.update(steps=len(loaded.pipeline), notes=list(loaded.notes))
    try:
        files = expand_paths(loaded.input.paths, skip_under=loaded.output.path)
        check_text_field(files, loaded.input.text_field)
    except JuicerError as exc:
        fail([{"location": f"{recipe_file}: input", "message": str(exc), "hint": ""}],
             f"{recipe_file}: input: {exc}")
    shards = split_into_shards(files, loaded.input.shard_size, loaded.input.text_unit)
    result.update(ok=True, input_files=len(files), shards=len(shards))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for note in loaded.notes:
        click.echo(f"note: {note}")
    click.echo(f"{recipe_file}: OK, {len(loaded.pipeline)} steps, {len(files)} input files, "
               f"{len(shards)} shards")


@recipe.command("fill")
@click.argument("recipe_file", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
def recipe_fill(recipe_file: str, overrides: tuple[str, ...]) -> None:
    """Print RECIPE_FILE in Juicer's layout with every default filled in."""
    click.echo(_load(recipe_file, overrides).to_yaml(), nl=False)


@main.group()
def ops() -> None:
    """List and describe operators (built-in and plugins)."""


@ops.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--kind", type=click.Choice(["mapper", "filter", "deduplicator", "selector"]), default=None)
def ops_list(as_json: bool, kind: Optional[str]) -> None:
    """Every registered operator with its kind and summary."""
    described = [registry.get(name).describe() for name in registry.names()]
    described = [d for d in described if kind is None or d["kind"] == kind]
    if as_json:
        click.echo(json.dumps(described, indent=2, default=str))
        return
    for line in _operator_lines(described, shutil.get_terminal_size((100, 24)).columns):
        click.echo(line)


def _operator_lines(described: list[dict], width: int) -> list[str]:
    """One line per operator in `width` columns: name, kind, the summary's first sentence
    (cut with an ellipsis if it does not fit); a name too long for its column gets a line
    of its own."""
    from juicer.text.sentences import sentences_of

    name_width = min(max(len(d["name"]) for d in described), 36) if described else 0
    kind_width = max((len(d["kind"]) for d in described), default=0)
    room = max(width - name_width - kind_width - 2, 20)
    lines = []
    for entry in described:
        summary = sentences_of(entry["summary"])[0].strip()
        if len(summary) > room:
            summary = summary[:room - 1].rstrip() + "…"
        if len(entry["name"]) > name_width:
            lines.append(entry["name"])
            lines.append(f"{'':<{name_width}} {entry['kind']:<{kind_width}} {summary}")
        else:
            lines.append(f"{entry['name']:<{name_width}} {entry['kind']:<{kind_width}} {summary}")
    return lines


@ops.command("docs")
def ops_docs() -> None:
    """Print docs/operators.md for the built-in operators (Markdown)."""
    from juicer.core.operator_docs import render

    click.echo(render(), nl=False)


@ops.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def ops_show(name: str, as_json: bool) -> None:
    """Params (types, defaults, descriptions), stats and rules of operator NAME."""
    try:
        entry = registry.get(name).describe()
    except JuicerError as exc:
        click.echo(f"error: {with_hint(str(exc), '`juicer ops list` shows every operator')}", err=True)
        sys.exit(EXIT_RECIPE)
    if as_json:
        click.echo(json.dumps(entry, indent=2, default=str))
        return
    click.echo(f"{entry['name']} ({entry['kind']}, {entry['module']})\n")
    click.echo(entry["doc"] + "\n")
    click.echo("params:")
    for param in entry["params"]:
        click.echo(f"  {param['name']}: {param['type']} = {param['default']!r}")
        if param["description"]:
            click.echo(f"      {param['description']}")
    if entry["stats"]:
        click.echo("stats: " + ", ".join(entry["stats"]))
    if entry.get("rules"):
        click.echo("rules (drop reasons): " + ", ".join(entry["rules"]))


if __name__ == "__main__":
    main()
