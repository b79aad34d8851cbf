"""RPM versions: the table of scanning.md §2.4 and rpmvercmp's rules, and — where rpm is
installed — ``rpm.vercmp`` as the oracle on real-world and generated EVRs."""

from __future__ import annotations

import random
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berth.scan.versions import UnparsableVersion, comparator_for
from tests.unit.scan.versions.oracles import needs_rpm, rpm_vercmp

RPM = comparator_for("Rocky Linux:9")

REAL = [
    "1.0-1.el8", "1.0-1.el8_2", "1.0-1.el8_10", "2.28-225.el8", "2.28-225.el8_9.2",
    "5.14.0-362.8.1.el9_3", "5.14.0-362.18.1.el9_3", "5.14.0-427.13.1.el9_4",
    "1:3.0.7-25.el9_3", "1:3.0.7-27.el9", "3.0.7-27.el9", "1:1.1.1k-12.el8_9",
    "2.34-100.el9_4.2", "2.34-100.el9", "2.34-83.el9.12", "7.76.1-29.el9_4",
    "7.76.1-29.el9_4.1", "1.2.11-40.el9", "1.2.11-41.el9", "252-32.el9_4", "252-32.el9_4.7",
    "0.9.18-1.1.el9", "4.16.1.3-29.el9", "4.16.1.3-29.el9.rocky.0.1", "1.0~rc1-1",
    "1.0-1", "1.0^git1-1", "1.0.1-1", "2:1.0-1", "0:1.0-1", "1.0~rc1^post-1",
    "3.9.18-3.el9_4.5", "3.9.18-3.el9_4.6", "15.0.7-1.module+el8.9.0+1234+abcd.x86_64",
]


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("1.0-1.el8", "1.0-1.el8_2", -1),
    ("1.0-1.el8_2", "1.0-1.el8_10", -1),
    ("2.28-225.el8", "2.28-225.el8_9.2", -1),
    ("5.14.0-362.8.1.el9_3", "5.14.0-362.18.1.el9_3", -1),
    ("1:1.0-1", "2.0-1", 1),                    # epoch first
    ("0:1.0-1", "1.0-1", 0),
    ("1.0~rc1-1", "1.0-1", -1),                 # ~ before everything, even the end
    ("1.0~rc1~1", "1.0~rc1", -1),
    ("1.0^git1-1", "1.0-1", 1),                 # ^ after the end ...
    ("1.0^git1-1", "1.0.1-1", -1),              # ... before a further segment
    ("a", "1", -1),                             # letters before numbers
    ("1.0a", "1.0.1", -1),
    ("1.01-1", "1.1-1", 0),                     # numbers as numbers
    ("1_0-1", "1.0-1", 0),                      # any other character only separates
    ("1.0-1.", "1.0-1", 0),
    ("1.0", "1.0-1", -1),                       # no release before any release
    ("1.0", "1.0-~1", -1),
    ("abc-1", "abd-1", -1),
    ("B-1", "a-1", -1),                         # ASCII order of letters
])
def test_ordering_rules(a: str, b: str, expected: int) -> None:
    assert RPM.compare(a, b) == expected
    assert RPM.compare(b, a) == -expected


@pytest.mark.parametrize("bad", ["", " ", "1.0 -1", "1.0-", "-1", "...", "1.0-.", "é-1"])
def test_unparsable(bad: str) -> None:
    with pytest.raises(UnparsableVersion):
        RPM.key(bad)


def test_red_hat_family_uses_rpm() -> None:
    for ecosystem in ("Red Hat:enterprise_linux:9::appstream", "AlmaLinux:9", "SUSE:Linux",
                      "openSUSE:Leap 15.5", "Photon OS:5.0", "Azure Linux:3"):
        assert comparator_for(ecosystem) is RPM


_PIECE = st.sampled_from(["0", "1", "01", "2", "10", "a", "b", "el", "el9", "~", "^", ".",
                          "_", "+", "rc", "git"])
_EVR = st.builds(lambda e, v, r: e + v + r,
                 st.sampled_from(["", "", "0:", "1:"]),
                 st.lists(_PIECE, min_size=1, max_size=5).map("".join),
                 st.sampled_from(["", "-"]).flatmap(
                     lambda h: st.lists(_PIECE, min_size=1, max_size=4).map(
                         lambda r: h + "".join(r) if h else "")))


@needs_rpm
def test_agrees_with_rpm_on_real_world_pairs() -> None:
    pairs = list(combinations(REAL, 2))
    random.Random(7).shuffle(pairs)
    assert [RPM.compare(a, b) for a, b in pairs] == rpm_vercmp(pairs)


@needs_rpm
@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(_EVR, _EVR), min_size=100, max_size=100))
def test_agrees_with_rpm_on_generated_pairs(pairs: list[tuple[str, str]]) -> None:
    usable = [(a, b) for a, b in pairs if RPM.parses(a) and RPM.parses(b)]
    assert [RPM.compare(a, b) for a, b in usable] == rpm_vercmp(usable)


@settings(max_examples=300)
@given(st.lists(_EVR.filter(RPM.parses), min_size=3, max_size=3))
def test_total_order(versions: list[str]) -> None:
    a, b, c = versions
    assert RPM.compare(a, b) == -RPM.compare(b, a)
    if RPM.compare(a, b) <= 0 and RPM.compare(b, c) <= 0:
        assert RPM.compare(a, c) <= 0
