"""Benchmark webapp.domain.sms_text.analyze on 100,000 distinct messages.

    python benchmarks/bench_sms_text.py [--messages N] [--seed S] [--max-seconds X]

Messages are generated deterministically (seeded), 160-480 characters long:
plain GSM-7, GSM-7 with extension characters, Romanian with diacritics,
Cyrillic, and GSM text with emoji (ZWJ sequences, flags, skin tones).
Times are CPU seconds of this process (one core), best of 3 for the
breakdown by encoding and kind. With --max-seconds the exit code is 1 when
the first pass over all messages takes longer.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("webapp") is None:
    sys.path.insert(0, str(REPO_ROOT))

from webapp.domain import sms_text  # noqa: E402

WORDS = (
    "your order is ready for pickup at the store code appointment tomorrow "
    "confirm reply STOP to opt out delivery between and today thank you "
    "payment received balance account invoice discount offer valid until"
).split()
EXT_WORDS = ["{promo}", "[info]", "50€", "a|b", "~10%", "x^2", "C:\\tmp", "{ok}", "€5"]
RO_WORDS = (
    "comanda dumneavoastră este gata de ridicat în magazin programare mâine "
    "confirmați răspundeți mulțumim plată primită țară școală învățământ "
    "ȘTIRI ÎNCHIS până astăzi ofertă reducere"
).split()
CY_WORDS = (
    "ваш заказ готов к выдаче в магазине запись завтра подтвердите ответьте "
    "спасибо оплата получена баланс счёт скидка предложение действует до"
).split()
EMOJI = [
    "😀",
    "🎉",
    "👍",
    "👍🏽",
    "❤️",
    "🇷🇴",
    "🇺🇦",
    "👨\u200d👩\u200d👧\u200d👦",
    "🏳️\u200d🌈",
    "👩🏾\u200d🚀",
    "🤷\u200d♀️",
    "✅",
]
CATEGORIES = ("gsm", "gsm+ext", "romanian", "cyrillic", "emoji")
WEIGHTS = (35, 20, 15, 15, 15)


def make_message(rnd: random.Random, category: str, serial: int) -> str:
    target = rnd.randint(160, 480)
    words = [f"#{serial}"]  # keeps every message distinct
    size = len(words[0])
    while size < target:
        if category == "gsm+ext" and rnd.random() < 0.2:
            w = rnd.choice(EXT_WORDS)
        elif category == "romanian":
            w = rnd.choice(RO_WORDS if rnd.random() < 0.7 else WORDS)
        elif category == "cyrillic":
            w = rnd.choice(CY_WORDS)
        elif category == "emoji" and rnd.random() < 0.15:
            w = rnd.choice(EMOJI)
        else:
            w = rnd.choice(WORDS)
        words.append(w)
        size += len(w) + 1
    return " ".join(words)[:target]


def generate(n: int, seed: int) -> list[tuple[str, str]]:
    rnd = random.Random(seed)
    cats = rnd.choices(CATEGORIES, WEIGHTS, k=n)
    return [(c, make_message(rnd, c, i)) for i, c in enumerate(cats)]


def run(texts: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) to analyse ``texts`` once."""
    analyze = sms_text.analyze
    cpu, wall = time.process_time(), time.perf_counter()
    for t in texts:
        analyze(t)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument(
        "--max-seconds", type=float, default=None, help="exit 1 if the first pass takes more CPU seconds than this"
    )
    args = ap.parse_args()

    data = generate(args.messages, args.seed)
    texts = [t for _, t in data]
    assert len(set(texts)) == len(texts), "messages are not distinct"
    sms_text._CHUNKS.clear()  # start with an empty cluster cache

    cpu, wall = run(texts)
    n = len(texts)
    print(
        f"python {sys.version.split()[0]}: {n} distinct messages, "
        f"{min(map(len, texts))}-{max(map(len, texts))} characters"
    )
    print(
        f"first pass : {cpu:.3f} s CPU ({wall:.3f} s wall), {n / cpu:,.0f} messages/s, {1e6 * cpu / n:.1f} us/message"
    )
    again = min(run(texts)[0] for _ in range(3))
    print(f"best of 3  : {again:.3f} s CPU, {n / again:,.0f} messages/s")

    groups: dict[str, list[str]] = defaultdict(list)
    parts = 0
    for kind, t in data:
        a = sms_text.analyze(t)
        parts += a.parts
        groups[a.encoding].append(t)
        groups["  " + kind].append(t)
    print(f"parts      : {parts} ({parts / n:.2f} per message)")
    for name in ["GSM-7", "UCS-2", *("  " + c for c in CATEGORIES)]:
        ts = groups[name]
        secs = min(run(ts)[0] for _ in range(3))
        print(
            f"{name:<11}: {len(ts):6d} messages, {secs:.3f} s CPU, {len(ts) / secs:,.0f} messages/s, "
            f"{1e6 * secs / len(ts):.1f} us/message"
        )
    if args.max_seconds is not None and cpu > args.max_seconds:
        print(f"FAIL: {cpu:.3f} s > {args.max_seconds} s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
