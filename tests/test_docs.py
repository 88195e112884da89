"""The documentation cannot drift from the command line: every `embedkit ...` command shown in
README.md and docs/usage.md names a command that exists and only options that command takes.
(docs/make_usage.py regenerates the outputs docs/usage.md shows.)"""

import pathlib
import re

import click
import pytest

from embedkit.cli import cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
OPTION = re.compile(r"(?<![\w./-])(--?[a-zA-Z][\w-]*)")


def shown_commands():
    """(file, command line) for every `embedkit ...` line of a fenced block (continuation lines joined)."""
    found = []
    for name in ("README.md", "docs/usage.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M):
            lines = []
            for line in block.splitlines():
                line = line[2:] if line.startswith("$ ") else line
                if line.startswith("embedkit"):
                    lines.append(line.split("  #")[0])
                elif lines and line.startswith(" ") and line.strip().startswith(("[", "--")):
                    lines[-1] += " " + line.strip()
                elif line.strip():
                    lines.append("")  # output or another program: ends a command
            found += [(name, ln) for ln in lines if ln]
    return found


def test_the_docs_show_commands():
    names = {c.split()[1] for _, c in shown_commands() if len(c.split()) > 1}
    assert {"train", "similar", "eval", "export", "docsim", "docvec", "convert"} <= names


@pytest.mark.parametrize("name,line", shown_commands())
def test_every_documented_command_and_option_exists(name, line):
    words = line.split()
    cmd, k = cli, 1
    opts = {"-q", "--quiet", "-h", "--help", "--version"}
    while isinstance(cmd, click.Group) and k < len(words) and words[k] in cmd.commands:
        cmd = cmd.commands[words[k]]
        k += 1
    assert not isinstance(cmd, click.Group) or k == len(words), f"{name}: no command in {line!r}"
    for p in cmd.params:
        opts.update(getattr(p, "opts", ()), getattr(p, "secondary_opts", ()))
    used = OPTION.findall(" ".join(words[k:]))
    unknown = [o for o in used if o not in opts]
    assert not unknown, f"{name}: {line!r} shows options `{' '.join(words[:k])}` does not take: {unknown}"
