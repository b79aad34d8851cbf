"""Benchmark berth against the reference registry (CNCF Distribution) on this machine.

    .venv/bin/python bench/run.py [--runs N | --quick] [--workers N] [--out bench/results/NAME.json]

Both registries run side by side on free 127.0.0.1 ports, each storing blobs on the
filesystem in its own fresh temporary directory. curl, skopeo and wrk drive them;
see bench/README.md for what each metric measures and how.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin

import berth
from berth.testing.layouts import OCI_MANIFEST, Layout, big_image, many_layer_image
from berth.testing.server import BerthServer, free_port

HEAD_SCRIPT = Path(__file__).resolve().parent / "head.lua"
BERTH_REPO = Path(berth.__file__).resolve().parent.parent  # the berth being measured
MIB = 1024 * 1024
BIG_SIZE = 512 * MIB
LAYERS = 20
LAYER_SIZE = 8 * MIB
WRK_ARGS = ["-t2", "-c32", "-d10s", "--latency"]
RSS_INTERVAL = 0.05
PSS_EVERY = 10  # samples: PSS every 10th RSS sample (see group_memory_kib)
# wrk 4.1 waits for a HEAD response's Content-Length bytes of body (wg/wrk#198), so the
# blob HEAD load uses the one blob whose Content-Length is 0.
EMPTY_DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
TOOLS = {"curl": "curl", "skopeo": "skopeo", "wrk": "wrk", "docker-registry": "docker-registry"}

REFERENCE_CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""

Client = Literal["curl", "wrk", "skopeo-src", "skopeo-dest"]


class BenchError(RuntimeError):
    """A tool failed or a registry answered something unexpected."""


@dataclass(frozen=True)
class Target:
    """A running registry: its name in the table, address, and process group."""

    name: str
    host: str
    pgid: int
    password: str | None = None  # berth's registry password (GetAuthorizationToken)

    @property
    def url(self) -> str:
        return f"http://{self.host}"


def auth_args(target: Target, client: Client) -> list[str]:
    """Extra arguments that authenticate ``client`` to ``target``: berth asks for ECR's
    Basic ``AWS:<token>``; the reference registry runs without authentication."""
    if target.password is None:
        return []
    basic = f"AWS:{target.password}"
    if client == "curl":
        return ["-u", basic]
    if client == "wrk":
        return ["-H", "Authorization: Basic " + base64.b64encode(basic.encode()).decode()]
    return ["--src-creds" if client == "skopeo-src" else "--dest-creds", basic]


# running things


def run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{shlex.join(cmd)} exited with {done.returncode}: "
                         f"{done.stderr.strip()[-2000:]}")
    return done.stdout


def timed(cmd: list[str]) -> tuple[float, str]:
    """Flush dirty pages (so earlier write-back does not land in this run), then run
    ``cmd`` and return its wall time and output."""
    os.sync()
    start = time.perf_counter()
    out = run(cmd)
    return time.perf_counter() - start, out


def stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, 15)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait(timeout=5)


# the registries


@contextlib.contextmanager
def berth_registry(root: Path, workers: int) -> Iterator[Target]:
    server = BerthServer(root / "data", env={"BERTH_LOG_LEVEL": "warning"}, workers=workers)
    server.start()
    try:
        assert server.process is not None
        server.open_for_tests()  # pushes create repositories, as on the reference
        yield Target("berth", server.host, server.process.pid, server.password())
    finally:
        server.stop()


@contextlib.contextmanager
def reference_registry(root: Path) -> Iterator[Target]:
    port = free_port()
    config = root / "config.yml"
    config.write_text(REFERENCE_CONFIG.format(root=root / "data", port=port))
    with open(root / "registry.log", "wb") as log:
        process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        target = Target("reference", f"127.0.0.1:{port}", process.pid)
        wait_ready(target, process, root / "registry.log")
        yield target
    finally:
        stop_group(process)


def wait_ready(target: Target, process: subprocess.Popen[bytes], log: Path,
               timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{target.name} exited with {process.returncode}; see {log}")
        with contextlib.suppress(OSError), urllib.request.urlopen(
                f"{target.url}/v2/", timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{target.name} did not answer on {target.url} within {timeout}s")


# memory


@dataclass
class Peak:
    kib: int = 0

    @property
    def mib(self) -> float:
        return self.kib / 1024


def group_memory_kib(pgid: int, with_pss: bool = True) -> tuple[int, int]:
    """Summed VmRSS and summed PSS (0 unless ``with_pss``) of the live processes in
    process group ``pgid``.

    RSS counts pages the forked workers share with their parent once per process; PSS
    divides each shared page among its sharers, so its sum is the memory really used.
    Reading PSS walks every mapping under the process's memory lock, which slows a
    process taking page faults, so samplers read it less often than RSS.
    """
    rss = pss = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(entry.path, "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                rss += _kib("VmRSS", Path(entry.path, "status").read_text())
                if with_pss:
                    pss += _kib("Pss", Path(entry.path, "smaps_rollup").read_text())
    return rss, pss


def _kib(field: str, text: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0  # kernel threads and zombies have none


@contextlib.contextmanager
def peak_memory(pgid: int) -> Iterator[tuple[Peak, Peak]]:
    """The highest summed RSS and PSS of the group, sampled every RSS_INTERVAL."""
    rss, pss = Peak(), Peak()
    done = threading.Event()

    def sample() -> None:
        count = 0
        while True:
            now_rss, now_pss = group_memory_kib(pgid, with_pss=count % PSS_EVERY == 0)
            rss.kib, pss.kib = max(rss.kib, now_rss), max(pss.kib, now_pss)
            count += 1
            if done.wait(RSS_INTERVAL):
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield rss, pss
    finally:
        done.set()
        thread.join()


# inputs


@dataclass(frozen=True)
class Blob:
    path: Path
    digest: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Inputs:
    """Fresh content for every run, so no registry ever has a blob already."""

    blobs: list[Blob]
    big_images: list[Path]
    many_images: list[Path]


def make_inputs(root: Path, runs: int) -> Inputs:
    blob_layout = Layout(root / "blobs")
    blobs = []
    for i in range(runs):
        descriptor = blob_layout.add_random_layer(BIG_SIZE, seed=100 + i)
        hex_digest = descriptor.digest.split(":", 1)[1]
        blobs.append(Blob(blob_layout.root / "blobs" / "sha256" / hex_digest, descriptor.digest))
    big, many = [], []
    for i in range(runs):
        big.append(root / f"big-{i}")
        big_image(big[-1], BIG_SIZE, seed=200 + i)
        many.append(root / f"many-{i}")
        many_layer_image(many[-1], LAYERS, seed=300 + i, layer_size=LAYER_SIZE)
    return Inputs(blobs, big, many)


def layout_bytes(layout: Path) -> int:
    return sum(p.stat().st_size for p in (layout / "blobs" / "sha256").iterdir())


def fresh_repo(kind: str) -> str:
    return f"bench/{kind}-{uuid.uuid4().hex[:12]}"


# curl


def curl(target: Target, *args: str) -> list[str]:
    return ["curl", "-sS", *auth_args(target, "curl"), *args]


def start_upload(target: Target, repo: str) -> str:
    """POST an upload session; the absolute URL of its Location."""
    headers = run(curl(target, "-X", "POST", "-H", "Content-Length: 0", "-o", "/dev/null",
                       "-D", "-", f"{target.url}/v2/{repo}/blobs/uploads/"))
    status = headers.split(None, 2)[1] if headers else ""
    location = re.search(r"^location:\s*(\S+)", headers, re.IGNORECASE | re.MULTILINE)
    if status != "202" or location is None:
        raise BenchError(f"{target.name}: starting an upload answered {headers!r}")
    return str(urljoin(target.url + "/", location.group(1)))


def with_digest(upload_url: str, digest: str) -> str:
    return f"{upload_url}{'&' if '?' in upload_url else '?'}digest={digest}"


def expect_status(target: Target, what: str, out: str, expected: str) -> None:
    if out.split()[:1] != [expected]:
        raise BenchError(f"{target.name}: {what} answered {out!r}, not {expected}")


def put_blob(target: Target, repo: str, digest: str, body: list[str]) -> float:
    """Seconds for one POST + monolithic PUT of a blob whose bytes curl's ``body``
    arguments send."""
    url = with_digest(start_upload(target, repo), digest)
    seconds, out = timed(curl(target, *body, "-X", "PUT", "-o", "/dev/null",
                              "-w", "%{http_code}", url))
    expect_status(target, "blob PUT", out, "201")
    return seconds


def get_blob(target: Target, repo: str, blob: Blob) -> float:
    seconds, out = timed(curl(target, "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                              f"{target.url}/v2/{repo}/blobs/{blob.digest}"))
    expect_status(target, "blob GET", out, "200")
    if out.split()[1] != str(blob.size):
        raise BenchError(f"{target.name}: blob GET sent {out.split()[1]} bytes, not {blob.size}")
    return seconds


# skopeo


def skopeo_copy(source: str, dest: str, options: list[str]) -> float:
    seconds, _ = timed(["skopeo", "copy", "--quiet", *options, source, dest])
    return seconds


def push_image(target: Target, layout: Path, kind: str) -> tuple[float, str]:
    """Seconds to push the layout's image to a fresh repository, and the repo.

    ``--preserve-digests`` sends the layers as they are: without it skopeo gzips the
    uncompressed layers on the way, and the figure measures skopeo's gzip (competing
    with the registry for the two cores) more than the registry.
    """
    repo = fresh_repo(kind)
    warm(layout)
    seconds = skopeo_copy(f"oci:{layout}:latest", f"docker://{target.host}/{repo}:latest",
                          ["--dest-tls-verify=false", "--preserve-digests",
                           *auth_args(target, "skopeo-dest")])
    return seconds, repo


def pull_image(target: Target, repo: str, scratch: Path) -> float:
    dest = scratch / f"pull-{uuid.uuid4().hex[:12]}"
    try:
        return skopeo_copy(f"docker://{target.host}/{repo}:latest", f"oci:{dest}:latest",
                           ["--src-tls-verify=false", *auth_args(target, "skopeo-src")])
    finally:
        shutil.rmtree(dest, ignore_errors=True)


# wrk


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p99_ms: float
    errors: int


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(out: str) -> Load:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    if rps is None or p99 is None or float(rps.group(1)) == 0:
        raise BenchError(f"wrk measured nothing:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    return Load(float(rps.group(1)), float(p99.group(1)) * _UNIT_MS[p99.group(2)], errors)


def load(target: Target, url: str, extra: list[str]) -> Load:
    return parse_wrk(run(["wrk", *WRK_ARGS, *auth_args(target, "wrk"), *extra, url]))


@dataclass(frozen=True)
class LoadUrls:
    """What wrk loads on one registry; wrk's extra arguments for each."""

    manifest: str
    blob: str

    def manifest_args(self) -> list[str]:
        return ["-H", f"Accept: {OCI_MANIFEST}"]

    def blob_args(self) -> list[str]:
        return ["-s", str(HEAD_SCRIPT)]


