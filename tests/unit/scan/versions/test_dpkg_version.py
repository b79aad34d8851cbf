"""Debian versions: a table of rules, then ``dpkg --compare-versions`` itself as the oracle
on several hundred real-world-like pairs and on generated strings."""

from __future__ import annotations

import random
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berth.scan.versions import UnparsableVersion, comparator_for
from tests.unit.scan.versions.oracles import dpkg_compare, dpkg_valid, needs_dpkg

DPKG = comparator_for("Debian:12")

# Shapes seen in bookworm, bullseye and Ubuntu status files and in security advisories.
REAL = [
    "2.36-9", "2.36-8", "2.36-9+deb12u4", "2.36-9+deb12u7", "2.36-9+deb12u10",
    "2.36-9+deb12u11", "2.31-13+deb11u11", "3.0.11-1", "3.0.11-1~deb12u2",
    "3.0.13-1~deb12u1", "3.0.14-1~deb12u2", "3.0.15-1~deb12u1", "1.1.1w-0+deb11u1",
    "1:1.2.13.dfsg-1", "1:1.2.11.dfsg-2+deb11u2", "1.2.13.dfsg-1", "5.2.15-2",
    "5.2.15-2+b1", "5.2.15-2+b13", "5.2.15-3", "252.33-1~deb12u1", "252.31-1~deb12u1",
    "252.30-1~deb12u2", "247.3-7+deb11u6", "2:8.39-15", "2:8.39-13", "8.39-15",
    "1:9.2p1-2", "1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u6", "1:8.4p1-5+deb11u3",
    "7.88.1-10", "7.88.1-10+deb12u8", "7.88.1-10+deb12u12", "1.20.1-2+deb12u2",
    "2.9.14+dfsg-1.3", "2.9.14+dfsg-1.3~deb12u1", "2.9.14+dfsg-1.3~deb12u2",
    "12.2.0-14", "12.2.0-14+deb12u1", "3.7.9-2+deb12u3", "3.7.9-2+deb12u4",
    "2.74.6-2", "2.74.6-2+deb12u5", "2.2.0~beta1+dfsg-1", "2.2.0~rc2+dfsg-1",
    "2.2.0+dfsg-1", "10.0.0+really9.0.0-1", "1.2.3-1ubuntu1", "1.2.3-1ubuntu0.22.04.1",
    "1.2.3-1build1", "1.2.3-1", "20230311", "20230311.1", "2:1.0~git20230101.abc-1",
    "0.23.22-1.2", "0.23.22-1.2+b1", "1.4.5.2+ds-1", "1.34+dfsg-1.2", "1.0~rc1",
    "1.0~rc1-1", "1.0", "1.0-0", "1.0-1", "1.0a", "1.0+", "1.0.0", "1.0~", "1.0~~",
    "1.0~~a", "1.0~a", "0", "00", "0.0", "1:0", "0:1.0", "1.0-1a", "1.0-a", "1.0-1~",
    "1.0-1+", "1.0-1.1", "9:1-1", "1.0.0~alpha", "1.0.0~alpha.1",
]


def _real_pairs() -> list[tuple[str, str]]:
    """Every pair sharing a first character (closely related versions), plus a fixed
    random sample of the rest: about six hundred pairs."""
    related = [(a, b) for a, b in combinations(REAL, 2) if a[0] == b[0]]
    rest = [(a, b) for a, b in combinations(REAL, 2) if a[0] != b[0]]
    return related + random.Random(20240611).sample(rest, 150)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("2.36-9+deb12u4", "2.36-9+deb12u10", -1),   # numeric, not text, order of digit runs
    ("1:2.0-1", "1.9-3", 1),                     # epoch first
    ("0:1.0", "1.0", 0),
    ("1.0~rc1", "1.0", -1),                      # ~ sorts before the end
    ("1.0~rc1-1", "1.0-1", -1),
    ("1.0~~", "1.0~", -1),
    ("3.0.11-1~deb12u2", "3.0.11-1", -1),
    ("3.0.11-1~deb12u2", "3.0.11-1~deb12u1", 1),
    ("1.0", "1.0-0", 0),                         # no revision equals revision 0
    ("1.0a", "1.0", 1),                          # letters after the end
    ("1.0a", "1.0+", -1),                        # letters before other characters
    ("1.0+", "1.0.", -1),                        # other characters by ASCII
    ("5.2.15-2+b13", "5.2.15-2", 1),             # binNMU
    ("1.2.13.dfsg-1", "1.2.13-1", 1),
    ("1.01", "1.1", 0),                          # digit runs are numbers
    ("0", "00", 0),
    ("1:2:3-4", "1:2:3-5", -1),                  # colons allowed after an epoch
    ("1.0-1-2", "1.0-1-10", -1),                 # revision after the last hyphen
])
def test_ordering_rules(a: str, b: str, expected: int) -> None:
    assert DPKG.compare(a, b) == expected
    assert DPKG.compare(b, a) == -expected


