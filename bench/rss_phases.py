"""Where a command's memory peaks: run ``embedkit ARGS`` in this process and sample its RSS every
``--every`` seconds, each sample tagged with the innermost embedkit functions running on the main thread.

Prints, for the functions seen, the highest RSS sampled in them (highest first) and when. Sampling can
miss a short spike, so the top row may sit below ``/usr/bin/time``'s peak; wrap the command in it for
the true maximum.

    TMPDIR=/work/exp/gtmp /usr/bin/time -f "%M KB %e s" python bench/rss_phases.py -- \\
        train glove corpus.txt -o g.txt --epochs 1 --memory 2G --threads 2 --quiet
"""

import argparse
import os
import sys
import threading
import time


def _rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def _where(thread_id, depth):
    frame = sys._current_frames().get(thread_id)
    names = []
    while frame is not None and len(names) < depth:
        path = frame.f_code.co_filename
        if f"{os.sep}embedkit{os.sep}" in path and not path.endswith("cli.py"):
            names.append(f"{os.path.basename(path)}:{frame.f_code.co_name}")
        frame = frame.f_back
    return " < ".join(names) or "(outside embedkit)"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--every", type=float, default=0.05, help="seconds between samples")
    p.add_argument("--depth", type=int, default=3, help="embedkit frames named per sample")
    p.add_argument("--top", type=int, default=12)
    p.add_argument("args", nargs=argparse.REMAINDER, help="the embedkit command line (after --)")
    a = p.parse_args()
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    main_id = threading.get_ident()
    peaks, t0, done = {}, time.time(), threading.Event()

    def sample():
        while not done.is_set():
            rss, where = _rss_mb(), _where(main_id, a.depth)
            if rss > peaks.get(where, (0, 0))[0]:
                peaks[where] = (rss, time.time() - t0)
            done.wait(a.every)

    threading.Thread(target=sample, daemon=True).start()
    sys.argv = ["embedkit", *args]
    code = 0
    try:
        from embedkit.cli import main as cli
        cli()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        done.set()
        for where, (rss, t) in sorted(peaks.items(), key=lambda x: -x[1][0])[:a.top]:
            print(f"{rss:7,d} MB at {t:7.1f} s  {where}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
