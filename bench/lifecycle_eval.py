"""Time the lifecycle evaluator on a generated repository (target: under 2 s).

    .venv/bin/python bench/lifecycle_eval.py [--images 20000] [--repeat 5] [--seed 1]

The repository mixes untagged images (some of them manifest-list children), release
tags (v…), dev- and feature- branches (alone and together), nightlies, archived images
and referrers, pushed up to a year ago. The policy is the seed guide's three rules
("Implementing Lifecycle Policies"). Prints the seconds evaluate() took.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import time
from collections import Counter

from berth.lifecycle import ImageFacts, evaluate, parse_policy
from berth.testing.guide import LIFECYCLE_POLICY

DAY = 86_400
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
SEED_POLICY = LIFECYCLE_POLICY  # the seed guide's three rules

KINDS = [("untagged", 30), ("release", 20), ("dev", 15), ("feature", 10), ("dev+feature", 10),
         ("nightly", 8), ("referrer", 5), ("other", 2)]


def _tags(kind: str, n: int, rnd: random.Random) -> tuple[str, ...]:
    if kind == "release":
        extra = ("latest",) if n == 0 else ("stable",) if rnd.random() < 0.01 else ()
        return (f"v{n // 1000}.{n // 10 % 100}.{n % 10}-{n}", *extra)
    if kind == "dev+feature":
        return f"dev-{n}", f"feature-{n}", *((f"sha-{n:08x}",) if rnd.random() < 0.5 else ())
    if kind in ("dev", "feature", "nightly", "other"):
        return (f"{kind}-{n}",)
    return ()


def repository(size: int, seed: int) -> list[ImageFacts]:
    rnd = random.Random(seed)
    names, weights = zip(*KINDS, strict=True)
    images: list[ImageFacts] = []
    for n in range(size):
        kind = rnd.choices(names, weights)[0]
        pushed = NOW - rnd.uniform(0, 365) * DAY
        archived = kind == "release" and rnd.random() < 0.05
        subject = (rnd.choice(images).digest
                   if kind == "referrer" and images else None)
        images.append(ImageFacts(
            digest="sha256:" + hashlib.sha256(f"{seed}/{n}".encode()).hexdigest(),
            tags=_tags(kind, n, rnd), pushed_at=pushed,
            last_pulled_at=pushed + rnd.uniform(0, NOW - pushed) if rnd.random() < 0.6 else None,
            storage_class="ARCHIVE" if archived else "ACTIVE",
            last_archived_at=NOW - rnd.uniform(0, 200) * DAY if archived else None,
            listed_by_index=kind == "untagged" and rnd.random() < 0.2,
            subject_digest=subject))
    return images


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    policy = parse_policy(SEED_POLICY)
    images = repository(args.images, args.seed)
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        decisions = evaluate(policy, images, NOW)
        timings.append(time.perf_counter() - started)
    per_rule = Counter(d.rule_priority for d in decisions)
    print(f"{len(images):,} images, {len(decisions):,} decisions "
          f"(by rule: {dict(sorted(per_rule.items(), key=lambda kv: kv[0] or 0))})")
    print(f"evaluate: {min(timings):.3f} s best, {statistics.median(timings):.3f} s median "
          f"of {args.repeat} (target < 2 s)")
    return 0 if min(timings) < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
