"""Memory estimates against measured peak RSS, one child process per trainer (1 epoch).

    python bench/faults_memory.py CORPUS [--threads N] [--only NAME...] [--memory SIZE]

Each child trains with the library and prints every estimate its trainer checked (resident
memory at the check + the estimated need) and its own peak RSS: GloVe and PPMI+SVD counting in
memory check twice, before counting (from the non-zeros estimated on samples of the corpus,
for counting and the fit) and after it (from the counted non-zeros, for the fit). Every stage function
(see ``embedkit._faults.STAGES``) is wrapped so that, on entry and exit, the peak so far
(``VmHWM``) is read and reset (``/proc/self/clear_refs``): the run is split into segments
whose own peaks are exact, Numba kernels included, and the peak RSS of the run is the
largest of them (``ru_maxrss`` cannot be used: the reset clears it too). Prints estimate /
measured for every trainer, then the peak of each stage.

``--memory SIZE`` runs GloVe and PPMI+SVD with that bound (records and the PPMI matrix on
disk where they exceed it); the word2vec and fastText runs have no such option and are
the same either way.
"""

import argparse
import json
import re
import subprocess
import sys
import time

CHILD = r"""
import functools, importlib, json, os, re, sys, time
import embedkit._faults as F

def hwm():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) * 1024

def reset():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass

peaks, stack = {}, []

def mark(label):
    peaks[label] = max(peaks.get(label, 0), hwm())
    reset()

def wrap(f, stage):
    @functools.wraps(f)
    def call(*a, **k):
        mark(stack[-1] if stack else "outside stages")
        stack.append(stage)
        try:
            return f(*a, **k)
        finally:
            mark(stack.pop())
    return call

for name in ("vocab", "_sgd", "word2vec", "fasttext", "glove", "ppmi_svd", "cooc._count", "cooc._store", "formats"):
    importlib.import_module("embedkit." + name)
wrapped = {}
for mod in [m for n, m in list(sys.modules.items()) if n.startswith("embedkit") and m is not None]:
    for attr, value in list(vars(mod).items()):
        code = getattr(value, "__code__", None)
        stage = code and F._frame_stage(code)
        if stage:
            if value not in wrapped:
                wrapped[value] = wrap(value, stage)
            setattr(mod, attr, wrapped[value])

checks = []
real = F.check_memory
def spy(need, **kw):
    mark(stack[-1] if stack else "outside stages")
    checks.append({"rss": F.resident_bytes(), "need": int(need), "what": kw["what"]})
    return real(need, **kw)
F.check_memory = spy  # embedkit.cooc calls it through the module
for mod in ("word2vec", "fasttext", "glove", "ppmi_svd"):
    m = sys.modules["embedkit." + mod]
    if hasattr(m, "check_memory"):
        m.check_memory = spy
from embedkit import train_word2vec, train_fasttext, train_glove, train_ppmi_svd
name, corpus, threads, memory = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] or None
t = time.time()
kw = dict(threads=threads, min_count=5)
if name in ("skipgram", "cbow"):
    r = train_word2vec(corpus, model=name, epochs=1, **kw)
elif name == "fasttext":
    r = train_fasttext(corpus, epochs=1, **kw)
elif name == "glove":
    r = train_glove(corpus, epochs=1, memory=memory, **kw)
else:
    r = train_ppmi_svd(corpus, memory=memory, **kw)
mark("outside stages")
print(json.dumps({"checks": checks, "words": len(r.vectors.words), "seconds": time.time() - t,
                  "peak": max(peaks.values()), "stages": peaks}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", default="", help="GloVe and PPMI+SVD's --memory (default: in memory)")
    ap.add_argument("--only", nargs="*", default=["skipgram", "cbow", "fasttext", "glove", "ppmi-svd"])
    a = ap.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, corpus {a.corpus}, threads {a.threads}, 1 epoch"
          + (f", memory {a.memory}" if a.memory else ""))
    print("| trainer | RSS at check (MB) | estimated need (MB) | estimated peak (MB) | measured peak (MB) | "
          "estimate / measured |")
    print("|---|---|---|---|---|---|")
    import os
    import tempfile

    tiny = os.path.join(tempfile.mkdtemp(), "tiny.txt")  # warm-up: Numba's cache filled before measuring
    import lzma

    opener = lzma.open if a.corpus.endswith(".xz") else open
    with opener(a.corpus, "rt", encoding="utf-8", errors="replace") as f, open(tiny, "w", encoding="utf-8") as g:
        for _, line in zip(range(3000), f):
            g.write(line)
    stages = {}
    for name in a.only:
        # each trainer in a fresh interpreter, which reports its own peak (getrusage RUSAGE_SELF)
        subprocess.run([sys.executable, "-c", CHILD, name, tiny, str(a.threads), a.memory], capture_output=True,
                       text=True)
        r = subprocess.run([sys.executable, "-c", CHILD, name, a.corpus, str(a.threads), a.memory],
                           capture_output=True, text=True)
        if r.returncode:
            print(f"| {name} | failed: {r.stderr.strip().splitlines()[-1:]} |", flush=True)
            continue
        d = json.loads(r.stdout.strip().splitlines()[-1])
        stages[name] = d["stages"]
        mb = 1e6
        if not d["checks"]:
            print(f"| {name} | no check | | | {d['peak'] / mb:.0f} | |", flush=True)
            continue
        for i, c in enumerate(d["checks"]):
            est = c["rss"] + c["need"]
            when = ""
            if len(d["checks"]) > 1:
                m = re.search(r"about ([\d.,]+M) non-zeros", c["what"])
                when = f" (before counting, {m.group(1)} non-zeros estimated)" if m else " (after counting)"
            print(f"| {name}{when} | {c['rss'] / mb:.0f} | {c['need'] / mb:.0f} | {est / mb:.0f} | "
                  f"{d['peak'] / mb:.0f} | {est / d['peak']:.2f} |", flush=True)
    print("\nPeak RSS (MB) of each stage:")
    for name, peaks in stages.items():
        print(f"- {name}: " + ", ".join(f"{k} {v / 1e6:.0f}" for k, v in peaks.items()), flush=True)


if __name__ == "__main__":
    main()