def prepare_load(target: Target, repo: str) -> LoadUrls:
    """Push the empty blob into ``repo``; check both URLs answer 200 before loading them."""
    put_blob(target, repo, EMPTY_DIGEST, ["-H", "Content-Length: 0"])
    urls = LoadUrls(f"{target.url}/v2/{repo}/manifests/latest",
                    f"{target.url}/v2/{repo}/blobs/{EMPTY_DIGEST}")
    expect_status(target, "manifest GET", run(curl(
        target, "-o", "/dev/null", "-w", "%{http_code}", *urls.manifest_args(),
        urls.manifest)), "200")
    expect_status(target, "blob HEAD", run(curl(
        target, "-I", "-o", "/dev/null", "-w", "%{http_code}", urls.blob)), "200")
    return urls


# the benchmark


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    combine: Callable[[list[float]], float] = statistics.median


METRICS = [
    Metric("blob_put", "blob PUT 512 MiB, curl", "MiB/s"),
    Metric("blob_get", "blob GET 512 MiB, curl", "MiB/s"),
    Metric("push_big", "skopeo push 1 x 512 MiB layer", "MiB/s"),
    Metric("pull_big", "skopeo pull 1 x 512 MiB layer", "MiB/s"),
    Metric("push_many", f"skopeo push {LAYERS} x {LAYER_SIZE // MIB} MiB layers", "MiB/s"),
    Metric("pull_many", f"skopeo pull {LAYERS} x {LAYER_SIZE // MIB} MiB layers", "MiB/s"),
    Metric("manifest_rps", "manifest GET, 32 connections", "req/s"),
    Metric("manifest_p99", "manifest GET p99 latency", "ms"),
    Metric("head_rps", "blob HEAD (0 bytes), 32 connections", "req/s"),
    Metric("head_p99", "blob HEAD p99 latency", "ms"),
    Metric("rss_idle", "RSS at rest, after start", "MiB", max),
    Metric("rss_put", "peak RSS during blob PUT", "MiB", max),
    Metric("rss_push", "peak RSS during 512 MiB push", "MiB", max),
    Metric("pss_idle", "PSS at rest (shared pages split)", "MiB", max),
    Metric("pss_put", "peak PSS during blob PUT", "MiB", max),
    Metric("pss_push", "peak PSS during 512 MiB push", "MiB", max),
]


