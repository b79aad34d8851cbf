"""Time the vulnerability database: import (target ≥ 10,000 records/s), lookup, diff.

    .venv/bin/python bench/vulndb_import.py [--records 100000] [--repeat 3] [--workers N]
                                            [--seed 1] [--keep DIR]

Generates synthetic but realistically shaped OSV records into an osv.dev-style
``all.zip``: half Debian (DEBIAN-CVE-*, one affected entry per release Debian:11 and
Debian:12, ECOSYSTEM ranges, enumerated ``versions``, urgency), a quarter PyPI (PYSEC-*,
ECOSYSTEM + GIT ranges, versions, CVSS), a quarter npm (GHSA-*, SEMVER ranges, one to
three packages, database_specific severity). Then it times build() (wall and CPU, the
workers' included; the machine's load average beside it, as other work skews the wall
time), a first and a cached lookup of 150 names as one image's scan would ask them
(100 Debian, 30 PyPI, 20 npm), changed_keys() between that build and a second one with
1% of the records changed (half of those modified, a quarter removed, a quarter new),
checked against a slow row-by-row computation, and the OCI artifact form (zstd pack;
unpack with digest and integrity checks).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from berth.scan.vulndb import (
    BuildResult,
    VulnDb,
    artifact_layer,
    build,
    changed_keys,
    unpack_artifact_layer,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
WORDS = ("lib", "core", "http", "xml", "ssl", "json", "image", "net", "crypto", "parse",
         "util", "async", "proto", "data", "log", "auth", "cache", "kit", "tools", "py")
TARGET = 10_000


def names(rnd: random.Random, count: int, sep: str) -> list[str]:
    """``count`` distinct package-looking names."""
    found: set[str] = set()
    while len(found) < count:
        found.add(sep.join(rnd.sample(WORDS, rnd.randint(1, 3))) + str(rnd.randint(0, 99)))
    return sorted(found)


def debian_versions(rnd: random.Random) -> list[str]:
    major, minor = rnd.randint(0, 9), rnd.randint(0, 30)
    return [f"{major}.{minor}.{p}-{r}" for p in range(rnd.randint(2, 8))
            for r in range(1, rnd.randint(2, 6))]


def debian_record(rnd: random.Random, n: int, pool: list[str], modified: str) -> dict:
    name, versions = rnd.choice(pool), debian_versions(rnd)
    affected = []
    for release in ("11", "12"):
        fixed = rnd.random() < 0.7
        events = [{"introduced": "0"}] + ([{"fixed": versions[-1] + f"+deb{release}u1"}]
                                          if fixed else [])
        affected.append({
            "package": {"ecosystem": f"Debian:{release}", "name": name,
                        "purl": f"pkg:deb/debian/{name}?arch=source"},
            "ranges": [{"type": "ECOSYSTEM", "events": events}],
            "versions": versions,
            "ecosystem_specific": {"urgency": rnd.choice(["low", "medium", "high",
                                                          "unimportant", "not yet assigned"])},
        })
    cve = f"CVE-{2015 + n % 11}-{10000 + n}"
    return {"id": f"DEBIAN-{cve}", "modified": modified, "published": "2023-05-01T00:00:00Z",
            "upstream": [cve], "details": f"Issue in {name}. " + "x" * rnd.randint(100, 600),
            "affected": affected,
            "references": [{"type": "ADVISORY",
                            "url": f"https://security-tracker.debian.org/tracker/{cve}"}]}


def pypi_record(rnd: random.Random, n: int, pool: list[str], modified: str) -> dict:
    name, fixed = rnd.choice(pool), rnd.randint(1, 40)
    versions = [f"{m}.{p}" for m in range(0, fixed // 10 + 1) for p in range(10)][:fixed]
    return {"id": f"PYSEC-2024-{n}", "modified": modified, "published": "2024-02-01T00:00:00Z",
            "aliases": [f"CVE-2024-{20000 + n}", f"GHSA-{n:04x}-py00-0000"],
            "summary": f"{name} mishandles input", "details": "y" * rnd.randint(200, 1500),
            "severity": [{"type": "CVSS_V3",
                          "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected": [{
                "package": {"ecosystem": "PyPI", "name": name.replace("-", "_").title()},
                "ranges": [{"type": "GIT", "repo": f"https://github.com/x/{name}",
                            "events": [{"introduced": "0"}, {"fixed": f"{n:040x}"}]},
                           {"type": "ECOSYSTEM",
                            "events": [{"introduced": "0"}, {"fixed": f"{fixed // 10}.{fixed}"}]}],
                "versions": versions}],
            "references": [{"type": "WEB", "url": f"https://github.com/x/{name}/issues/{n}"}]}


def npm_record(rnd: random.Random, n: int, pool: list[str], modified: str) -> dict:
    affected = []
    for name in rnd.sample(pool, rnd.choice([1, 1, 1, 2, 3])):
        major = rnd.randint(0, 12)
        affected.append({
            "package": {"ecosystem": "npm", "name": name},
            "ranges": [{"type": "SEMVER", "events": [
                {"introduced": f"{major}.0.0"}, {"fixed": f"{major}.{rnd.randint(1, 20)}.3"}]}],
            "database_specific": {"source": "https://github.com/advisories"}})
    return {"id": f"GHSA-{n:04x}-npm0-{n % 9999:04d}", "modified": modified,
            "published": "2022-01-01T00:00:00Z", "aliases": [f"CVE-2022-{30000 + n}"],
            "summary": "Prototype pollution", "details": "z" * rnd.randint(300, 2000),
            "database_specific": {"severity": rnd.choice(["LOW", "MODERATE", "HIGH"])},
            "affected": affected,
            "references": [{"type": "ADVISORY", "url": f"https://github.com/advisories/{n}"}]}


def records(count: int, seed: int) -> tuple[list[dict], dict[str, list[str]]]:
    """``count`` records (by kind: 50% Debian, 25% PyPI, 25% npm) and the name pools."""
    rnd = random.Random(seed)
    pools = {"debian": names(rnd, 4000, "-"), "pypi": names(rnd, 6000, "-"),
             "npm": names(rnd, 8000, "-")}
    made = []
    for n in range(count):
        modified = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00Z"
        kind = "debian" if n % 4 < 2 else "pypi" if n % 4 == 2 else "npm"
        make = {"debian": debian_record, "pypi": pypi_record, "npm": npm_record}[kind]
        made.append(make(rnd, n, pools[kind], modified))
    return made, pools


def changed(base: list[dict], seed: int) -> list[dict]:
    """A copy of ``base`` with 1% of the records changed: modified, removed or new."""
    rnd = random.Random(seed + 1)
    out = list(base)
    picks = rnd.sample(range(len(base)), max(4, len(base) // 100))
    removed = set(picks[len(picks) // 2: len(picks) * 3 // 4])
    for i in picks[:len(picks) // 2]:
        record = json.loads(json.dumps(base[i]))
        record["modified"] = "2026-01-01T00:00:00Z"
        record["affected"][0]["ranges"][-1]["events"][-1] = {"fixed": "99.0"}
        out[i] = record
    fresh, _ = records(len(picks) - len(picks) * 3 // 4, seed + 2)
    for k, record in enumerate(fresh):
        record["id"] = f"NEW-{k}"
    return [r for i, r in enumerate(out) if i not in removed] + fresh


def write_zip(path: Path, items: list[dict]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for record in items:
            archive.writestr(f"{record['id']}.json", json.dumps(record, indent=2))


def scan_names(pools: dict[str, list[str]], rnd: random.Random) -> dict[str, list[str]]:
    return {"Debian:12": rnd.sample(pools["debian"], 100), "PyPI": rnd.sample(pools["pypi"], 30),
            "npm": rnd.sample(pools["npm"], 20)}


def timed_lookup(db: VulnDb, asks: dict[str, list[str]]) -> tuple[float, int]:
    start = time.perf_counter()
    hits = sum(len(v) for eco, names_ in asks.items() for v in db.lookup(eco, names_).values())
    return time.perf_counter() - start, hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="builds to time (median)")
    parser.add_argument("--workers", type=int, default=None,
                        help="build(workers=...); default: build()'s (none below 4 CPUs)")
    parser.add_argument("--keep", type=Path, help="work in DIR and leave the files there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        pools = generate(work, args.records, args.seed)
        rate, first = time_builds(work, args.repeat, args.workers)
        second = build([work / "b.zip"], work / "out", now=NOW, workers=args.workers)
        with VulnDb(first.path) as old, VulnDb(second.path) as new:
            time_reads(old, new, pools, args.seed)
        time_artifact(work, first.path, first.digest)
    return 0 if rate >= TARGET else 1


def generate(work: Path, count: int, seed: int) -> dict[str, list[str]]:
    start = time.perf_counter()
    base, pools = records(count, seed)
    write_zip(work / "a.zip", base)
    write_zip(work / "b.zip", changed(base, seed))
    print(f"generated {count:,} records, zip {(work / 'a.zip').stat().st_size / 2**20:.1f} MiB"
          f" in {time.perf_counter() - start:.1f} s")
    return pools


def time_builds(work: Path, repeat: int, workers: int | None) -> tuple[float, BuildResult]:
    """Median records/s over ``repeat`` builds; wall and CPU (this process + workers)."""
    rates = []
    for n in range(repeat):
        shutil.rmtree(work / "out", ignore_errors=True)
        cpu, start = _cpu(), time.perf_counter()
        result = build([work / "a.zip"], work / "out", now=NOW, workers=workers)
        seconds = time.perf_counter() - start
        rates.append(result.records / seconds)
        print(f"build {n + 1}: {result.records:,} records, {result.affected:,} affected rows"
              f" in {seconds:.2f} s = {rates[-1]:,.0f} records/s; CPU {_cpu() - cpu:.2f} s;"
              f" load average {os.getloadavg()[0]:.1f}")
    rate = statistics.median(rates)
    print(f"build median: {rate:,.0f} records/s (target {TARGET:,}:"
          f" {'ok' if rate >= TARGET else 'MISSED'}); file"
          f" {result.path.stat().st_size / 2**20:.1f} MiB")
    return rate, result


def time_reads(old: VulnDb, new: VulnDb, pools: dict[str, list[str]], seed: int) -> None:
    asks = scan_names(pools, random.Random(seed))
    cold, hits = timed_lookup(new, asks)
    warm, _ = timed_lookup(new, asks)
    print(f"lookup 150 names ({hits} affected entries): first {cold * 1000:.1f} ms,"
          f" cached {warm * 1000:.2f} ms")
    start = time.perf_counter()
    keys = changed_keys(old, new)
    print(f"changed_keys after 1% changed records: {len(keys):,} keys"
          f" in {(time.perf_counter() - start) * 1000:.0f} ms")
    start = time.perf_counter()
    naive = naive_changed_keys(old, new)
    verdict = "equal" if naive == keys else "DIFFERENT"
    print(f"  the same from every row's (id, modified, ranges, versions) in Python:"
          f" {(time.perf_counter() - start) * 1000:.0f} ms, {verdict}")
    start = time.perf_counter()
    everything = changed_keys(None, new)
    print(f"changed_keys from nothing: {len(everything):,} keys"
          f" in {(time.perf_counter() - start) * 1000:.0f} ms")


def naive_changed_keys(old: VulnDb, new: VulnDb) -> set[tuple[str, str]]:
    """The definition of changed_keys, computed the slow way, to check it."""
    def rows(db: VulnDb) -> dict[tuple[str, str], set[tuple[str, ...]]]:
        found: dict[tuple[str, str], set[tuple[str, ...]]] = {}
        with sqlite3.connect(f"file:{db.path}?mode=ro", uri=True) as conn:
            for eco, name, *rest in conn.execute(
                    "SELECT f.ecosystem, f.name, a.id, a.modified, f.ranges, f.versions"
                    " FROM affected f JOIN advisory a ON a.rec = f.rec"):
                found.setdefault((eco, name), set()).add(tuple(rest))
        return found
    before, after = rows(old), rows(new)
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_artifact(work: Path, path: Path, digest: str) -> None:
    start = time.perf_counter()
    _, chunks = artifact_layer(path)
    layer = work / "layer.zst"
    with layer.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    packed = time.perf_counter() - start
    start = time.perf_counter()
    with layer.open("rb") as stream:
        unpack_artifact_layer(stream, work / "unpacked", digest)
    print(f"artifact: {path.stat().st_size / 2**20:.1f} MiB -> {layer.stat().st_size / 2**20:.1f}"
          f" MiB zstd in {packed:.2f} s; unpacked and verified in"
          f" {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
