"""The ``embedkit`` command line: option parsing and printing only; the work is in the library."""

from __future__ import annotations

import functools
import sys
import warnings

import click

from . import __version__
from .errors import EmbedkitError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class EmbedkitGroup(click.Group):
    """A click group that reports every error (usage or library) as one stderr line.

    ``EmbedkitError`` becomes ``Error: <message>`` with exit status 1, a usage error
    ``Error: <message>`` with status 2, Ctrl-C exits 130, and library warnings print as one
    ``Warning: ...`` line each. A traceback is always an embedkit bug.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as e:
            click.echo(f"Error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except EmbedkitError as e:
                raise click.ClickException(str(e)) from None
            except MemoryError:
                raise click.ClickException("out of memory (try a larger --min-count or --max-vocab)") from None


def _show_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"Warning: {message}", err=True)


# ---------------------------------------------------------------- option bundles
def corpus_options(fn):
    """CORPUS argument plus the vocabulary options shared by every command that reads text."""
    for deco in reversed([
        click.argument("corpus", type=click.Path(allow_dash=True)),
        click.option("--min-count", default=5, show_default=True, type=click.IntRange(min=1),
                     help="Drop words seen fewer times."),
        click.option("--max-vocab", default=None, type=click.IntRange(min=1),
                     help="Keep at most this many most frequent words."),
        click.option("--lowercase", is_flag=True, help="Lower-case the text before counting."),
    ]):
        fn = deco(fn)
    return fn


def output_options(fn):
    """-o/--output and --format for commands that write vectors."""
    fn = click.option("--format", "fmt", default="word2vec", show_default=True,
                      type=click.Choice(["word2vec", "word2vec-binary", "glove", "npy"]),
                      help="Vector file format.")(fn)
    fn = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
                      help="Where to write the vectors.")(fn)
    return fn


threads_option = click.option("--threads", default=None, type=click.IntRange(min=1),
                              help="Worker threads [default: all cores].")
seed_option = click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0),
                           help="Random seed (with --threads 1 runs are bit-identical).")


def load_corpus(ctx, corpus, min_count, max_vocab, lowercase):
    """Scan CORPUS once: vocabulary and encoded corpus."""
    from .vocab import scan_corpus

    return scan_corpus(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                       progress=ctx.obj["progress"])


def write_vectors(vectors, output, fmt):
    vectors.save(output, format=fmt)
    click.echo(f"wrote {len(vectors)} x {vectors.dim} vectors to {output}", err=True)


# ---------------------------------------------------------------- commands
@click.group(cls=EmbedkitGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="embedkit")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or status lines.")
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


@cli.group(cls=EmbedkitGroup)
def train():
    """Train word vectors on a corpus (text, .gz/.bz2/.xz, a folder, or - for stdin)."""


@cli.command("vocab")
@corpus_options
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Write the vocabulary ('word count' lines) here instead of stdout.")
@click.pass_context
def vocab_cmd(ctx, corpus, min_count, max_vocab, lowercase, output):
    """Count the words of CORPUS and print 'word count' lines, most frequent first.

    \b
    Example:
      embedkit vocab data/sample.txt.xz --min-count 5 -o vocab.txt
    """
    from .vocab import build_vocab

    vocab = build_vocab(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                        progress=ctx.obj["progress"])
    if output:
        vocab.save(output)
    else:
        vocab.write(sys.stdout)


@train.command("ppmi-svd")
@corpus_options
@output_options
@click.option("--dim", default=100, show_default=True, type=int, help="Vector size.")
@click.option("--window", default=5, show_default=True, type=int, help="Context window (each side).")
@click.option("--cds", default=0.75, show_default=True, type=float, help="Context-distribution smoothing.")
@click.option("--neg", default=1.0, show_default=True, type=float, help="Shift: PMI - log(neg).")
@click.option("--eig", default=0.5, show_default=True, type=float, help="Eigenvalue weighting p (U * S^p).")
@click.option("--dynamic-window", is_flag=True, help="word2vec-style random window shrink.")
@click.option("--sample", default=0.0, show_default=True, type=float, help="Subsample frequent words (e.g. 1e-5).")
@click.option("--add-context", is_flag=True, help="Output W + C instead of W.")
@click.option("--n-iter", default=5, show_default=True, type=int, help="Power iterations of randomized SVD.")
@threads_option
@seed_option
@click.pass_context
def train_ppmi_svd_cmd(ctx, corpus, min_count, max_vocab, lowercase, output, fmt, dim, window, cds, neg,
                       eig, dynamic_window, sample, add_context, n_iter, threads, seed):
    """PPMI + truncated SVD (Levy, Goldberg & Dagan 2015).

    \b
    Example:
      embedkit train ppmi-svd data/sample.txt.xz -o ppmi.txt --dim 100 --window 5
    """
    from .ppmi_svd import train_ppmi_svd

    vectors = train_ppmi_svd(corpus, dim=dim, window=window, min_count=min_count, max_vocab=max_vocab,
                             lowercase=lowercase, cds=cds, neg=neg, eig=eig, dynamic_window=dynamic_window,
                             sample=sample, add_context=add_context, n_iter=n_iter, threads=threads,
                             seed=seed, progress=ctx.obj["progress"])
    write_vectors(vectors, output, fmt)


# ---------------------------------------------------------------- word2vec (word2vec helper)
def word2vec_options(fn):
    """Options shared by `train skipgram` and `train cbow`."""
    for deco in reversed([
        corpus_options, output_options,
        click.option("--dim", default=100, show_default=True, type=int, help="Vector size."),
        click.option("--window", default=5, show_default=True, type=int,
                     help="Largest context distance (each centre word draws 1..window)."),
        click.option("--negative", default=5, show_default=True, type=int,
                     help="Negative samples per pair (0: off, needs --hs)."),
        click.option("--hs", is_flag=True, help="Hierarchical softmax (Huffman tree); combines with --negative."),
        click.option("--sample", default=1e-3, show_default=True, type=float,
                     help="Subsample words more frequent than this (0: off)."),
        click.option("--alpha", default=None, type=float,
                     help="Initial learning rate [default: 0.025 skipgram, 0.05 cbow]."),
        click.option("--min-alpha", default=0.0001, show_default=True, type=float,
                     help="Final learning rate (linear decay over all epochs)."),
        click.option("--epochs", default=5, show_default=True, type=int, help="Passes over the corpus."),
        click.option("--save-context", default=None, type=click.Path(dir_okay=False),
                     help="Also write the context (output) vectors of negative sampling here."),
        click.option("--binary", is_flag=True, help="Shorthand for --format word2vec-binary."),
        threads_option, seed_option, click.pass_context,
    ]):
        fn = deco(fn)
    return fn


def _run_word2vec(ctx, model, output, fmt, binary, save_context, **kw):
    from .word2vec import fit_word2vec

    if save_context and kw["negative"] == 0:
        raise EmbedkitError("--save-context needs negative sampling (--negative >= 1)")
    r = fit_word2vec(kw.pop("corpus"), model=model, progress=ctx.obj["progress"], **kw)
    fmt = "word2vec-binary" if binary else fmt
    write_vectors(r.vectors, output, fmt)
    if save_context:
        write_vectors(r.context, save_context, fmt)
    if not ctx.obj["quiet"]:
        click.echo("loss per epoch (mean NLL per pair): " + " ".join(f"{x:.4f}" for x in r.losses), err=True)
        click.echo(f"trained in {r.train_seconds:.1f}s, {r.words_per_sec:,.0f} words/s", err=True)


@train.command("skipgram")
@word2vec_options
@click.option("--shared-negatives", is_flag=True,
              help="One draw of negatives per centre word, shared by its window (Ji et al. 2016; faster).")
def train_skipgram_cmd(ctx, **kw):
    """word2vec skip-gram (negative sampling and/or hierarchical softmax).

    \b
    Example:
      embedkit train skipgram data/sample.txt.xz -o sg.txt --dim 100 --window 5 --negative 5
    """
    _run_word2vec(ctx, "skipgram", **kw)


@train.command("cbow")
@word2vec_options
@click.option("--cbow-mean/--cbow-sum", default=True, show_default=True,
              help="Average (or sum) the context vectors.")
@click.option("--cbow-update", default="word2vec", show_default=True, type=click.Choice(["word2vec", "corrected"]),
              help="'corrected' divides the context update by the window size (koan); try --alpha 0.075.")
def train_cbow_cmd(ctx, **kw):
    """word2vec CBOW (negative sampling and/or hierarchical softmax).

    \b
    Example:
      embedkit train cbow data/sample.txt.xz -o cbow.txt --dim 100 --window 5 --negative 5
    """
    _run_word2vec(ctx, "cbow", **kw)


# ---------------------------------------------------------------- using vectors (eval)
def _report_table(report):
    """The evaluation report as aligned text tables."""
    lines = [f"{'similarity set':<16} {'spearman':>9} {'pairs':>7} {'found':>7} {'coverage':>9}"]
    for r in report.similarity:
        lines.append(f"{r.name:<16} {r.spearman:>9.4f} {r.pairs:>7} {r.found:>7} {r.coverage:>9.3f}")
    for r in report.analogy:
        lines += ["", f"analogy {r.name}, 3Cos{r.method.capitalize()}, top {r.restrict} words",
                  f"{'section':<28} {'accuracy':>9} {'correct':>8} {'answered':>9} {'questions':>10}"]
        rows = [(s.name, s) for s in r.sections] + [("semantic", r.semantic), ("syntactic", r.syntactic),
                                                     ("total", r.total)]
        for name, s in rows:
            lines.append(f"{name:<28} {s.accuracy:>9.4f} {s.correct:>8} {s.answered:>9} {s.questions:>10}")
        lines.append(f"{'coverage':<28} {r.coverage:>9.3f}")
    return "\n".join(lines)


@cli.command("eval")
@click.argument("vectors", type=click.Path())
@click.option("--sim", "sim", multiple=True, type=click.Path(), help="Extra similarity file (w1 w2 score).")
@click.option("--analogy", "analogy", multiple=True, type=click.Path(), help="Extra analogy file (: section format).")
@click.option("--restrict", default=30000, show_default=True, type=click.IntRange(min=1),
              help="Analogy answers searched among the N most frequent words.")
@click.option("--case-sensitive", is_flag=True, help="Match words exactly (default: case-insensitive).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def eval_cmd(vectors, sim, analogy, restrict, case_sensitive, as_json):
    """Score VECTORS on WS-353 (all/sim/rel), SimLex-999, MEN and the Google analogies.

    \b
    Example:
      embedkit eval vectors.txt --sim my_pairs.tsv --json
    """
    import json

    from .eval import evaluate
    from .vectors import Vectors

    report = evaluate(Vectors.load(vectors), sim=list(sim), analogy=list(analogy), restrict=restrict,
                      case_sensitive=case_sensitive)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else _report_table(report))


def main():
    cli(prog_name="embedkit")


if __name__ == "__main__":
    main()
