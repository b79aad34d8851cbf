"""The real tools as oracles: ``dpkg`` (present on the dev machines and in CI) and
``rpm`` (optional: tests that need it skip when it is absent). Pairs go through one
shell or one rpm process per batch, so hundreds of comparisons cost about a second."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

import pytest

HAVE_DPKG = shutil.which("dpkg") is not None
HAVE_RPM = shutil.which("rpm") is not None
needs_dpkg = pytest.mark.skipif(not HAVE_DPKG, reason="dpkg is not installed")
needs_rpm = pytest.mark.skipif(not HAVE_RPM, reason="rpm is not installed")

_DPKG_COMPARE = (
    'while IFS= read -r a && IFS= read -r b; do '
    'if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo -1; '
    'elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0; '
    'else echo 1; fi; done'
)
_DPKG_VALIDATE = (
    'while IFS= read -r v; do '
    'if dpkg --validate-version "$v" >/dev/null 2>&1; then echo 1; else echo 0; fi; done'
)


def _shell(script: str, lines: Sequence[str]) -> list[str]:
    done = subprocess.run(["sh", "-c", script], input="".join(f"{x}\n" for x in lines),
                          capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.split()


def dpkg_compare(pairs: Sequence[tuple[str, str]]) -> list[int]:
    """``dpkg --compare-versions`` of each pair as -1, 0 or 1."""
    out = _shell(_DPKG_COMPARE, [v for pair in pairs for v in pair])
    assert len(out) == len(pairs)
    return [int(x) for x in out]


def dpkg_valid(versions: Sequence[str]) -> list[bool]:
    """Whether ``dpkg --validate-version`` accepts each version."""
    out = _shell(_DPKG_VALIDATE, versions)
    assert len(out) == len(versions)
    return [x == "1" for x in out]


def rpm_vercmp(pairs: Sequence[tuple[str, str]]) -> list[int]:
    """``rpm.vercmp`` (rpm's Lua binding: EVR order) of each pair, in one rpm process.

    Versions must not hold ``"``, ``\\``, ``%``, ``{`` or ``}`` (Lua and macro syntax)."""
    for a, b in pairs:
        assert not set(a + b) & set('"\\%{}'), (a, b)
    table = ",".join(f'{{"{a}","{b}"}}' for a, b in pairs)
    lua = f'for _,p in ipairs({{{table}}}) do print(rpm.vercmp(p[1],p[2]) .. ",") end'
    done = subprocess.run(["rpm", "--eval", f"%{{lua:{lua}}}"], capture_output=True,
                          text=True, check=True, timeout=120)
    out = done.stdout.strip().rstrip(",").split(",")
    assert len(out) == len(pairs), done.stderr
    return [int(x) for x in out]