@dataclass
class Samples:
    """Every measured value: metric key -> registry name -> one value per run."""

    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    wrk_errors: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, key: str, target: Target, value: float) -> None:
        self.values.setdefault(key, {}).setdefault(target.name, []).append(value)

    def add_load(self, key: str, target: Target, result: Load) -> None:
        self.add(f"{key}_rps", target, result.requests_per_second)
        self.add(f"{key}_p99", target, result.p99_ms)
        errors = self.wrk_errors.setdefault(key, {})
        errors[target.name] = errors.get(target.name, 0) + result.errors


def mib_per_s(size: int, seconds: float) -> float:
    return size / MIB / seconds


def warm(path: Path) -> None:
    """Read an input (a file, or every file of a layout) into the page cache, so the
    registry measured first does not also pay for reading the input from disk."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for file in files:
        with open(file, "rb") as f:
            while f.read(8 * MIB):
                pass


def in_turn(targets: list[Target], run: int) -> list[Target]:
    """The registries in the order they go in ``run``: who goes first alternates, so
    neither always meets the machine as the other left it (page cache, fresh memory)."""
    return targets if run % 2 == 0 else targets[::-1]


def measure_blobs(targets: list[Target], inputs: Inputs, samples: Samples) -> None:
    last_repo: dict[str, str] = {}
    for i, blob in enumerate(inputs.blobs):
        for target in in_turn(targets, i):
            last_repo[target.name] = fresh_repo("put")
            warm(blob.path)
            with peak_memory(target.pgid) as (rss, pss):
                seconds = put_blob(target, last_repo[target.name], blob.digest,
                                   ["-T", str(blob.path)])
            samples.add("blob_put", target, mib_per_s(blob.size, seconds))
            samples.add("rss_put", target, rss.mib)
            samples.add("pss_put", target, pss.mib)
    blob = inputs.blobs[-1]
    for i, _ in enumerate(inputs.blobs):
        for target in in_turn(targets, i):
            seconds = get_blob(target, last_repo[target.name], blob)
            samples.add("blob_get", target, mib_per_s(blob.size, seconds))


def measure_images(targets: list[Target], layouts: list[Path], kind: str, scratch: Path,
                   samples: Samples) -> dict[str, str]:
    """Push and pull each layout on each registry; the last repo pushed to, per registry."""
    repos: dict[str, str] = {}
    for i, layout in enumerate(layouts):
        size = layout_bytes(layout)
        for target in in_turn(targets, i):
            with peak_memory(target.pgid) as (rss, pss):
                seconds, repos[target.name] = push_image(target, layout, kind)
            samples.add(f"push_{kind}", target, mib_per_s(size, seconds))
            if kind == "big":
                samples.add("rss_push", target, rss.mib)
                samples.add("pss_push", target, pss.mib)
            seconds = pull_image(target, repos[target.name], scratch)
            samples.add(f"pull_{kind}", target, mib_per_s(size, seconds))
    return repos


def measure_load(targets: list[Target], repos: dict[str, str], runs: int,
                 samples: Samples) -> None:
    urls = {target.name: prepare_load(target, repos[target.name]) for target in targets}
    for i in range(runs):
        for target in in_turn(targets, i):
            mine = urls[target.name]
            samples.add_load("manifest", target,
                             load(target, mine.manifest, mine.manifest_args()))
            samples.add_load("head", target, load(target, mine.blob, mine.blob_args()))


def benchmark(work: Path, runs: int, workers: int) -> Samples:
    progress(f"generating inputs for {runs} run(s) in {work}")
    inputs = make_inputs(work / "inputs", runs)
    samples = Samples()
    with contextlib.ExitStack() as stack:
        for name in ("berth", "reference", "pulls"):
            (work / name).mkdir()
        targets = [stack.enter_context(berth_registry(work / "berth", workers)),
                   stack.enter_context(reference_registry(work / "reference"))]
        for target in targets:
            rss_kib, pss_kib = group_memory_kib(target.pgid)
            samples.add("rss_idle", target, rss_kib / 1024)
            samples.add("pss_idle", target, pss_kib / 1024)
        progress("blob PUT and GET")
        measure_blobs(targets, inputs, samples)
        progress("skopeo push and pull, one big layer")
        measure_images(targets, inputs.big_images, "big", work / "pulls", samples)
        progress("skopeo push and pull, many layers")
        repos = measure_images(targets, inputs.many_images, "many", work / "pulls", samples)
        progress("wrk: manifest GET and blob HEAD")
        measure_load(targets, repos, runs, samples)
    return samples


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


# reporting


def summary(samples: Samples) -> list[dict[str, Any]]:
    rows = []
    for metric in METRICS:
        runs = samples.values[metric.key]
        berth, reference = metric.combine(runs["berth"]), metric.combine(runs["reference"])
        rows.append({"key": metric.key, "metric": metric.label, "unit": metric.unit,
                     "berth": berth, "reference": reference,
                     "ratio": berth / reference if reference else None,
                     "paired": paired_ratio(metric, runs), "runs": runs})
    return rows


def paired_ratio(metric: Metric, runs: dict[str, list[float]]) -> float | None:
    """The median of each run's ratio: berth against the reference measured right beside
    it, in the same state of the machine. On this VM that state swings (memory the host
    has or has not backed yet), and when it moves both registries' medians, the ratio of
    the medians can pair a lucky run with an unlucky one. None for peaks (RSS)."""
    if metric.combine is not statistics.median:
        return None
    pairs = [b / r for b, r in zip(runs["berth"], runs["reference"], strict=True) if r]
    return statistics.median(pairs) if pairs else None


def table(rows: list[dict[str, Any]]) -> str:
    lines = [("metric", "unit", "berth", "reference", "berth/ref", "paired")]
    for row in rows:
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        paired = "-" if row["paired"] is None else f"{row['paired']:.2f}"
        lines.append((row["metric"], row["unit"], f"{row['berth']:,.1f}",
                      f"{row['reference']:,.1f}", ratio, paired))
    widths = [max(len(line[i]) for line in lines) for i in range(6)]
    return "\n".join(
        "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                  for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip()
        for line in lines)


def machine() -> dict[str, Any]:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    commit = run(["git", "-C", str(BERTH_REPO), "rev-parse", "--short=12", "HEAD"]).strip()
    dirty = run(["git", "-C", str(BERTH_REPO), "status", "--porcelain", "--untracked-files=no",
                 "--", "berth"]).strip()
    return {"nproc": os.cpu_count(), "load_average": os.getloadavg()[0],
            "mem_total_mib": int(meminfo["MemTotal"].split()[0]) // 1024,
            "mem_available_mib": int(meminfo["MemAvailable"].split()[0]) // 1024,
            "berth_commit": commit, "berth_dirty": bool(dirty),
            "reference": run(["docker-registry", "--version"]).strip()}


def header(info: dict[str, Any], runs: int, workers: int) -> str:
    dirty = " (with uncommitted changes in berth/)" if info["berth_dirty"] else ""
    return (f"berth {info['berth_commit']}{dirty} vs {info['reference']}\n"
            f"{info['nproc']} CPUs, {info['mem_available_mib']:,} of "
            f"{info['mem_total_mib']:,} MiB memory free, load {info['load_average']:.2f}; "
            f"berth workers: {workers}; median of {runs} run(s), peak RSS the max")


def wrk_warnings(errors: dict[str, dict[str, int]]) -> list[str]:
    return [f"WARNING: wrk {key} on {name}: {count} non-2xx responses or socket errors"
            for key, per_target in errors.items() for name, count in per_target.items()
            if count]


def missing_tools() -> list[str]:
    return [f"{tool} (apt-get install {package})" for tool, package in TOOLS.items()
            if shutil.which(tool) is None]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5,
                        help="runs of each measurement; the table gives the median [5]")
    parser.add_argument("--quick", action="store_true", help="one run of each (--runs 1)")
    parser.add_argument("--workers", type=int, default=1,
                        help="berth's server processes [1, berth's own default]")
    parser.add_argument("--out", type=Path, help="also write every number to this JSON file")
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        print("bench: missing tools: " + ", ".join(missing), file=sys.stderr)
        return 2
    runs = 1 if args.quick else args.runs
    if runs < 1:
        parser.error("--runs must be at least 1")
    # a plain kill still stops both registries and removes the temporary directory
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info = machine()
    print(header(info, runs, args.workers), flush=True)
    with tempfile.TemporaryDirectory(prefix="berth-bench-") as work:
        samples = benchmark(Path(work), runs, args.workers)
    rows = summary(samples)
    print(table(rows))
    for warning in wrk_warnings(samples.wrk_errors):
        print(warning)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "machine": info, "settings": {"runs": runs, "workers": args.workers,
                                          "wrk": WRK_ARGS},
            "metrics": rows, "wrk_errors": samples.wrk_errors}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
