"""Build a new database file from OSV exports (osv.dev ``all.zip`` files, directories).

``build(sources, dest_dir, now=...)`` checks every source first (a missing path, or one
that is neither a zip file nor a directory, raises SourceError before anything is
written), then streams the records, slice by slice, into a temporary SQLite file in
``dest_dir`` and publishes it under its content name ``vulndb-<sha256>.sqlite``.

Parsing is most of the work; large imports can parse in worker processes (``spawn``:
safe in a threaded server) while this process writes SQLite. Slices come back in
order, so the file is the same whatever the number of workers. Shipping parsed
records between processes costs about a quarter more CPU in all, so on fewer than
four CPUs the default is to parse here: on a busy 2-CPU machine that is faster
(measured: 100k records 11-13k/s here against 7-18k/s with two workers, depending
on what else runs).

A bad record never stops the import: it is counted under its reason, per source and in
total (berth.scan.vulndb.osv lists the reasons; ``unreadable`` and ``too_large`` are
documents that could not be read). The same id in several places (osv.dev puts a record
in every ecosystem's zip it names) is stored once: the newest ``modified`` wins, the
first seen on a tie; each extra copy counts as ``duplicate``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from berth.durable import publish, sha256_file
from berth.scan.vulndb.load import Added, Loader
from berth.scan.vulndb.osv import utc_text
from berth.scan.vulndb.schema import SourceStats, file_name
from berth.scan.vulndb.sources import (
    Parsed,
    Reader,
    Slice,
    init_worker,
    open_sources,
    parse_in_worker,
)

Progress = Callable[[int, int | None], None]

DUPLICATE = "duplicate"
SLICE_SIZE = 1000          # documents per slice; progress is reported per slice
PARALLEL_FROM = 20_000     # documents; below this, starting workers costs more than it saves
_IN_FLIGHT = 3             # slices queued per worker: bounds memory when SQLite lags


@dataclass(frozen=True, slots=True)
class BuildResult:
    """A published database file and what went into it."""

    path: Path
    digest: str                 # sha256:<hex> of the file; also its name
    records: int
    affected: int
    newest_modified: str | None
    skipped: dict[str, int]
    sources: tuple[SourceStats, ...]


def build(sources: Sequence[Path], dest_dir: Path, *, progress: Progress | None = None,
          now: datetime, workers: int | None = None) -> BuildResult:
    """Import ``sources`` into a new database file in ``dest_dir``; returns it.

    ``now`` (aware) is recorded as the build time. ``progress(done, total)`` counts
    documents, called after each slice. ``workers``: parsing processes (0: parse here;
    default: ``default_workers()``). The file is written under a temporary name
    (removed on any error) and renamed into place after an fsync, so ``dest_dir`` only
    ever holds complete databases; concurrent builds into one directory are safe.
    """
    if now.tzinfo is None:
        raise ValueError("build() needs an aware 'now'")
    reader = open_sources([Path(path) for path in sources])
    if workers is None:
        workers = default_workers()
    tmp = dest_dir / f".vulndb-{os.getpid()}-{os.urandom(6).hex()}.building"
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        stats, totals, summary = _load(tmp, reader, workers, progress, utc_text(now))
        digest = sha256_file(tmp)
        final = dest_dir / file_name(digest)
        publish(tmp, final)
    finally:
        reader.close()
        tmp.unlink(missing_ok=True)
    return BuildResult(final, digest, summary.records, summary.affected,
                       summary.newest_modified, dict(totals), tuple(stats))


def default_workers() -> int:
    """Parsing processes worth starting: none below four CPUs, else half of them, <= 4."""
    cpus = os.cpu_count() or 1
    return 0 if cpus < 4 else min(cpus // 2, 4)


def _load(tmp: Path, reader: Reader, workers: int, progress: Progress | None,
          built_at: str) -> tuple[list[SourceStats], Counter[str], Loader.Summary]:
    sources = reader.sources
    total = sum(source.documents for source in sources)
    skipped: list[Counter[str]] = [Counter() for _ in sources]
    loaded = [0] * len(sources)
    done = 0
    with Loader(tmp) as loader:
        for part, parsed in _parsed(reader, workers):
            loaded[part.source] += _add(loader, parsed, skipped[part.source])
            done += len(part.documents)
            if progress:
                progress(done, total)
        stats = [SourceStats(source.name, source.documents, loaded[i], dict(skipped[i]))
                 for i, source in enumerate(sources)]
        totals = sum(skipped, Counter())
        summary = loader.finish(built_at, [s.to_json() for s in stats], dict(totals))
    return stats, totals, summary


def _add(loader: Loader, parsed: list[Parsed], skipped: Counter[str]) -> int:
    """Store a slice's records; the number stored, the others' reasons counted."""
    stored = 0
    for item in parsed:
        if isinstance(item, str):
            skipped[item] += 1
            continue
        skipped.update(item.dropped)
        added = loader.add(item)
        if added is not Added.OLDER:
            stored += 1
        if added is not Added.NEW:
            skipped[DUPLICATE] += 1
    return stored


def _parsed(reader: Reader, workers: int) -> Iterator[tuple[Slice, list[Parsed]]]:
    """Every slice of every source, parsed, in order: here, or by worker processes."""
    todo = reader.slices(SLICE_SIZE)
    if workers < 1 or sum(source.documents for source in reader.sources) < PARALLEL_FROM:
        yield from ((part, reader.parse(part)) for part in todo)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=init_worker,
                             initargs=(reader.sources,)) as pool:
        pending: deque[tuple[Slice, Future[list[Parsed]]]] = deque()
        while True:
            while len(pending) < workers * _IN_FLIGHT and (part := next(todo, None)):
                pending.append((part, pool.submit(parse_in_worker, part)))
            if not pending:
                return
            part, future = pending.popleft()
            yield part, future.result()
