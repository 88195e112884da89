"""The ``embedkit`` command line: option parsing and printing only; the work is in the library."""

from __future__ import annotations

import functools
import gc
import os
import sys
import warnings

import click

from . import __version__, _faults
from ._util import WRITTEN, check_writable, is_stream, output_group
from .errors import EmbedkitError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class EmbedkitGroup(click.Group):
    """A click group that reports every error (usage or library) as one stderr line.

    ``EmbedkitError`` becomes ``Error: <message>`` with exit status 1 (the one place library
    errors become CLI errors: ``cli_message()`` spells parameters as their options),
    a usage error ``Error: <message>`` with status 2, Ctrl-C exits 130, and library warnings print
    as one ``Warning: ...`` line each. A traceback is always an embedkit bug.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        _faults.install_signal_handlers()  # SIGTERM/SIGHUP clean up as Ctrl-C does
        try:
            _faults.arm_fault_injection()
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as e:
            if _NO_ARGS_IS_HELP is not None and isinstance(e, _NO_ARGS_IS_HELP):  # bare `embedkit`: help, status 0
                click.echo(e.format_message())
                sys.exit(0)
            click.echo(f"Error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)
        except (click.Abort, KeyboardInterrupt, _Interrupted) as e:
            e = e.exc if isinstance(e, _Interrupted) else e
            click.echo(_faults.interruption_line(e), err=True)
            sys.exit(_faults.exit_status(e))
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def add_command(self, cmd, name=None):
        """Register ``cmd`` with ``-q/--quiet``, so it works after the command name too."""
        if not any(p.name == "quiet" for p in cmd.params):
            cmd.params.append(click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_set_quiet,
                                           help="No progress bars or status lines (errors and warnings still print)."))
        if self.name == "train":
            cmd.params.append(click.Option(["--force"], is_flag=True, expose_value=False, callback=_set_force,
                                           help="Start even if the estimated memory need exceeds the memory "
                                                "available (checked before the big allocations)."))
        if self.name == "train" or (name or cmd.name) == "cooc":
            cmd.epilog = ((cmd.epilog + "\n\n") if cmd.epilog else "") + TEMP_SPACE_HELP
        super().add_command(cmd, name)

    def invoke(self, ctx):
        if ctx.parent is None:
            WRITTEN.clear()  # this command's outputs (several commands can run in one process: CliRunner)
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            # a developer's diagnostic, off by default in Python: a file that a signal left unclosed as it unwound
            # would otherwise add a line to the interruption's one
            warnings.simplefilter("ignore", ResourceWarning)
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except EmbedkitError as e:  # parameters named as options (TrainingDivergedError, ParameterError)
                raise click.ClickException(e.cli_message()) from None
            except MemoryError:
                raise click.ClickException(_faults.memory_error_line()) from None
            except KeyboardInterrupt as e:  # past click's own handler, which would print a blank line first
                raise _Interrupted(e) from None
            except SystemError as e:  # a signal inside C code (Numba loading a cached kernel) comes wrapped
                inner = e.__cause__ or e.__context__
                if isinstance(inner, KeyboardInterrupt):
                    raise _Interrupted(inner) from None
                raise
            except OSError as e:
                if isinstance(e, PermissionError) and e.filename:  # say, a model's folder made read-only mid-run
                    raise click.ClickException(f"{e.strerror or 'permission denied'}: {e.filename}") from None
                if not _faults.is_no_space(e):
                    raise
                raise click.ClickException(str(_faults.no_space_error(e, e.filename or os.getcwd(), "a file"))) from None


class _Interrupted(BaseException):
    """Ctrl-C, SIGTERM or SIGHUP, carried past click to ``EmbedkitGroup.main``."""

    def __init__(self, exc):
        super().__init__(str(exc))
        self.exc = exc


_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", None)  # click >= 8.2


TEMP_SPACE_HELP = ("Temporary space: the encoded corpus (4 bytes per token, 8 per sentence) goes to $TMPDIR (else "
                   "/tmp), spilled co-occurrence runs to --tmp-dir where the command has it; all of it is removed at "
                   "the end, on an error, Ctrl-C, SIGTERM or SIGHUP, and what a killed (SIGKILL) run left is removed "
                   "by the next run.")


def _set_force(ctx, param, value):
    if value:  # for this command only: a later command of the same process (CliRunner) checks again
        ctx.with_resource(_faults.allow_over_memory())
    return value


def _set_quiet(ctx, param, value):
    """-q given after a command: the same as before it."""
    if value:
        ctx.ensure_object(dict)
        ctx.obj["quiet"] = True
        ctx.obj["progress"] = False
    return value


def _show_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"Warning: {message}", err=True)


# ---------------------------------------------------------------- outputs, checked at parse time
class OutputFile(click.Path):
    """A file the command will write: checked when the option is parsed, before any work.

    click parses every option before a command's body runs, so a missing folder, a folder given
    as a file name or an unwritable place fails at once, not after the corpus was read. Every
    option or argument naming something a command writes uses this type (or ``OutputDir``).
    """

    folder = False

    def __init__(self, *, allow_dash=False, exists=False):
        super().__init__(file_okay=not self.folder, dir_okay=self.folder, allow_dash=allow_dash, exists=exists)

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        if self.allow_dash and value == "-":
            return value
        try:
            return check_writable(value, folder=self.folder)
        except EmbedkitError as e:
            self.fail(str(e), param, ctx)


class OutputDir(OutputFile):
    """A folder the command will create or write in, checked at parse time like ``OutputFile``."""

    folder = True


class ModelDir(OutputDir):
    """A model folder to write (``--save-model``): also refused at parse time when a folder of other
    files is there, which the write would refuse after training (it never replaces them)."""

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        from .modelfile import check_model_folder

        try:
            return check_model_folder(value)
        except EmbedkitError as e:
            self.fail(str(e), param, ctx)


# ---------------------------------------------------------------- option value types, checked at parse time
class FiniteFloatRange(click.FloatRange):
    """A FloatRange that also refuses nan and infinity (a bad value exits 2 naming its option)."""

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        if value != value or value in (float("inf"), float("-inf")):
            self.fail(f"{value} is not a finite number", param, ctx)
        return value


# the value ranges the trainers accept, shared by every option bundle, so that a value the library
# would refuse is refused while the command line is parsed: `--dim 0` exits 2 naming --dim
POSITIVE = click.IntRange(min=1)
COUNT = click.IntRange(min=0)
WINDOW = click.IntRange(1, 1000)  # one limit for every command (co-occurrence counting's)
POSITIVE_FLOAT = FiniteFloatRange(min=0, min_open=True)
NONNEG_FLOAT = FiniteFloatRange(min=0)
CDS = FiniteFloatRange(0, 1, min_open=True)


# ---------------------------------------------------------------- option bundles
TOKENIZE_HELP = ("How text becomes tokens: 'whitespace' (what spaces, tabs and newlines separate, as word2vec, "
                 "fastText and GloVe), 'words' (punctuation split off and dropped, any script; keeps feynman's, "
                 "anti-statism, 3.14, u.s. whole) or 'text8' (a-z only, digits spelled out, as text8/wikifil).")


def tokenize_options(fn, lowercase_help="Lower-case the text before counting (Unicode-aware: É -> é)."):
    """--tokenize, --keep-punctuation and --lowercase: how every command that reads text splits it."""
    for deco in reversed([
        click.option("--tokenize", default="whitespace", show_default=True, callback=_check_keep_punctuation,
                     type=click.Choice(["whitespace", "words", "text8"]), help=TOKENIZE_HELP),
        click.option("--keep-punctuation", is_flag=True, callback=_check_keep_punctuation,
                     help="With --tokenize words: keep each punctuation mark as a token."),
        click.option("--lowercase", is_flag=True, help=lowercase_help),
    ]):
        fn = deco(fn)
    return fn


def _check_keep_punctuation(ctx, param, value):
    """--keep-punctuation without --tokenize words is a usage error, before any work (checked by
    whichever of the two options click parses second)."""
    tokenize, keep = (value, ctx.params.get("keep_punctuation")) if param.name == "tokenize" else \
        (ctx.params.get("tokenize"), value)
    if keep and tokenize is not None and tokenize != "words":
        raise click.UsageError("--keep-punctuation needs --tokenize words")
    return value


def corpus_options(fn, required=True):
    """CORPUS argument plus the vocabulary options shared by every command that reads text."""
    for deco in reversed([
        click.argument("corpus", type=click.Path(allow_dash=True), required=required),
        click.option("--min-count", default=5, show_default=True, type=click.IntRange(min=1),
                     help="Drop words seen fewer times."),
        click.option("--max-vocab", default=None, type=click.IntRange(min=1),
                     help="Keep at most this many most frequent words."),
        tokenize_options,
    ]):
        fn = deco(fn)
    return fn


FORMAT_HELP = ("Vector file format [default: from the -o suffix: .bin word2vec-binary, .npy npy, "
               "else word2vec text; .gz/.bz2/.xz compress].")


def _check_output_format(ctx, param, value):
    """-o and --format agree (run on both, checks once both are parsed): before any work."""
    other = {"output": "fmt", "fmt": "output"}[param.name]
    if value is not None and ctx.params.get(other) is not None:
        from .formats import output_paths

        output, fmt = (value, ctx.params[other]) if param.name == "output" else (ctx.params[other], value)
        try:
            output_paths(output, fmt)
        except EmbedkitError as e:
            raise click.UsageError(str(e)) from None
    return value


def check_suffixes(*outputs):
    """The suffix rule for each ``(path, format)`` a command will write (None paths skipped): a
    contradiction is a usage error (exit 2), as when -o and --format are parsed, before any work."""
    from .formats import output_paths

    for path, fmt in outputs:
        if path:
            try:
                output_paths(path, fmt)
            except EmbedkitError as e:
                raise click.UsageError(str(e)) from None


def _epochs(n):
    return f"{n} epoch" + ("" if n == 1 else "s")


def check_separate(corpus, *outputs):
    """A usage error (exit 2, before any work) when two of ``outputs`` (``(option, path)``, None
    paths skipped) are one file, which the second write would replace, or when one of them is a
    CORPUS file, which training would overwrite."""
    seen = {}
    for option, path in outputs:
        if not path or path == "-":
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise click.UsageError(f"{seen[key]} and {option} name the same file ({path}): give each its own")
        seen[key] = option
    paths = corpus if isinstance(corpus, (list, tuple)) else [corpus]
    for p in paths:
        if p and p != "-" and os.path.realpath(p) in seen:
            raise click.UsageError(f"{seen[os.path.realpath(p)]} {p} is the corpus: writing it would replace the text")


def output_options(fn):
    """-o/--output and --format for commands that write vectors."""
    fn = click.option("--format", "fmt", default=None, callback=_check_output_format,
                      type=click.Choice(["word2vec", "word2vec-binary", "glove", "npy"]), help=FORMAT_HELP)(fn)
    fn = click.option("-o", "--output", required=True, type=OutputFile(),
                      callback=_check_output_format, help="Where to write the vectors.")(fn)
    return fn


threads_option = click.option("--threads", default=None, type=click.IntRange(min=1),
                              help="Worker threads [default: all cores].")
seed_option = click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0),
                           help="Random seed (with --threads 1 runs are bit-identical).")


def model_options(fn):
    """--save-model DIR and --init MODEL for the trainers that keep a model folder (word2vec, GloVe)."""
    fn = click.option("--init", default=None, type=click.Path(exists=True),
                      help="Continue training this model folder (from --save-model) on CORPUS (GloVe: or on "
                           "--cooc DIR).")(fn)
    return click.option("--save-model", default=None, type=ModelDir(),
                        help="Also write the model folder (vocabulary with counts, every weight and setting): "
                             "--init continues from it, and every command reads its vectors.")(fn)


def _open_init(init, method):
    """The --init model, checked before any training (None without --init)."""
    if init is None:
        return None
    from .modelfile import load_init

    return load_init(init, method)


def _save_model(ctx, r, path):
    if path:
        r.model.save(path)
        status(ctx, f"wrote the model ({len(r.model.words)} words, {_epochs(r.model.state.get('epochs_done'))} done) "
                    f"to {path}")


class MemorySize(click.ParamType):
    """A byte count written 512M, 2G, 1.5G or 300000."""

    name = "size"

    def convert(self, value, param, ctx):
        from .cooc import parse_memory

        try:
            return value if isinstance(value, int) else parse_memory(value)
        except EmbedkitError as e:
            self.fail(str(e), param, ctx)


def memory_options(fn, default=None, trainer=False):
    """--memory and --tmp-dir for commands that count co-occurrences (and fit them, with ``trainer``)."""
    fn = click.option("--tmp-dir", default=None, type=OutputDir(exists=True),
                      help="Folder for spilled runs [default: the system's temporary folder].")(fn)
    extra = (" The trainer's own data (GloVe's records, the PPMI matrix), when larger, then stays on disk "
             "there and is streamed; with --cooc DIR, this bounds the fit (and a higher --min-count's copy of "
             "the folder)." if trainer else "")
    return click.option("--memory", default=default, show_default=default is not None, type=MemorySize(),
                        help="Count co-occurrences within this much memory (512M, 2G, 1.5G): sorted runs are "
                             "spilled to --tmp-dir and merged on disk; same result." + extra)(fn)


def cooc_source_options(fn):
    """CORPUS or --cooc DIR, plus --memory/--tmp-dir, for trainers that fit a co-occurrence matrix."""
    fn = click.option("--cooc", default=None, type=click.Path(file_okay=False, exists=True),
                      help="Fit from a folder written by `embedkit cooc` instead of a CORPUS.")(fn)
    return memory_options(corpus_options(fn, required=False), trainer=True)


phrases_option = click.option("--phrases", "phrases", default=None, type=click.Path(exists=True, dir_okay=False),
                              help="Apply this phrase table (from `embedkit phrases --save-table`) to CORPUS on the "
                                   "fly: training sees the tokens `embedkit phrases --table` would write.")


def phrased_corpus(ctx, corpus, phrases, min_count, max_vocab, cooc=None, mode="replace", **tokenizer):
    """CORPUS itself, or with --phrases the phrased (Vocab, EncodedCorpus) pair every trainer takes
    (``mode="add"``: word2vec's words plus phrases beside them)."""
    if phrases is None:
        if mode != "replace":
            raise click.UsageError("--phrase-mode applies with --phrases")
        return corpus
    if cooc is not None or corpus is None:
        raise click.UsageError("--phrases applies to a CORPUS, not to --cooc")
    from .phrases import PhraseTable, phrase_corpus

    table = PhraseTable.load(phrases)
    return phrase_corpus(corpus, table, min_count=min_count, max_vocab=max_vocab, progress=ctx.obj["progress"],
                         mode=mode, **tokenizer)


def typed_options(ctx, names):
    """The options of ``names`` that the user gave (on the command line or in the environment)."""
    from click.core import ParameterSource

    return [name for name in names
            if ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)]


