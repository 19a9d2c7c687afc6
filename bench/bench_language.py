"""CPU per customer message of the embedded language model (fast tier), in process, and the
resident memory of a serving worker with it loaded.

    python bench/bench_language.py [--data /work/shared/data] [--n 5000]

Each message is scored once by a fresh model (no memo hit; the per-word cache warms as it
would on live traffic). Prints p50/p99/max in µs, over real customer messages (MultiDoGO dev
customer turns and HINT3 v2 test rows), and over long ones (~450 characters and 20,000).
"""

from __future__ import annotations

import argparse
import csv
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from warmline.adapters.language_files import load_language_model

MODEL = Path(__file__).resolve().parent.parent / "src" / "warmline" / "models" / "language.npz"

RSS = """
import resource
from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.web.app import create_app
services = build_services(Settings(db="memory:"))
create_app(services, sweep=False)
services.tenants.build_decider(None).decide
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def messages(data: Path, n: int) -> list[str]:
    out: list[str] = []
    for domain in sorted(p.name for p in (data / "multidogo").iterdir() if p.is_dir()):
        with (data / "multidogo" / domain / "dev.tsv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                turn = row.get("turnNumber") or ""
                if turn.isdigit() and int(turn) % 2 == 0 and row.get("utterance"):
                    out.append(row["utterance"])
    for bot in ("sofmattress", "curekart", "powerplay11"):
        path = data / "hint3" / "v2" / "test" / f"{bot}_test.csv"
        with path.open(encoding="utf-8-sig", newline="") as handle:
            out += [r["sentence"] for r in csv.DictReader(handle)]
    unique = list(dict.fromkeys(out))
    step = max(1, len(unique) // n)
    return unique[::step][:n]


def timed(texts: list[str], warm: list[str] = ()) -> list[float]:  # type: ignore[assignment]
    """CPU µs per message; ``warm`` messages are scored first (untimed), as live traffic
    fills the per-word cache."""
    model = load_language_model(MODEL)
    for text in warm:
        model.score(text)
    took = []
    for text in texts:
        start = time.thread_time_ns()
        model.score(text)
        took.append((time.thread_time_ns() - start) / 1000)
    return took


def show(name: str, took: list[float]) -> None:
    took = sorted(took)
    p99 = took[min(len(took) - 1, int(len(took) * 0.99))]
    print(f"| {name} | {len(took)} | {statistics.median(took):.0f} | {p99:.0f} | "
          f"{took[-1]:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--n", type=int, default=5000)
    opts = parser.parse_args()
    texts = messages(opts.data, opts.n)
    long = [" ".join(texts[i : i + 12])[:450] for i in range(0, 1200, 12)]
    huge = [("my order is late and nobody answers. " * 600)[:20_000] + str(i) for i in range(20)]
    print("| messages | n | p50 µs | p99 µs | max µs |\n|---|---|---|---|---|")
    show("real customer messages, cold word cache", timed(texts))
    half = len(texts) // 2
    show("the second half, after the first half warmed the cache", timed(texts[half:],
                                                                         texts[:half]))
    show("long (~450 characters)", timed(long))
    show("20,000 characters", timed(huge))
    start = time.perf_counter()
    load_language_model(MODEL)
    print(f"\nload: {(time.perf_counter() - start) * 1000:.0f} ms; file "
          f"{MODEL.stat().st_size / 1e6:.2f} MB; this process max RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    rss = subprocess.run([sys.executable, "-c", RSS], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    print(f"a serving worker (app built, services, the general decider and the model loaded): "
          f"max RSS {float(rss):.0f} MB")


if __name__ == "__main__":
    main()
