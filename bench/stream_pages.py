"""Resident pages of the on-disk PPMI matrix while the SVD streams over it (issue 21 item 2).

Fits PPMI+SVD with ``--memory`` to a co-occurrence folder (restricted to ``--min-count``, within 300M)
and, after every block's product by A or by A.T, reads this process's resident KB of the PPMI files
(``/proc/self/smaps``, mappings under the temporary folder ``embedkit-ppmi-*``). Prints how many
products were sampled, the largest figure, and every twentieth sample. With blocks of well under a
megabyte, a reader that lets go of each block's pages alone keeps the pages that page faults map
around them (``embedkit._util.drop_read_pages``); run it on an older commit to compare.

    PYTHONPATH=. python bench/stream_pages.py COOC_DIR --min-count 5 --memory 4M
"""

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def mapped_kb(part):
    kb, inside = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):
                inside = part in line
            elif inside and line.startswith("Rss:"):
                kb += int(line.split()[1])
    return kb


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--memory", default="4M")
    p.add_argument("--dim", type=int, default=20)
    p.add_argument("--n-iter", type=int, default=2)
    p.add_argument("--tmp-dir", default=None)
    a = p.parse_args()
    from embedkit import ppmi_svd
    from embedkit.cooc import load_cooccurrences

    seen = []
    for name in ("_csr_dense_product", "_csr_t_dense_product"):
        def sampled(*args, real=getattr(ppmi_svd, name)):
            out = real(*args)
            seen.append(mapped_kb("embedkit-ppmi"))
            return out
        setattr(ppmi_svd, name, sampled)
    ppmi_svd.compile_kernels = lambda m: None  # the wrappers cannot be compiled ahead: the kernels compile here
    c = load_cooccurrences(a.folder)
    if c.params["min_count"] < a.min_count:
        c = c.restrict(a.min_count, memory="300M", tmp_dir=a.tmp_dir)
    ppmi_svd.fit_ppmi_svd(c, dim=a.dim, n_iter=a.n_iter, memory=a.memory, tmp_dir=a.tmp_dir)
    print(f"{len(c)} words, {c.matrix.nnz:,} non-zeros, --memory {a.memory}: {len(seen)} block products sampled, "
          f"largest {max(seen):,} KB of the PPMI files resident")
    print("every twentieth sample (KB):", ", ".join(f"{kb:,}" for kb in seen[::max(1, len(seen) // 20)]))


if __name__ == "__main__":
    main()
