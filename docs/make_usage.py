"""Regenerate the outputs shown in docs/usage.md by running every command it shows.

    python docs/make_usage.py            # rewrite docs/usage.md in place
    python docs/make_usage.py --check    # exit 1, listing the blocks that differ, when it is stale

Every fenced block whose lines start with ``$ `` is a transcript: each ``$ command`` is run with
bash in a scratch folder (``embedkit`` there is this checkout's CLI) and the lines up to the next
``$`` are replaced by what it printed (stderr and stdout, in order). A transcript whose shown
output ends with a ``...`` line keeps that many lines and the ``...``. ``embedkit train`` prints
timings, so its output is not shown. A block right after ``<!-- usage: not generated -->`` is
left as written (figures from a corpus that is not in the repository).

The files the commands read are made first, as the text of docs/usage.md says they were:
PPMI+SVD vectors of data/sample.txt.xz at dim 100 and 50, a vocabulary, a gensim pickle,
``sentences.txt`` (the sample in 20-word lines), two halves of the sample and their vectors.
The whole run takes a few minutes (a fastText model is trained on the sample).
"""

from __future__ import annotations

import argparse
import lzma
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USAGE = os.path.join(ROOT, "docs", "usage.md")
SKIP = "<!-- usage: not generated -->"
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```\n", re.S | re.M)

SETUP = [
    "embedkit -q train ppmi-svd data/sample.txt.xz -o vectors.txt",
    "embedkit -q train ppmi-svd data/sample.txt.xz -o ppmi50.txt --dim 50",
    "embedkit vocab data/sample.txt.xz -o vocab.txt",
    "xz -dc data/sample.txt.xz | head -143 > half1.txt && xz -dc data/sample.txt.xz | tail -n +144 > half2.txt",
    "embedkit -q train ppmi-svd half1.txt -o v1.txt && embedkit -q train ppmi-svd half2.txt -o v2.txt",
    "mkdir -p docs",
]


def _sentences(path):
    """The sample cut into 20-word lines, as the awk line in docs/usage.md does."""
    with lzma.open(os.path.join(ROOT, "data", "sample.txt.xz"), "rt", encoding="utf-8") as f, \
            open(path, "w", encoding="utf-8") as out:
        for line in f:
            tokens = line.split()
            for i in range(0, len(tokens), 20):
                out.write(" ".join(tokens[i:i + 20]) + "\n")


def _gensim_pickle(work):
    from gensim.models import KeyedVectors

    KeyedVectors.load_word2vec_format(os.path.join(work, "vectors.txt")).save(os.path.join(work, "model.kv"))


def _shell(command, work):
    env = dict(os.environ, PATH=os.path.join(work, "bin") + os.pathsep + os.environ["PATH"],
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), COLUMNS="100")
    r = subprocess.run(["bash", "-c", command + " 2>&1"], cwd=work, env=env, capture_output=True, text=True)
    return r.stdout


def prepare(work):
    """The scratch folder: ``bin/embedkit`` running this checkout, ``data`` and the input files."""
    os.makedirs(os.path.join(work, "bin"))
    with open(os.path.join(work, "bin", "embedkit"), "w") as f:
        f.write(f'#!/bin/sh\nexec "{sys.executable}" -m embedkit.cli "$@"\n')
    os.chmod(os.path.join(work, "bin", "embedkit"), 0o755)
    os.symlink(os.path.join(ROOT, "data"), os.path.join(work, "data"))
    for command in SETUP:
        out = _shell(command, work)
        if out.strip() and "Error" in out:
            raise SystemExit(f"setup failed: {command}\n{out}")
    _sentences(os.path.join(work, "sentences.txt"))
    _gensim_pickle(work)


def regenerate(text, work):
    """``text`` with every transcript's output replaced by what its commands print now."""
    out, pos = [], 0
    for m in FENCE.finditer(text):
        block = m.group(1)
        lines = block.splitlines()
        skipped = text[:m.start()].rstrip().endswith(SKIP)
        if skipped or not lines or not lines[0].startswith("$ "):
            continue
        new = []
        for k, line in enumerate(lines):
            if not line.startswith("$ "):
                continue
            shown = []
            for rest in lines[k + 1:]:
                if rest.startswith("$ "):
                    break
                shown.append(rest)
            printed = _shell(line[2:], work).splitlines()
            if line[2:].startswith("embedkit train"):
                printed = []
            elif shown and shown[-1] == "...":
                printed = printed[:len(shown) - 1] + ["..."]
            if shown and shown[-1] == "" and (not printed or printed[-1] != ""):
                printed.append("")  # keep the blank line between two commands
            new += [line, *printed]
        out.append(text[pos:m.start(1)] + "\n".join(new) + "\n")
        pos = m.end(1)
    out.append(text[pos:])
    return "".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only say whether docs/usage.md is up to date")
    args = ap.parse_args(argv)
    with open(USAGE, encoding="utf-8") as f:
        text = f.read()
    with tempfile.TemporaryDirectory(prefix="embedkit-usage-") as work:
        prepare(work)
        new = regenerate(text, work)
    if new == text:
        print("docs/usage.md is up to date")
        return 0
    if args.check:
        import difflib

        sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True), "usage.md", "now"))
        return 1
    with open(USAGE + ".tmp", "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(USAGE + ".tmp", USAGE)
    print("rewrote docs/usage.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