@pytest.mark.parametrize("bad", [
    "", " ", "a", "~1", "1.0-", "-1", ":1", "1:", "a:1", "1.0 1", "1_0", "1.0-a_b",
    "1:-1", "99999999999:1", "1.0-1:1", "é",
])
def test_bad_syntax_is_unparsable(bad: str) -> None:
    with pytest.raises(UnparsableVersion):
        DPKG.key(bad)
    assert not DPKG.parses(bad)


def test_unparsable_is_never_equal() -> None:
    with pytest.raises(UnparsableVersion):
        DPKG.compare("1.0-", "1.0-")


@needs_dpkg
def test_agrees_with_dpkg_on_real_world_pairs() -> None:
    pairs = _real_pairs()
    assert len(pairs) > 500
    expected = dpkg_compare(pairs)
    mismatches = [(a, b, want, DPKG.compare(a, b))
                  for (a, b), want in zip(pairs, expected, strict=True)
                  if DPKG.compare(a, b) != want]
    assert mismatches == []


@needs_dpkg
def test_accepts_what_dpkg_validates() -> None:
    candidates = [*REAL, "a", "1.0-", "1:a", "1_0", "1.0a:b", "1:1:1", "1:2-3-4", "0:-",
                  "1~", "~1", "1.0-a_b", "1.0-a:b", "1:", "+1", "1+", "1--1", "1.0~-1"]
    assert [DPKG.parses(v) for v in candidates] == dpkg_valid(candidates)


# Strings from the dpkg alphabet, built as a shared stem with two endings so that pairs
# differ late, where ~, letters, digits and the end of the string meet.
_EPOCH = st.sampled_from(["", "", "0:", "1:", "2:"])
_TAIL = st.text(alphabet="0123456789.+~az-", max_size=6)
_REVISION = st.sampled_from(["", "-1", "-0", "-1~", "-a", "-1+b1", "-1.1", "-1~deb12u1"])


@st.composite
def _related_pairs(draw: st.DrawFn) -> tuple[str, str]:
    stem = draw(_EPOCH) + draw(st.sampled_from("0123456789")) + draw(_TAIL)
    return stem + draw(_TAIL) + draw(_REVISION), stem + draw(_TAIL) + draw(_REVISION)


@needs_dpkg
@settings(max_examples=8, deadline=None)
@given(st.lists(_related_pairs(), min_size=50, max_size=50))
def test_agrees_with_dpkg_on_generated_pairs(pairs: list[tuple[str, str]]) -> None:
    valid = dpkg_valid([v for pair in pairs for v in pair])
    assert [DPKG.parses(v) for pair in pairs for v in pair] == valid
    usable = [(a, b) for a, b in pairs if DPKG.parses(a) and DPKG.parses(b)]
    assert [DPKG.compare(a, b) for a, b in usable] == dpkg_compare(usable)


@settings(max_examples=300)
@given(st.lists(_related_pairs().map(lambda p: p[0]).filter(DPKG.parses), min_size=3,
                max_size=3))
def test_total_order(versions: list[str]) -> None:
    a, b, c = versions
    assert DPKG.compare(a, b) == -DPKG.compare(b, a)
    if DPKG.compare(a, b) <= 0 and DPKG.compare(b, c) <= 0:
        assert DPKG.compare(a, c) <= 0