def load_cooc_source(ctx, corpus, cooc, counting, *, memory=None, tmp_dir=None, threads=None):
    """The stored matrix of --cooc DIR, checked against the counting options given on the command line.

    ``counting`` maps each counting option of the command to its value; the options the user
    typed must equal the stored ones (an error names both), but for a higher --min-count, which
    fits the folder's words seen that often (``Cooccurrence.restrict``: within ``memory`` in
    ``tmp_dir`` when --memory is given, else in memory). Without --cooc this returns None (the
    trainer counts CORPUS itself).
    """
    if (corpus is None) == (cooc is None):
        raise click.UsageError("give either a CORPUS or --cooc DIR")
    if cooc is None:
        return None
    given = typed_options(ctx, counting)
    if tmp_dir is not None and memory is None:
        raise click.UsageError("--tmp-dir applies with --memory (with --cooc and no --memory, the fit stays in memory)")
    from .cooc import UNKNOWN, load_cooccurrences

    c = load_cooccurrences(cooc)
    stored = c.params["min_count"]
    if "min_count" in given and stored is not UNKNOWN and counting["min_count"] > stored:
        given.remove("min_count")  # a higher --min-count fits the folder's more frequent words
        c = c.restrict(counting["min_count"], memory=memory, tmp_dir=tmp_dir, threads=threads,
                       progress=ctx.obj["progress"])
    c.check_params(**{name: counting[name] for name in counting if name in given})
    return c


def stage_seconds(timings):
    """``seconds per stage: scan 2.5, compile 0.4, ...`` (kernel compilation is its own stage)."""
    return "seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items())


def deprecated_flag(old, new, value, meant):
    """The value of an option given with its old spelling ``old`` (hidden, meaning ``meant``):
    warns that ``new`` replaces it; an error if the new spelling was also given, differently."""
    src = click.get_current_context().get_parameter_source(new.split()[0].lstrip("-").replace("-", "_"))
    if src is not None and src.name != "DEFAULT" and value != meant:
        raise click.UsageError(f"{old} contradicts {new.split()[0]} {value}")
    warnings.warn(f"{old} is deprecated: use {new}")
    return meant


def status(ctx, message):
    """Print a status line ("wrote ...", losses, timings) on stderr, unless -q was given.

    Errors and warnings do not go through here: they always print.
    """
    ctx = ctx or click.get_current_context()
    if not (ctx.find_root().obj or {}).get("quiet"):
        click.echo(message, err=True)


def write_vectors(vectors, output, fmt):
    """Save (format from the suffix when ``fmt`` is None; word counts, when the vectors carry them,
    with them) and name every file written."""
    paths = vectors.save(output, format=fmt)
    status(None, f"wrote {len(vectors)} x {vectors.dim} vectors to {' and '.join(paths)}")


# ---------------------------------------------------------------- commands
@click.group(cls=EmbedkitGroup, context_settings=CONTEXT_SETTINGS, invoke_without_command=True)
@click.version_option(__version__, "--version", prog_name="embedkit")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bars or status lines (errors and warnings still print); also after the command.")
@click.pass_context
def cli(ctx, quiet):
    """Train, evaluate and explore static word embeddings.

    \b
    Example:
      embedkit train ppmi-svd data/sample.txt.xz -o vectors.txt
      embedkit eval vectors.txt
    """
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet
    ctx.obj["progress"] = not quiet and sys.stderr.isatty()
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:  # `embedkit -q` alone: the help
        click.echo(ctx.get_help())


@cli.group(cls=EmbedkitGroup)
def train():
    """Train word vectors on a corpus (text, .gz/.bz2/.xz, a folder, or - for stdin).

    \b
    Example:
      embedkit train ppmi-svd data/sample.txt.xz -o vectors.txt
      embedkit train fasttext data/sample.txt.xz -o ft.vec --save-model ft.bin
    """


@cli.command("vocab")
@corpus_options
@click.option("-o", "--output", default=None, type=OutputFile(allow_dash=True),
              help="Write the vocabulary ('word count' lines) here instead of stdout ('-': stdout).")
