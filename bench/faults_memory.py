"""Memory estimates against measured peak RSS, one child process per trainer (1 epoch).

    python bench/faults_memory.py CORPUS [--threads N]

Each child trains with the library and prints the estimate its trainer checked (resident
memory at the check + the estimated need); the parent reads the child's peak RSS from
``getrusage(RUSAGE_CHILDREN)``. Prints estimate / measured for every trainer.
"""

import argparse
import json
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
import embedkit._faults as F
seen = {}
real = F.check_memory
def spy(need, **kw):
    seen.setdefault("rss", F.resident_bytes()); seen.setdefault("need", int(need))
    return real(need, **kw)
for mod in ("word2vec", "fasttext", "glove", "ppmi_svd"):
    m = __import__("embedkit." + mod, fromlist=["x"])
    m.check_memory = spy
from embedkit import train_word2vec, train_fasttext, train_glove, train_ppmi_svd
name, corpus, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.time()
kw = dict(threads=threads, min_count=5)
if name in ("skipgram", "cbow"):
    train_word2vec(corpus, model=name, epochs=1, **kw)
elif name == "fasttext":
    train_fasttext(corpus, epochs=1, **kw)
elif name == "glove":
    train_glove(corpus, epochs=1, **kw)
else:
    train_ppmi_svd(corpus, **kw)
import resource
print(json.dumps({"estimate": seen["rss"] + seen["need"], "rss_at_check": seen["rss"], "need": seen["need"],
                  "seconds": time.time() - t, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=["skipgram", "cbow", "fasttext", "glove", "ppmi-svd"])
    a = ap.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, corpus {a.corpus}, threads {a.threads}, 1 epoch")
    print("| trainer | RSS at check (MB) | estimated need (MB) | estimated peak (MB) | measured peak (MB) | "
          "estimate / measured |")
    print("|---|---|---|---|---|---|")
    import os
    import tempfile

    tiny = os.path.join(tempfile.mkdtemp(), "tiny.txt")  # warm-up: Numba's cache filled before measuring
    with open(a.corpus, encoding="utf-8", errors="replace") as f, open(tiny, "w", encoding="utf-8") as g:
        for _, line in zip(range(3000), f):
            g.write(line)
    for name in a.only:
        # each trainer in a fresh interpreter, which reports its own peak (getrusage RUSAGE_SELF)
        subprocess.run([sys.executable, "-c", CHILD, name, tiny, str(a.threads)], capture_output=True, text=True)
        r = subprocess.run([sys.executable, "-c", CHILD, name, a.corpus, str(a.threads)],
                           capture_output=True, text=True)
        if r.returncode:
            print(f"| {name} | failed: {r.stderr.strip().splitlines()[-1:]} |")
            continue
        d = json.loads(r.stdout.strip().splitlines()[-1])
        mb = 1e6
        print(f"| {name} | {d['rss_at_check'] / mb:.0f} | {d['need'] / mb:.0f} | {d['estimate'] / mb:.0f} | "
              f"{d['peak'] / mb:.0f} | {d['estimate'] / d['peak']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
