"""RPM versions (Red Hat, Rocky Linux, AlmaLinux, SUSE, ...): ``[epoch:]version[-release]``
ordered as rpm orders EVRs — epoch as a number (default 0), then version, then release,
each with rpmvercmp.

rpmvercmp splits a string into segments: runs of ASCII digits, runs of ASCII letters,
and the markers ``~`` and ``^``; any other character only separates. At the first place
two strings differ: ``~`` sorts before everything, even the end of the string (pre-
releases: ``1.0~rc1 < 1.0``); the end sorts next; then ``^`` (after the base, before any
further segment: ``1.0 < 1.0^git1 < 1.0.1``); then letters (compared as strings); then
numbers (compared as numbers), so ``1.0a < 1.0.1`` and ``a < 1``.

rpm's dependency checks compare releases only when both sides have one; that is not a
total order, so here, as in ``rpm.vercmp``, a version without a release sorts before the
same version with any release. Advisories and rpmdb always carry releases.
"""

from __future__ import annotations

import re

from berth.scan.versions.base import UnparsableVersion

_SEGMENTS = re.compile(r"[0-9]+|[A-Za-z]+|~|\^")
_PRINTABLE = re.compile(r"[\x21-\x7e]+")
_EPOCH = re.compile(r"([0-9]*):")
_ALNUM = re.compile(r"[A-Za-z0-9]")

# Segment ranks: what sorts first at the first difference.
_TILDE, _END, _CARET, _ALPHA, _NUMERIC = range(5)

Segment = tuple[int, int | str]
RpmKey = tuple[int, tuple[Segment, ...], tuple[Segment, ...]]  # epoch, version, release


def segments(text: str) -> tuple[Segment, ...]:
    """rpmvercmp sort key of one version or release string."""
    out: list[Segment] = []
    for seg in _SEGMENTS.findall(text):
        if seg == "~":
            out.append((_TILDE, 0))
        elif seg == "^":
            out.append((_CARET, 0))
        elif seg.isdigit():
            out.append((_NUMERIC, int(seg)))
        else:
            out.append((_ALPHA, seg))
    out.append((_END, 0))
    return tuple(out)


def parse(version: str) -> RpmKey:
    """Sort key of an EVR; raises ``UnparsableVersion`` for an empty or non-printable
    string, or a version or release with no letter or digit.

    As in rpm, only leading digits followed by ``:`` make an epoch (``:`` alone is epoch
    0); any other ``:`` is a separator inside the version.
    """
    if not _PRINTABLE.fullmatch(version):
        raise UnparsableVersion("rpm", version, "empty, or not printable ASCII")
    epoch = _EPOCH.match(version)
    rest = version[epoch.end():] if epoch else version
    ver, hyphen, release = rest.rpartition("-")
    if not hyphen:
        ver = rest
    elif not _ALNUM.search(release):
        raise UnparsableVersion("rpm", version, "release has no letter or digit")
    if not _ALNUM.search(ver):
        raise UnparsableVersion("rpm", version, "version has no letter or digit")
    # no release at all sorts before every release, even "~1" (as rpm.vercmp does)
    return int(epoch[1] or 0) if epoch else 0, segments(ver), segments(release) if hyphen else ()