@threads_option
@click.pass_context
def vocab_cmd(ctx, corpus, min_count, max_vocab, lowercase, tokenize, keep_punctuation, output, threads):
    """Count the words of CORPUS and print 'word count' lines, most frequent first.

    \b
    Example:
      embedkit vocab data/sample.txt.xz --min-count 5 -o vocab.txt
      embedkit vocab raw.txt --tokenize words --lowercase -o vocab.txt
    """
    from .vocab import build_vocab

    vocab = build_vocab(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase, tokenize=tokenize,
                        keep_punctuation=keep_punctuation, threads=threads, progress=ctx.obj["progress"])
    if output and output != "-":
        vocab.save(output)
    else:
        vocab.write(sys.stdout)


# ---------------------------------------------------------------- phrases (issue 23)
def _thresholds(ctx, param, value):
    if value is None:
        return None
    try:
        return [float(x) for x in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"expected a number or numbers separated by commas, got {value!r}") from None


@cli.command("phrases")
@click.argument("corpus", type=click.Path(allow_dash=True))
@click.option("-o", "--output", required=True, type=OutputFile(allow_dash=True),
              help="Where to write the phrased text (- for standard output).")
@click.option("--scoring", default="word2phrase", show_default=True, type=click.Choice(["word2phrase", "npmi"]),
              help="word2phrase: (count(a b) - min_count) / count(a) / count(b) * tokens; npmi: gensim's, in (-1, 1].")
@click.option("--min-count", default=5, show_default=True, type=click.IntRange(min=1),
              help="Never join a pair (or, for word2phrase, a word) seen fewer times.")
@click.option("--threshold", default=None, callback=_thresholds, metavar="T[,T...]",
              help="Join a pair scoring above this; one per pass, e.g. 200,100 [default: 100 word2phrase, 0.5 npmi].")
@click.option("--passes", default=None, type=click.IntRange(min=1),
              help="Passes, each joining the previous one's output (2: up to 4 words) [default: one per threshold].")
@click.option("--delimiter", default="_", show_default=True, help="Joins the words of a phrase.")
@click.option("--connector-words", default="none", show_default=True, type=click.Choice(["none", "english"]),
              help="english: gensim's list (of, the, and, ...) may sit inside a phrase, never at its ends.")
@tokenize_options
@click.option("--save-table", default=None, type=OutputFile(),
              help="Also write the phrase table (phrase TAB score TAB count).")
