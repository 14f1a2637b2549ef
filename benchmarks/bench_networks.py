"""How fast webapp.domain.networks.network_of names the network of Romanian numbers (issue 18).

    .venv/bin/python benchmarks/bench_networks.py [--count 100000]

Runs over random distinct 07xx numbers: not cached yet (what a report over numbers never seen
pays), a set that fits the cache asked again (every answer cached), and for comparison
phonenumbers.parse + carrier.name_for_number without a cache.  The cache's memory is measured
in a separate pass (tracemalloc slows everything down several times).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import phonenumbers  # noqa: E402
from phonenumbers import carrier  # noqa: E402

from webapp.domain.networks import CACHE_SIZE, network_of  # noqa: E402


def rate(label: str, count: int, seconds: float) -> None:
    print(f"{label:<44} {count / seconds:>12,.0f} numbers/s  ({seconds * 1000:,.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(18)
    numbers = list({f"+407{rng.randrange(10**8):08d}" for _ in range(args.count * 2)})[: args.count]

    network_of.cache_clear()
    started = time.perf_counter()
    names = [network_of(n) for n in numbers]
    first = time.perf_counter() - started
    fits = numbers[-CACHE_SIZE:]  # the ones the LRU cache kept
    started = time.perf_counter()
    for n in fits:
        network_of(n)
    again = time.perf_counter() - started
    network_of.cache_clear()
    tracemalloc.start()
    for n in fits:
        network_of(n)
    size, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    for n in numbers:
        carrier.name_for_number(phonenumbers.parse(n, None), "en")
    plain = time.perf_counter() - started

    print(f"{len(numbers):,} distinct Romanian 07xx numbers; a full cache ({CACHE_SIZE:,}) holds {size / 1e6:.1f} MB")
    rate("network_of, first time (not cached)", len(numbers), first)
    rate(f"network_of, {len(fits):,} again (cached)", len(fits), again)
    rate("phonenumbers.parse + name_for_number", len(numbers), plain)
    print("by network:", ", ".join(f"{name or '(none)'} {n:,}" for name, n in Counter(names).most_common()))


if __name__ == "__main__":
    main()