@click.option("--table", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Apply this saved table instead of counting.")
@click.option("--memory", default=None, type=MemorySize(),
              help="Count pairs within this much memory (512M, 2G); past it sorted runs are spilled to --tmp-dir "
                   "and merged: same counts [default: 2G].")
@click.option("--tmp-dir", default=None, type=OutputDir(exists=True), help="Folder for spilled runs.")
@threads_option
@click.pass_context
def phrases_cmd(ctx, corpus, output, table, save_table, lowercase, tokenize, keep_punctuation, threads, **kw):
    """Join frequent word pairs of CORPUS into phrases (word2vec's word2phrase, gensim's Phrases).

    \b
    Example:
      embedkit phrases corpus.txt -o phrased.txt --threshold 200,100 --save-table phrases.tsv
      embedkit train skipgram corpus.txt -o vec.txt --phrases phrases.tsv
    """
    from click.core import ParameterSource

    from .phrases import PhraseTable, phrase_text

    # many short parallel kernels between serial steps: OpenMP workers that spin-wait after each
    # one take the core from the serial step on a busy machine (read when the thread pool starts)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if table is not None:
        given = [k for k in (*kw, "save_table") if ctx.get_parameter_source(k) == ParameterSource.COMMANDLINE
                 and k != "delimiter"]
        if given:
            raise click.UsageError(f"--{given[0].replace('_', '-')} applies to counting, not to --table")
        table = PhraseTable.load(table, delimiter=kw["delimiter"])
        kw = {}
    t, info = phrase_text(corpus, output, table=table, lowercase=lowercase, tokenize=tokenize,
                          keep_punctuation=keep_punctuation, threads=threads, progress=ctx.obj["progress"], **kw)
    if save_table:
        t.save(save_table)
    counts = f" ({' + '.join(f'{len(p):,}' for p in t.passes)} in {len(t.passes)} passes)" if len(t.passes) > 1 else ""
    where = "standard output" if output == "-" else output
    status(ctx, f"{len(t):,} phrases{counts}; wrote {info['tokens_out']:,} tokens "
                f"in {info['lines']:,} lines to {where}" + (f" and the table to {save_table}" if save_table else ""))


@train.command("ppmi-svd")
@cooc_source_options
@output_options
@click.option("--dim", default=100, show_default=True, type=POSITIVE, help="Vector size.")
@click.option("--window", default=5, show_default=True, type=WINDOW, help="Context window (each side).")
@click.option("--cds", default=0.75, show_default=True, type=CDS, help="Context-distribution smoothing.")
@click.option("--neg", default=1.0, show_default=True, type=POSITIVE_FLOAT, help="Shift: PMI - log(neg).")
@click.option("--eig", default=0.5, show_default=True, type=NONNEG_FLOAT, help="Eigenvalue weighting p (U * S^p).")
@click.option("--dynamic-window", is_flag=True, help="word2vec-style random window shrink.")
@click.option("--sample", default=0.0, show_default=True, type=NONNEG_FLOAT,
              help="Subsample frequent words (e.g. 1e-5).")
@click.option("--add-context", is_flag=True, help="Output W + C instead of W.")
@click.option("--n-iter", default=4, show_default=True, type=click.IntRange(0, 100),
              help="Power iterations of randomized SVD (4-10 is usual; at most 100).")
@phrases_option
@threads_option
@seed_option
@click.pass_context
def train_ppmi_svd_cmd(ctx, corpus, cooc, memory, tmp_dir, min_count, max_vocab, lowercase, tokenize, keep_punctuation,
                       output, fmt, window, dynamic_window, sample, phrases, **fit):
    """PPMI + truncated SVD (Levy, Goldberg & Dagan 2015), from CORPUS or a --cooc folder.

    With --cooc, counting options given (--window, --min-count, ...) must match the folder's.

    \b
    Example:
      embedkit train ppmi-svd data/sample.txt.xz -o ppmi.txt --dim 100 --window 5
      embedkit train ppmi-svd --cooc cooc/ -o ppmi.txt --dim 300
    """
    from .ppmi_svd import fit_ppmi_svd, train_ppmi_svd

    check_separate(corpus, ("-o", output))
    counting = dict(window=window, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase, tokenize=tokenize,
                    keep_punctuation=keep_punctuation, dynamic_window=dynamic_window, sample=sample)
    c = load_cooc_source(ctx, corpus, cooc, counting, memory=memory, tmp_dir=tmp_dir, threads=fit["threads"])
    corpus = phrased_corpus(ctx, corpus, phrases, min_count, max_vocab, cooc, lowercase=lowercase, tokenize=tokenize,
                            keep_punctuation=keep_punctuation)
    if c is not None:
        r = fit_ppmi_svd(c, memory=memory, tmp_dir=tmp_dir, progress=ctx.obj["progress"], **fit)
    else:
        r = train_ppmi_svd(corpus, memory=memory, tmp_dir=tmp_dir, progress=ctx.obj["progress"], **counting, **fit)
    write_vectors(r.vectors, output, fmt)
    status(ctx, stage_seconds(r.timings))


# ---------------------------------------------------------------- co-occurrence counting (issue 7)
@cli.command("cooc")
@click.argument("corpus", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("-o", "--output", required=True, type=OutputDir(),
              help="Folder to write (matrix as indptr/indices/data .npy, vocab.txt, meta.json).")
@click.option("--window", default=5, show_default=True, type=WINDOW, help="Context window (each side).")
@click.option("--weighting", default="uniform", show_default=True, type=click.Choice(["uniform", "harmonic"]),
              help="1 per pair (for PPMI) or 1/distance (for GloVe).")
@click.option("--dynamic-window", is_flag=True, help="word2vec-style random window shrink.")
@click.option("--sample", default=0.0, show_default=True, type=NONNEG_FLOAT,
              help="Subsample frequent words (e.g. 1e-5).")
@click.option("--min-count", default=5, show_default=True, type=click.IntRange(min=1),
              help="Drop words seen fewer times.")
@click.option("--max-vocab", default=None, type=click.IntRange(min=1),
              help="Keep at most this many most frequent words.")
@tokenize_options
@functools.partial(memory_options, default="1G")
@click.option("--dask", default=None, metavar="ADDRESS|local",
              help="Count on a Dask cluster (scheduler address, or 'local' for a LocalCluster); each file is a "
                   "partition, and --tmp-dir must be shared by the workers.")
@click.option("--add", "add", default=None, metavar="DIR", type=click.Path(file_okay=False, exists=True),
              help="Count CORPUS as the folder DIR was counted and write DIR's counts plus CORPUS's "
                   "(-o may be DIR itself): old text is not read again.")
@threads_option
@seed_option
@click.pass_context
def cooc_cmd(ctx, corpus, output, add, **kw):
    """Count the vocabulary and co-occurrences of CORPUS... once, into a folder any trainer fits from.

    With --add DIR, CORPUS is new text: it is counted with DIR's settings (counting options
    given must match them) and its counts are added to DIR's. Every word of DIR stays; another
    word enters when its count summed with DIR's (DIR keeps the counts of its rare words)
    reaches DIR's --min-count, with CORPUS's co-occurrences alone.

    \b
    Example:
      embedkit cooc data/sample.txt.xz -o cooc/ --window 10 --weighting harmonic --memory 2G
      embedkit train glove --cooc cooc/ -o glove.txt --save-model glove.model
      embedkit cooc more.txt --add cooc/ -o cooc2/
      embedkit train glove --cooc cooc2/ --init glove.model -o glove2.txt
      embedkit cooc parts/ -o cooc/ --dask local
    """
    from .cooc import add_cooccurrences, count_cooccurrences, load_cooccurrences

    corpus = list(corpus) if len(corpus) > 1 else corpus[0]
    if add is None:
        c = count_cooccurrences(corpus, output=output, progress=ctx.obj["progress"], **kw)
        status(ctx, f"wrote {len(c.words)} words and {c.matrix.nnz:,} co-occurrence counts to {output}")
        return
    if kw.pop("dask") is not None:
        raise click.UsageError("--dask does not apply with --add (the sum is counted on this machine)")
    memory, tmp_dir, threads = kw.pop("memory"), kw.pop("tmp_dir"), kw.pop("threads")
    base = load_cooccurrences(add)
    base.check_params(**{name: kw[name] for name in typed_options(ctx, kw)})
    c = add_cooccurrences(base, corpus, output=output, memory=memory, tmp_dir=tmp_dir, threads=threads,
                          progress=ctx.obj["progress"])
    status(ctx, f"added {c.info['tokens'] - base.info.get('tokens', 0):,} tokens and {len(c) - len(base)} new words "
                f"to the {len(base)} words of {add}: wrote {len(c.words)} words and {c.matrix.nnz:,} co-occurrence "
                f"counts to {output}")


# ---------------------------------------------------------------- GloVe (glove helper)
@train.command("glove")
@cooc_source_options
@output_options
@click.option("--dim", default=None, type=POSITIVE, help="Vector size [default: 100, or the --init model's].")
@click.option("--window", default=None, type=WINDOW,
              help="Context window (each side), 1/d weighted [default: 10, or the --init model's].")
@click.option("--x-max", default=100.0, show_default=True, type=POSITIVE_FLOAT, help="Counts >= x_max get full weight.")
@click.option("--weight-power", default=0.75, show_default=True, type=POSITIVE_FLOAT,
              help="Weighting exponent: f(x) = (x/x_max)^power.")
@click.option("--learning-rate", default=0.05, show_default=True, type=POSITIVE_FLOAT,
              help="Initial AdaGrad learning rate.")
@click.option("--epochs", default=25, show_default=True, type=POSITIVE, help="Passes over the non-zero counts.")
@click.option("--shuffle", default="once", show_default=True, type=click.Choice(["once", "epoch"]),
              help="Train the non-zero counts in one random order, or in a new one every epoch.")
@click.option("--vectors", default="sum", show_default=True, type=click.Choice(["sum", "word"]),
              help="Write W + W~ (sum) or the word vectors W alone (word).")
@model_options
@phrases_option
@threads_option
@seed_option
@click.pass_context
def train_glove_cmd(ctx, corpus, cooc, memory, tmp_dir, min_count, max_vocab, lowercase, tokenize, keep_punctuation,
                    output, fmt, window, phrases, save_model, init, **fit):
    """GloVe: weighted least squares on log co-occurrences, AdaGrad (Pennington et al. 2014).

    With --cooc, counting options given (--window, --min-count, ...) must match the folder's.
    With --init MODEL the vocabulary grows (counts summed with the model's), the model's words
    keep their weights and AdaGrad state, and co-occurrences are counted from CORPUS alone.
    With --init MODEL and --cooc DIR the model goes on fitting the folder's co-occurrences:
    count them over the model's corpus and the new text together, so that it keeps fitting the
    old text's counts (the folder must hold every word of the model).

    \b
    Example:
      embedkit train glove data/sample.txt.xz -o glove.txt --dim 100 --window 10 --epochs 25
      embedkit train glove more.txt -o glove2.txt --init glove.model --save-model glove2.model
      embedkit cooc old.txt more.txt -o both/ --window 10 --weighting harmonic
      embedkit train glove --cooc both/ --init glove.model -o glove3.txt
      embedkit cooc more.txt --add old/ -o both/    (old/: the folder glove.model was fitted on)
    """
    from .glove import fit_glove, train_glove

    check_separate(corpus, ("-o", output), ("--save-model", save_model))
    counting = dict(window=window, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase, tokenize=tokenize,
                    keep_punctuation=keep_punctuation)
    c = load_cooc_source(ctx, corpus, cooc, {**counting, "window": 10 if window is None else window}, memory=memory,
                         tmp_dir=tmp_dir, threads=fit["threads"])
    corpus = phrased_corpus(ctx, corpus, phrases, min_count, max_vocab, cooc, lowercase=lowercase, tokenize=tokenize,
                            keep_punctuation=keep_punctuation)
    model = _open_init(init, "glove")
    if c is not None:
        r = fit_glove(c, memory=memory, tmp_dir=tmp_dir, progress=ctx.obj["progress"], return_model=bool(save_model),
                      init=model, **fit)
    else:
        r = train_glove(corpus, memory=memory, tmp_dir=tmp_dir, progress=ctx.obj["progress"], init=model,
                        return_model=bool(save_model), **counting, **fit)
    if model is not None:
        on = f"the co-occurrences of {cooc}" if c is not None else "the new corpus's co-occurrences alone"
        status(ctx, f"continued {init} ({_epochs(model.state.get('epochs_done', 0))} done) on {on}: "
                    f"{len(model.words)} -> {len(r.vectors)} words; AdaGrad from learning rate "
                    f"{fit['learning_rate']:g} with the model's accumulators")
        if c is None:
            status(ctx, "to keep fitting the old text's co-occurrences too, count both texts (embedkit cooc OLD NEW "
                        "-o DIR, or embedkit cooc NEW --add OLD_DIR -o DIR where the model was fitted on OLD_DIR) "
                        "and continue with --cooc DIR --init MODEL")
    with output_group():  # vectors and model land together, or neither
        write_vectors(r.vectors, output, fmt)
        _save_model(ctx, r, save_model)
    status(ctx, "cost per epoch: " + " ".join(f"{x:.5f}" for x in r.losses))
    status(ctx, stage_seconds(r.timings))


# ---------------------------------------------------------------- word2vec (word2vec helper)
def word2vec_options(fn):
    """Options shared by `train skipgram` and `train cbow`."""
    for deco in reversed([
        corpus_options, output_options,
        click.option("--dim", default=None, type=POSITIVE, help="Vector size [default: 100, or the --init model's]."),
        click.option("--window", default=5, show_default=True, type=WINDOW,
                     help="Largest context distance (each centre word draws 1..window)."),
        click.option("--negative", default=None, type=COUNT,
                     help="Negative samples per pair (0: off, needs --hs) [default: 5, or the --init model's]."),
        click.option("--hs/--no-hs", default=None,
                     help="Hierarchical softmax (Huffman tree); combines with --negative [default: off, or as the "
                          "--init model]."),
        click.option("--sample", default=1e-3, show_default=True, type=NONNEG_FLOAT,
                     help="Subsample words more frequent than this (0: off)."),
        click.option("--alpha", default=None, type=POSITIVE_FLOAT,
                     help="Initial learning rate [default: 0.025 skipgram, 0.05 cbow, 0.3 corrected cbow]."),
        click.option("--min-alpha", default=0.0001, show_default=True, type=NONNEG_FLOAT,
                     help="Final learning rate (linear decay over all epochs)."),
        click.option("--epochs", default=5, show_default=True, type=POSITIVE, help="Passes over the corpus."),
        click.option("--save-context", default=None, type=OutputFile(),
                     help="Also write the context (output) vectors of negative sampling here."),
        click.option("--binary", is_flag=True, help="Shorthand for --format word2vec-binary."),
        model_options,
        click.option("--init-vectors", default=None, type=click.Path(exists=True),
                     help="Start the input vectors of the words this vectors file shares with the vocabulary from "
                          "it (any format; same dimension)."),
        click.option("--lock-init", default=1.0, show_default=True, type=FiniteFloatRange(0, 1),
                     help="Factor in [0, 1] on every update of the input rows that start from --init-vectors "
                          "(0: frozen, 0.5: half steps, 1: free); the other words and the output layer train "
                          "freely."),
        click.option("--average-init", is_flag=True,
                     help="With --init: after training, average the model's words with their vectors in the model, "
                          "each side weighted by the occurrences it was trained on: keeps what continuing would "
                          "forget of the old text. Off: the old words adapt fully to the new text."),
        phrases_option,
        click.option("--phrase-mode", default="replace", show_default=True, type=click.Choice(["replace", "add"]),
                     help="With --phrases: replace (word2phrase's: a phrase token takes its words' place) or add "
                          "(the words train exactly as without phrases; each phrase gets a vector from the words "
                          "around it, written after the words)."),
        threads_option, seed_option, click.pass_context,
    ]):
        fn = deco(fn)
    return fn


def _run_word2vec(ctx, model, output, fmt, binary, save_context, phrases, phrase_mode, save_model, init, **kw):
    from .word2vec import train_word2vec

    if save_context and kw["negative"] == 0:
        raise click.UsageError("--save-context needs negative sampling (--negative >= 1)")
    if init and kw["init_vectors"]:
        raise click.UsageError("give --init or --init-vectors, not both")
    if kw["lock_init"] != 1.0 and not kw["init_vectors"]:
        raise click.UsageError("--lock-init applies to the rows of --init-vectors")
    if kw["average_init"] and not init:
        raise click.UsageError("--average-init applies to continued training: give --init MODEL")
    fmt = "word2vec-binary" if binary else fmt
    check_suffixes((output, fmt), (save_context, fmt))  # one that contradicts --binary/--format: exit 2
    check_separate(kw["corpus"], ("-o", output), ("--save-context", save_context), ("--save-model", save_model))
    if phrase_mode == "add" and (save_model or init):
        raise click.UsageError("--phrase-mode add cannot be combined with --save-model or --init")
    base = _open_init(init, model)
    corpus = phrased_corpus(ctx, kw.pop("corpus"), phrases, kw["min_count"], kw["max_vocab"], mode=phrase_mode,
                            **{k: kw[k] for k in ("lowercase", "tokenize", "keep_punctuation")})
    r = train_word2vec(corpus, model=model, progress=ctx.obj["progress"], init=base,
                       return_model=bool(save_model), **kw)
    if base is not None:
        st = r.model.state
        status(ctx, f"continued {init} ({_epochs(base.state.get('epochs_done', 0))} done, the learning rate had "
                    f"reached {base.state.get('alpha_reached')}): {st['note']}; learning rate restarted at "
                    f"{r.model.settings['alpha']:g}, falling to {kw['min_alpha']:g}")
    with output_group():  # vectors, context vectors and model land together, or none of them
        write_vectors(r.vectors, output, fmt)
        if save_context:
            write_vectors(r.context, save_context, fmt)
        _save_model(ctx, r, save_model)
    sgd_status(ctx, r)


def sgd_status(ctx, r):
    """The status lines of word2vec and fastText: loss per epoch, seconds per stage, words/s."""
    status(ctx, "loss per epoch (mean NLL per pair): " + " ".join(f"{x:.4f}" for x in r.losses))
    status(ctx, stage_seconds(r.timings) + f"; {r.words_per_sec:,.0f} words/s (training only)")


@train.command("skipgram")
@word2vec_options
@click.option("--shared-negatives/--no-shared-negatives", default=None,
              help="One draw of negatives per centre word, shared by its window (Ji et al. 2016); "
                   "default: on with --update window and --hs off.")
@click.option("--update", default="window", show_default=True, type=click.Choice(["window", "pair"]),
              help="Update the centre's outputs (its Huffman path with --hs, else the centre and shared "
                   "negatives) once per window from all its contexts (faster), or pair by pair as word2vec does.")
@click.option("--shared-hs/--no-shared-hs", "shared_hs", default=None, hidden=True)  # old spelling of --update
def train_skipgram_cmd(ctx, shared_hs, **kw):
    """word2vec skip-gram (negative sampling and/or hierarchical softmax).

    The loss printed per epoch is measured online, each pair just before its own update: it
    can rise in the last epochs, as the learning rate falls, while the model still improves
    (a frozen model's loss falls every epoch: docs/parameters.md).

    \b
    Example:
      embedkit train skipgram data/sample.txt.xz -o sg.txt --dim 100 --window 5 --negative 5
    """
    if shared_hs is not None:
        kw["update"] = deprecated_flag(f"--{'' if shared_hs else 'no-'}shared-hs",
                                       f"--update {'window' if shared_hs else 'pair'}", kw["update"],
                                       "window" if shared_hs else "pair")
    _run_word2vec(ctx, "skipgram", **kw)


@train.command("cbow")
@word2vec_options
@click.option("--cbow-mean/--cbow-sum", default=True, show_default=True,
              help="Average (or sum) the context vectors.")
@click.option("--cbow-update", default="word2vec", show_default=True, type=click.Choice(["word2vec", "corrected"]),
              help="'corrected' divides each context word's update by the number of context words (koan; "
                   "default alpha 0.3).")
def train_cbow_cmd(ctx, **kw):
    """word2vec CBOW (negative sampling and/or hierarchical softmax).

    The loss printed per epoch is measured online, each pair just before its own update: it
    can rise in the last epochs, as the learning rate falls, while the model still improves
    (a frozen model's loss falls every epoch: docs/parameters.md).

    \b
    Example:
      embedkit train cbow data/sample.txt.xz -o cbow.txt --dim 100 --window 5 --negative 5
    """
    _run_word2vec(ctx, "cbow", **kw)


# ---------------------------------------------------------------- fastText (fasttext helper)
@train.command("fasttext")
@corpus_options
@output_options
@click.option("--model", default=None, type=click.Choice(["skipgram", "cbow"]),
              help="Predict the context from the centre word's n-grams, or the centre from the context's "
                   "[default: skipgram, or the --init model's].")
@click.option("--dim", default=None, type=POSITIVE, help="Vector size [default: 100, or the --init model's].")
@click.option("--window", default=5, show_default=True, type=WINDOW,
              help="Largest context distance (each centre word draws 1..window).")
@click.option("--negative", default=5, show_default=True, type=POSITIVE, help="Negative samples per pair.")
@click.option("--sample", default=1e-4, show_default=True, type=NONNEG_FLOAT, help="Subsampling threshold t (0: off).")
@click.option("--alpha", default=0.05, show_default=True, type=POSITIVE_FLOAT, help="Initial learning rate.")
@click.option("--min-alpha", default=0.0, show_default=True, type=NONNEG_FLOAT,
              help="Final learning rate (linear decay over all epochs).")
@click.option("--epochs", default=5, show_default=True, type=POSITIVE, help="Passes over the corpus.")
@click.option("--minn", default=None, type=COUNT, help="Shortest character n-gram [default: 3, or the --init model's].")
@click.option("--maxn", default=None, type=COUNT,
              help="Longest character n-gram (0: no subwords) [default: 6, or the --init model's].")
@click.option("--bucket", default=None, type=COUNT,
              help="Hash buckets for the n-grams [default: 2000000, or the --init model's].")
@click.option("--update", default="window", show_default=True, type=click.Choice(["window", "pair"]),
              help="Read and write each position's n-gram rows once (window), or for every pair/centre as "
                   "fastText (pair).")
@click.option("--shuffle", default="epoch", show_default=True, type=click.Choice(["epoch", "once", "none"]),
              is_flag=False, flag_value="epoch",
              help="Train the corpus's chunks (~1,000 tokens each) in a new random order every epoch, in one random "
                   "order, or in corpus order.")
@click.option("--no-shuffle", "no_shuffle", is_flag=True, hidden=True)  # old spelling of --shuffle none
@click.option("--save-model", default=None, type=OutputFile(),
              help="Also write fastText's binary model (.bin) here: fastText and gensim open it.")
@click.option("--save-context", default=None, type=OutputFile(),
              help="Also write the output (context) vectors here.")
@click.option("--init", default=None, type=click.Path(exists=True),
              help="Continue training this fastText .bin (ours or the fastText tool's) on CORPUS.")
@click.option("--average-init", is_flag=True,
              help="With --init: after training, average the model's words and n-grams with their values in "
                   "the model, each side weighted by the occurrences it was trained on.")
@phrases_option
@threads_option
@seed_option
@click.pass_context
def train_fasttext_cmd(ctx, corpus, output, fmt, save_model, save_context, init, phrases, no_shuffle, **kw):
    """fastText: skip-gram or CBOW over words and character n-grams (Bojanowski et al. 2017).

    The vectors answer unseen words (composed from n-grams) in every command once saved with
    --save-model. Memory: (words + bucket) x dim x 4 bytes for the n-gram matrix plus
    words x dim x 8: peak RSS 1.0 GB at the defaults on wiki17m (68k words; fastText 1.06 GB),
    about 0.14 GB more on the first run, which compiles the kernels.

    The loss printed per epoch is measured online, each pair just before its own update: it
    can rise in the last epochs, as the learning rate falls, while the model still improves
    (a frozen model's loss falls every epoch: docs/parameters.md).

    \b
    Example:
      embedkit train fasttext data/sample.txt.xz -o ft.vec --save-model ft.bin
      embedkit similar ft.bin unfriendliness
    """
    from .fasttext import train_fasttext
    from .fasttext_bin import check_model_path, save_fasttext_model

    if no_shuffle:
        kw["shuffle"] = deprecated_flag("--no-shuffle", "--shuffle none", kw["shuffle"], "none")
    check_suffixes((output, fmt), (save_context, fmt))  # one that contradicts --format: exit 2
    check_separate(corpus, ("-o", output), ("--save-context", save_context), ("--save-model", save_model))
    for path in (output, save_context):
        if fmt is None and path and _suffix(path) == ".bin":
            raise click.UsageError(
                f"{path}: to fastText, .bin is the model, but -o writes word vectors (word2vec-binary for .bin): "
                f"write the model with --save-model {os.path.basename(path)} and the vectors to a .vec file, or "
                f"give --format word2vec-binary")
    if save_model:
        try:
            check_model_path(save_model)
        except EmbedkitError as e:
            raise click.UsageError(str(e)) from None
    if save_model and not os.path.isdir(os.path.dirname(os.path.abspath(save_model))):
        raise EmbedkitError(f"cannot write {save_model}: no such folder")
    ftm = None
    if init:
        from .warmstart import load_fasttext_init

        ftm = load_fasttext_init(init)  # what it is, checked before any work
    elif kw["average_init"]:
        raise click.UsageError("--average-init applies to continued training: give --init MODEL")
    corpus = phrased_corpus(ctx, corpus, phrases, kw["min_count"], kw["max_vocab"],
                            **{k: kw[k] for k in ("lowercase", "tokenize", "keep_punctuation")})
    r = train_fasttext(corpus, progress=ctx.obj["progress"], init=ftm, **kw)
    if ftm is not None:
        averaged = ""
        if kw["average_init"]:
            from .warmstart import new_text_share

            summed = dict(zip(r.vectors.words, r.vectors.counts))
            share = new_text_share(ftm.vectors.counts, [summed[w] for w in ftm.vectors.words])
            averaged = f"; averaged with the model (share of the new text {share:.2f})"
        status(ctx, f"continued {init}: {len(ftm.vectors)} -> {len(r.vectors)} words; learning rate restarted at "
                    f"{kw['alpha']:g}, falling to {kw['min_alpha']:g}{averaged}")
    with output_group():  # vectors, context vectors and model land together, or none of them
        write_vectors(r.vectors, output, fmt)
        if save_context:
            write_vectors(r.context, save_context, fmt)
        if save_model:
            model = kw["model"] or (ftm.args["model"] if ftm is not None else "skipgram")
            save_fasttext_model(save_model, r.vectors, r.context.matrix, model=model, window=kw["window"],
                                epochs=kw["epochs"] + (ftm.args["epoch"] if ftm is not None else 0),
                                min_count=kw["min_count"], negative=kw["negative"], sample=kw["sample"])
            status(ctx, f"wrote the fastText model to {save_model}")
    sgd_status(ctx, r)


# ---------------------------------------------------------------- using vectors (eval)
def _suffix(path):
    """The suffix that names a file's format, a final .gz/.bz2/.xz left aside (``a.bin.gz`` -> ``.bin``)."""
    from .formats import COMPRESSIONS

    stem, ext = os.path.splitext(os.fspath(path))
    return os.path.splitext(stem)[1].lower() if ext.lower() in COMPRESSIONS else ext.lower()


def _fmt_ci(ci, level):
    """'[low, high]' for the table, or '' when intervals are off (level None)."""
    if level is None:
        return ""
    return f" {'[' + ', '.join(f'{x:.3f}' for x in ci) + ']' if ci[0] == ci[0] else '':>16}"


def _report_table(report, level=None):
    """The evaluation report as aligned text tables (an interval column when ``level`` is set)."""
    head = f" {f'{level:.0%} CI':>16}" if level is not None else ""
    composed = any(r.composed for r in report.similarity)  # eval --oov compose on subword vectors
    lines = [f"{'similarity set':<16} {'spearman':>9}{head} {'pairs':>7} {'found':>7} {'coverage':>9}"
             + (f" {'composed':>9}" if composed else "")]
    for r in report.similarity:
        rho = f"{r.spearman:>9.4f}" if r.spearman == r.spearman else f"{'n/a':>9}"  # nan: under 2 pairs found
        lines.append(f"{r.name:<16} {rho}{_fmt_ci(r.ci, level)} {r.pairs:>7} {r.found:>7} "
                     f"{r.coverage:>9.3f}" + (f" {r.composed:>9}" if composed else ""))
    for r in report.analogy:
        composed = r.total.composed > 0  # questions answered with a composed word (--oov compose)
        lines += ["", f"analogy {r.name}, 3Cos{r.method.capitalize()}, top {r.restrict} words",
                  f"{'section':<28} {'accuracy':>9}{head} {'correct':>8} {'answered':>9} {'questions':>10}"
                  + (f" {'composed':>9}" if composed else "")]
        split = r.semantic.questions and r.syntactic.questions  # the Google set's kinds (gram* is syntactic)
        rows = [(s.name, s) for s in r.sections] + ([("semantic", r.semantic), ("syntactic", r.syntactic)] if split
                                                    else []) + [("total", r.total)]
        for name, s in rows:
            acc = f"{s.accuracy:>9.4f}" if s.answered else f"{'n/a':>9}"  # no question answered: no accuracy
            lines.append(f"{name:<28} {acc}{_fmt_ci(s.ci, level)} {s.correct:>8} {s.answered:>9} "
                         f"{s.questions:>10}" + (f" {s.composed:>9}" if composed else ""))
        lines.append(f"{'coverage':<28} {r.coverage:>9.3f}")
    return "\n".join(lines)


def bootstrap_options(minimum=0):
    """--bootstrap (at least ``minimum``), --ci and --seed for commands that report intervals."""
    return functools.partial(_bootstrap_options, minimum=minimum)


def _bootstrap_options(fn, minimum):
    for deco in reversed([
        click.option("--bootstrap", default=1000, show_default=True, type=click.IntRange(min=minimum),
                     help="Bootstrap resamples for the confidence intervals"
                          + (" (0: none)." if minimum == 0 else ".")),
        click.option("--ci", default=0.95, show_default=True, type=FiniteFloatRange(0, 1, min_open=True,
                                                                                    max_open=True),
                     help="Confidence level of the intervals."),
        click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
                     help="Seed of the resampling (same seed, same intervals)."),
    ]):
        fn = deco(fn)
    return fn


@cli.command("eval")
@click.argument("vectors", type=click.Path())
@click.option("--sim", "sim", multiple=True, type=click.Path(), help="Extra similarity file (w1 w2 score).")
@click.option("--analogy", "analogy", multiple=True, type=click.Path(), help="Extra analogy file (: section format).")
@click.option("--restrict", default=30000, show_default=True, type=click.IntRange(min=1),
              help="Analogy answers searched among the N most frequent words.")
@click.option("--case-sensitive", is_flag=True, help="Match words exactly (default: case-insensitive).")
@click.option("--oov", default="skip", show_default=True, type=click.Choice(["skip", "compose"]),
              help="Pairs and analogy questions with an unseen word: skip them, or compose the word from "
                   "subwords (fastText .bin models; an unseen analogy answer counts as wrong); 'composed' "
                   "counts them.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@bootstrap_options()
def eval_cmd(vectors, sim, analogy, restrict, case_sensitive, oov, as_json, bootstrap, ci, seed):
    """Score VECTORS on WS-353 (all/sim/rel), SimLex-999, MEN and the Google analogies, each
    score with a percentile bootstrap confidence interval.

    \b
    Example:
      embedkit eval vectors.txt --sim my_pairs.tsv --json
      embedkit eval vectors.txt --bootstrap 2000 --ci 0.99 --seed 7
    """
    import json

    from .eval import evaluate
    from .vectors import Vectors

    report = evaluate(Vectors.load(vectors), sim=list(sim), analogy=list(analogy), restrict=restrict,
                      case_sensitive=case_sensitive, bootstrap=bootstrap, ci=ci, seed=seed, oov=oov)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else _report_table(report, ci if bootstrap else None))


def _compare_table(report):
    """The comparison as an aligned table; '*' marks p < 1 - level."""
    level = report.level
    lines = [f"A = {report.a_name}, B = {report.b_name}; {level:.0%} paired bootstrap intervals of A - B, "
             f"* = p < {1 - level:.2g}",
             f"{'set':<22} {'metric':<17} {'items':>6} {'both':>6} {'A':>8} {'B':>8} {'A - B':>8} "
             f"{f'{level:.0%} CI':>18} {'p':>7}"]
    for c in report.comparisons:
        ci = f"[{c.ci[0]:+.3f}, {c.ci[1]:+.3f}]" if c.ci[0] == c.ci[0] else ""
        lines.append(f"{c.name:<22} {c.metric:<17} {c.items:>6} {c.common:>6} {c.a:>8.4f} {c.b:>8.4f} "
                     f"{c.difference:>+8.4f} {ci:>18} {_fmt_p(c.p):>7}{' *' if c.significant else ''}")
    return "\n".join(lines)


def _fmt_p(p):
    return "" if p != p else "<0.0001" if p < 1e-4 else f"{p:.4f}"


@cli.command("compare")
@click.argument("a", type=click.Path())
@click.argument("b", type=click.Path())
@click.option("--sim", "sim", multiple=True, type=click.Path(), help="Extra similarity file (w1 w2 score).")
@click.option("--analogy", "analogy", multiple=True, type=click.Path(), help="Extra analogy file (: section format).")
@click.option("--restrict", default=30000, show_default=True, type=click.IntRange(min=1),
              help="Analogy answers searched among each side's N most frequent words.")
@click.option("--method", "methods", multiple=True, type=click.Choice(["add", "mul"]),
              help="Analogy method (repeatable) [default: add and mul].")
@click.option("--case-sensitive", is_flag=True, help="Match words exactly (default: case-insensitive).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@bootstrap_options(minimum=1)
def compare_cmd(a, b, sim, analogy, restrict, methods, case_sensitive, as_json, bootstrap, ci, seed):
    """Compare two vector files on the pairs and questions both cover: A - B per set, its paired
    bootstrap interval and p-value (paired permutation for rho, McNemar for analogies).

    \b
    Example:
      embedkit compare skipgram.txt cbow.txt
      embedkit compare old.txt new.txt --method add --bootstrap 5000 --json
    """
    import json

    from .comparison import compare

    report = compare(_load_vectors(a), _load_vectors(b), sim=list(sim), analogy=list(analogy), restrict=restrict,
                     methods=methods or ("add", "mul"), case_sensitive=case_sensitive, bootstrap=bootstrap, ci=ci,
                     seed=seed, names=(a, b))
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else _compare_table(report))


# ---------------------------------------------------------------- using vectors (similar, analogy, export, ...)
def _load_vectors(path, limit=None):
    from .vectors import Vectors

    return Vectors.load(path, limit=limit)


def _pairs_table(title, pairs, column):
    width = max([len(w) for w, _ in pairs] + [4])
    return "\n".join([title, f"{'word':<{width}}  {column:>8}"] + [f"{w:<{width}}  {s:>8.4f}" for w, s in pairs])


def _echo_pairs(tables, as_json, column="cosine"):
    import json

    for title, pairs in tables.items():
        if not pairs:  # a one-word vocabulary, or --restrict leaving only the query words
            warnings.warn(f"{title}: no word to list besides the query (the vocabulary, or --restrict, holds no other)")
    if as_json:
        click.echo(json.dumps({k: [[w, s] for w, s in v] for k, v in tables.items()}, indent=2))
    else:
        click.echo("\n\n".join(_pairs_table(k, v, column) for k, v in tables.items()))


@cli.command("similar")
@click.argument("vectors", type=click.Path())
@click.argument("words", nargs=-1, required=True)
@click.option("-n", "--topn", default=10, show_default=True, type=click.IntRange(min=1), help="Neighbours per word.")
@click.option("--negative", multiple=True, help="Subtract this word's vector (repeatable), as gensim's negative=.")
@click.option("--restrict", default=None, type=click.IntRange(min=1), help="Search only the N most frequent words.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def similar_cmd(vectors, words, topn, negative, restrict, as_json):
    """Nearest neighbours by cosine of each WORD (one table per word).

    A word is looked up exactly, then ignoring case (a warning says so). Unknown words are
    named in a warning and the others answered; it is an error only when no WORD is known.

    \b
    Example:
      embedkit similar vectors.txt france paris -n 5
      embedkit similar vectors.txt king --negative man
    """
    v = _load_vectors(vectors)
    negative = v.lookup(negative)
    known = v.lookup(words, missing="skip")
    title = (lambda w: " - ".join([w, *negative])) if negative else str
    _echo_pairs({title(w): v.most_similar([w], negative, topn=topn, restrict_vocab=restrict) for w in known}, as_json)


@cli.command("analogy")
@click.argument("vectors", type=click.Path())
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("-n", "--topn", default=5, show_default=True, type=click.IntRange(min=1), help="Answers to print.")
@click.option("--method", default="add", show_default=True, type=click.Choice(["add", "mul"]),
              help="3CosAdd or 3CosMul (Levy & Goldberg 2014).")
@click.option("--restrict", default=None, type=click.IntRange(min=1), help="Search only the N most frequent words.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def analogy_cmd(vectors, a, b, c, topn, method, restrict, as_json):
    """Words nearest to A - B + C, the three query words excluded.

    Order: A is to B as ANSWER is to C, so `king man woman` (king - man + woman)
    answers queen on good vectors.

    \b
    Example:
      embedkit analogy vectors.txt king man woman
      embedkit analogy vectors.txt paris france italy --method mul -n 3
    """
    v = _load_vectors(vectors)
    a, b, c = v.lookup([a, b, c])
    _echo_pairs({f"{a} - {b} + {c} (3Cos{method.capitalize()})":
                 v.analogy(a, b, c, topn, method=method, restrict_vocab=restrict)}, as_json, "score")


@cli.command("export")
@click.argument("vectors", type=click.Path())
@click.option("--pca", type=click.IntRange(2, 3), default=None, help="PCA to 2 or 3 dimensions.")
@click.option("--tsne", type=click.IntRange(2, 3), default=None, help="t-SNE to 2 or 3 dimensions.")
@click.option("--words", "n_words", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Project the N most frequent words.")
@click.option("--words-from", type=click.Path(dir_okay=False),
              help="Project the words of this file (one a line) instead.")
@click.option("--words-file", "words_file", hidden=True, type=click.Path(dir_okay=False),
              callback=lambda ctx, param, value: _renamed(value, "--words-file", "--words-from"))
@click.option("--perplexity", default=30.0, show_default=True, type=FiniteFloatRange(min=0, min_open=True), help="t-SNE perplexity (< number of words).")
@click.option("--max-iter", default=1000, show_default=True, type=click.IntRange(min=250),
              help="t-SNE optimisation steps.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Random seed.")
@click.option("-o", "--output", default="-", show_default=True, type=OutputFile(allow_dash=True),
              help="TSV of word and coordinates ('-': stdout).")
@click.option("--plot", type=OutputFile(), help="Also draw a labelled scatter plot (PNG; needs matplotlib).")
@click.option("--plot-size", default="1200x900", show_default=True, help="PNG size in pixels, WIDTHxHEIGHT.")
@click.option("--projector", type=OutputDir(),
              help="Also write vectors.tsv + metadata.tsv for the TensorBoard Embedding Projector here.")
def export_cmd(vectors, pca, tsne, n_words, words_from, words_file, perplexity, max_iter, seed, output, plot, plot_size,
               projector):
    """Project words to 2-D/3-D with PCA or t-SNE: a TSV, a PNG plot, projector files.

    \b
    Example:
      embedkit export vectors.txt --pca 2 --words 300 -o pca.tsv --plot pca.png
      embedkit export vectors.txt --tsne 2 --perplexity 20 --projector proj/
    """
    from . import export

    if (pca is None) == (tsne is None):
        raise click.UsageError("give exactly one of --pca N or --tsne N")
    size = _parse_size(plot_size)
    if plot:
        export.check_plotting()  # before any file is written
    v = _load_vectors(vectors)
    words_from = words_from or words_file
    words = _read_words(words_from) if words_from else None
    p = export.project(v, "pca" if pca else "tsne", pca or tsne, n_words=n_words, words=words,
                       perplexity=perplexity, max_iter=max_iter, seed=seed)
    what = f"{len(p.words)} words x {pca or tsne} {'PCA' if pca else 't-SNE'} coordinates"
    if output != "-":
        export.write_tsv(p, output)
        status(None, f"wrote {what} to {output}")
    elif not sys.stdout.isatty() or not (plot or projector):  # on a terminal, -o - is for the TSV alone
        export.write_tsv(p, sys.stdout)
        if sys.stdout.isatty():
            status(None, f"printed {what} (-o FILE writes them to a file)")
    if plot:
        export.plot(p, plot, size=size)
        status(None, f"wrote the plot to {plot}")
    if projector:
        export.write_projector(v, [v.index(w) for w in p.words], projector)
        status(None, f"wrote {os.path.join(projector, 'vectors.tsv')} and {os.path.join(projector, 'metadata.tsv')} "
                     f"for the Embedding Projector")


def _renamed(value, old, new):
    """A renamed option's old name still works, with a warning (for a hidden alias's callback)."""
    if value is not None:
        warnings.warn(f"{old} is renamed {new}; {old} will keep working")
    return value


def _parse_size(text):
    w, _, h = text.lower().partition("x")
    if not (w.isdigit() and h.isdigit()) or not (50 <= int(w) <= 20000 and 50 <= int(h) <= 20000):
        raise click.BadParameter(f"expected WIDTHxHEIGHT in pixels (50-20000), got {text!r}", param_hint="'--plot-size'")
    return int(w), int(h)


def _read_words(path):
    """The first word of every non-blank line of ``path`` (an error when there is none)."""
    try:
        with open(path, encoding="utf-8") as f:
            words = [line.split()[0] for line in f if line.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise EmbedkitError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    if not words:
        raise EmbedkitError(f"the word list {path} is empty")
    return words


@cli.command("convert")
@click.argument("input", type=click.Path())
@click.argument("output", type=OutputFile())
@click.option("--to", "fmt", default=None, type=click.Choice(["word2vec", "word2vec-binary", "glove", "npy"]),
              help=FORMAT_HELP.replace("-o", "OUTPUT"))
@click.option("--max-words", default=None, type=click.IntRange(min=1), help="Keep only the N most frequent words.")
@click.pass_context
def convert_cmd(ctx, input, output, fmt, max_words):
    """Convert a vectors file (format detected) to another format.

    \b
    Example:
      embedkit convert glove.6B.300d.txt glove.bin --to word2vec-binary --max-words 100000
    """
    check_suffixes((output, fmt))  # the suffix rule, before reading
    write_vectors(_load_vectors(input, limit=max_words), output, fmt)


def doc_options(fn):
    """--method, --counts, --fit-corpus, --sif-a and the tokenizer options for docsim and docvec."""
    for deco in reversed([
        click.option("--method", default="mean", show_default=True, type=click.Choice(["mean", "sif", "pairwise"]),
                     help="mean: cosine of mean unit vectors; pairwise: average word-pair cosine; sif: Arora et "
                          "al.'s weighted mean, common component removed."),
        click.option("--counts", default=None, type=click.Path(exists=True, dir_okay=False),
                     help="SIF word counts ('word count' lines, as `embedkit vocab` writes) [default: the counts "
                          "saved with the vectors, else estimated from rank]."),
        click.option("--fit-corpus", default=None, type=click.Path(exists=True, dir_okay=False),
                     help="Text file (one text a line) to estimate SIF's common component on [default: docvec: "
                          "TEXTFILE; docsim: none, and the component is kept, with a warning]."),
        click.option("--sif-a", default=1e-3, show_default=True, type=FiniteFloatRange(min=0, min_open=True),
                     help="SIF's a in a / (a + p(w))."),
        functools.partial(tokenize_options, lowercase_help="Lower-case the texts first (as --lowercase in training)."),
    ]):
        fn = deco(fn)
    return fn


@cli.command("docsim")
@click.argument("vectors", type=click.Path())
@click.argument("text1")
@click.argument("text2")
@doc_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def docsim_cmd(vectors, text1, text2, method, counts, fit_corpus, sif_a, lowercase, tokenize, keep_punctuation,
               as_json):
    """Similarity of two short texts: cosine of mean unit vectors, average word-pair cosine, or SIF.

    \b
    Example:
      embedkit docsim vectors.txt "the cat sat on the mat" "a dog lay on the rug"
      embedkit docsim vectors.txt "the cat sat" "a dog lay" --method sif --fit-corpus sentences.txt
    """
    import json

    from .corpus import tokenize_text
    from .docvec import _iter_lines, doc_similarity

    v = _load_vectors(vectors)
    tok = dict(tokenize=tokenize, lowercase=lowercase, keep_punctuation=keep_punctuation)
    tokens = [tokenize_text(t, **tok) for t in (text1, text2)]  # split here: the texts below split on spaces only
    found = v.lookup(tokens[0] + tokens[1], missing="keep")
    texts = [" ".join(found[:len(tokens[0])]), " ".join(found[len(tokens[0]):])]
    r = doc_similarity(v, *texts, method=method, counts=counts, vectors_path=vectors,
                       fit_texts=(" ".join(tokenize_text(t, **tok)) for t in _iter_lines(fit_corpus)) if fit_corpus
                       else None, a=sif_a)
    name = "pairwise" if method == "pairwise" else "cosine"
    if as_json:
        click.echo(json.dumps({name: r.score, "known1": r.known1, "known2": r.known2}))
    else:
        click.echo(f"{name} {r.score:.4f}  (in vocabulary: text 1 {r.known1:.0%}, text 2 {r.known2:.0%})")


@cli.command("docvec")
@click.argument("vectors", type=click.Path())
@click.argument("textfile", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=OutputFile(),
              help="Where to write the float32 matrix (.npy), one row per line of TEXTFILE.")
@doc_options
def docvec_cmd(vectors, textfile, output, method, counts, fit_corpus, sif_a, lowercase, tokenize, keep_punctuation):
    """One vector per line of TEXTFILE (mean, pairwise or SIF), streamed into a .npy matrix.

    \b
    Example:
      embedkit docvec vectors.txt sentences.txt -o sentences.npy --method sif
    """
    from .docvec import write_doc_vectors

    if not output.lower().endswith(".npy") and not is_stream(output):  # the suffix means the format, as for -o
        raise click.BadParameter(f"{output}: docvec writes a NumPy .npy matrix; give a name ending in .npy",
                                 param_hint="'-o'")
    r = write_doc_vectors(_load_vectors(vectors), textfile, output, method=method, counts=counts,
                          vectors_path=vectors, fit_corpus=fit_corpus, a=sif_a, lowercase=lowercase, tokenize=tokenize,
                          keep_punctuation=keep_punctuation)
    status(None, f"wrote {r.lines} x {r.dim} {method} vectors to {r.path} ({r.known:.0%} of tokens known)")


def _abtt_value(ctx, param, value):
    if value is None or value == "auto":
        return value
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(f"expected a number of components >= 1, got {value!r}")
    return int(value)


@cli.command("postprocess")
@click.argument("input", type=click.Path())
@output_options
@click.option("--abtt", default=None, is_flag=False, flag_value="auto", callback=_abtt_value, metavar="[D]",
              help="All-but-the-top: remove the mean and the top D principal components [D default: dim/100, "
                   "rounded, at least 1].")
@click.option("--center", is_flag=True, help="Subtract the mean vector.")
@click.option("--normalize", is_flag=True, help="Scale every vector to unit length (last).")
def postprocess_cmd(input, output, fmt, abtt, center, normalize):
    """Post-process vectors: --center, --abtt D (Mu & Viswanath 2018), --normalize, in that order.

    \b
    Example:
      embedkit postprocess vectors.txt -o abtt.txt --abtt 2 --normalize
    """
    from .postprocessing import default_abtt, postprocess

    v = _load_vectors(input)
    r = postprocess(v, center=center, abtt=default_abtt(v.dim) if abtt == "auto" else abtt, normalize=normalize)
    if len(r.explained):
        status(None, f"removed the mean (norm {r.mean_norm:.4f}) and {len(r.explained)} component(s) holding "
                     + ", ".join(f"{x:.1%}" for x in r.explained) + " of the variance")
    write_vectors(r.vectors, output, fmt)


@cli.command("align")
@click.argument("source", type=click.Path())
@click.argument("target", type=click.Path())
@output_options
@click.option("--dictionary", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Anchor pairs, 'source_word target_word' lines [default: every shared word].")
@click.option("--restrict", default=None, type=click.IntRange(min=1),
              help="Anchor only words among the N most frequent of each side.")
@click.option("-n", "--topn", default=20, show_default=True, type=click.IntRange(min=0),
              help="How many of the most moved words to list.")
def align_cmd(source, target, output, fmt, dictionary, restrict, topn):
    """Rotate SOURCE into TARGET's space (orthogonal Procrustes on shared words) and list the words
    that moved most.

    \b
    Example:
      embedkit align vectors-1990.txt vectors-2020.txt -o 1990-aligned.txt --restrict 20000
    """
    from .alignment import align, read_dictionary

    r = align(_load_vectors(source), _load_vectors(target), restrict=restrict, topn=topn,
              dictionary=read_dictionary(dictionary) if dictionary else None)
    write_vectors(r.vectors, output, fmt)
    click.echo(f"{r.anchors} anchor words; mean cosine to the target {r.mean_cosine_before:.4f} before, "
               f"{r.mean_cosine_after:.4f} after")
    if r.moved:
        click.echo(_pairs_table("moved most (cosine to the target after alignment)",
                                [(s if s == t else f"{s}/{t}", c) for s, t, c in r.moved], "cosine"))


@cli.command("explore")
@click.argument("vectors", type=click.Path())
@click.option("-o", "--output", required=True, type=OutputFile(), help="The HTML page to write.")
@click.option("--words", "n_words", default=20000, show_default=True, type=click.IntRange(min=1),
              help="Show the N most frequent words.")
@click.option("--words-from", type=click.Path(dir_okay=False), help="Show the words of this file (one a line) instead.")
@click.option("--map", "layout", default="pca", show_default=True, type=click.Choice(["pca", "tsne"]),
              help="2-D layout: PCA, or t-SNE (openTSNE, the 'tsne' extra).")
@click.option("--clusters", default=None, type=click.IntRange(2, 64), help="Colour the words by k-means into K clusters.")
@click.option("--title", default=None, help="Page title [default: 'N words'].")
@click.option("--pairs", "pairs_file", type=click.Path(dir_okay=False),
              help="Word pairs for the arrows box, two words a line [default: countries and capitals found].")
@click.option("--max-mb", default=64.0, show_default=True, type=FiniteFloatRange(min=0, min_open=True),
              help="Refuse to write a page larger than this (MB).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Random seed.")
@threads_option
@click.pass_context
def explore_cmd(ctx, vectors, output, n_words, words_from, layout, clusters, title, pairs_file, max_mb, seed, threads):
    """Write one self-contained HTML page to explore VECTORS: a zoomable map, search, neighbours,
    analogies and pair arrows, computed in the page (no server, no network).

    \b
    Example:
      embedkit explore vectors.txt -o page.html --words 50000 --clusters 12
      embedkit explore vectors.txt -o tsne.html --map tsne --title "wiki skip-gram"
    """
    from . import explore

    words = _read_words(words_from) if words_from else None
    pairs = None
    if pairs_file:
        lines = [line.split() for line in _read_lines(pairs_file)]
        pairs = [tuple(p[:2]) for p in lines if len(p) >= 2]
        single = len([p for p in lines if p]) - len(pairs)
        if single:
            warnings.warn(f"{pairs_file}: {single} line{' holds' if single == 1 else 's hold'} one word, not a pair; "
                          "left out")
    v = _load_vectors(vectors, limit=n_words if words is None else None)
    page = explore.build_page(v, n_words=n_words, words=words, layout=layout, clusters=clusters, title=title,
                              pairs=pairs, seed=seed, max_mb=max_mb, threads=threads, progress=ctx.obj["progress"])
    explore.write_page(page, output)
    status(ctx, f"wrote {output} ({len(page.encode('utf-8')) / 1e6:.1f} MB)")


def _read_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise EmbedkitError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None


@cli.command("classes")
@click.argument("vectors", type=click.Path())
@click.option("-k", "k", required=True, type=click.IntRange(min=2), help="Number of classes (2 .. vocabulary size).")
@click.option("-o", "--output", required=True, type=OutputFile(), help="Where to write `word class` lines.")
@click.option("--init", default="k-means++", show_default=True, type=click.Choice(["k-means++", "round-robin"]),
              help="Greedy k-means++, or word2vec's start (word i in class i mod k).")
@click.option("--max-iter", default=100, show_default=True, type=click.IntRange(min=1), help="Most k-means passes.")
@click.option("--tol", default=5e-4, show_default=True, type=FiniteFloatRange(min=0),
              help="Stop when a pass lowers the inertia by less than this fraction.")
@click.option("--sort", is_flag=True, help="Write the lines by class (vocabulary order within a class).")
@threads_option
@seed_option
@click.pass_context
def classes_cmd(ctx, vectors, k, output, init, max_iter, tol, sort, threads, seed):
    """Word classes by k-means on unit vectors: `word class` lines, as word2vec's -classes.

    \b
    Example:
      embedkit classes vectors.txt -k 500 -o classes.txt --sort
    """
    from .classes import word_classes

    r = word_classes(_load_vectors(vectors), k, init=init, max_iter=max_iter, tol=tol, seed=seed, threads=threads)
    r.save(output, sort=sort)
    status(ctx, f"wrote {len(r.words)} words in {k} classes to {output} (inertia {r.inertia:.6g}, "
                f"{r.n_iter} passes, {'converged' if r.converged else 'not converged'})")


def main():
    try:
        cli(prog_name="embedkit")
    finally:
        # the process ends here: the interpreter's last garbage collections would walk every object
        # Numba and NumPy made (0.2-0.4 CPU s); frozen ones are skipped (atexit handlers still run)
        gc.freeze()


if __name__ == "__main__":
    main()
