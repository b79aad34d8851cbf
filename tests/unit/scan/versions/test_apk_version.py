"""Alpine (apk) versions: the worked examples of scanning.md §2.4 and more, traced from
the apk rules; strictness; total order on strings generated from the grammar."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berth.scan.versions import UnparsableVersion, comparator_for

APK = comparator_for("Alpine:v3.20")


@pytest.mark.parametrize(("a", "b", "expected"), [
    # scanning.md §2.4
    ("1.0_rc1", "1.0", -1),
    ("1.0", "1.0_p1", -1),
    ("1.0_cvs", "1.0_svn", -1),
    ("1.0_svn", "1.0_git", -1),
    ("1.0_git", "1.0_hg", -1),
    ("1.0_hg", "1.0_p", -1),
    ("1.0_git20210101-r0", "1.0-r0", 1),
    ("1.01", "1.1", -1),
    ("1.001", "1.01", -1),
    ("1.2.3a", "1.2.3", 1),
    ("1.2.3-r1", "1.2.3-r10", -1),
    ("1.2.3-r0", "1.2.3", 1),                 # a revision beats the end of the string
    # pre-release suffixes below the release, in order
    ("1.2.3_rc1-r0", "1.2.3-r0", -1),
    ("2.0_alpha1", "2.0_beta1", -1),
    ("2.0_beta9", "2.0_pre1", -1),
    ("1.0_pre1", "1.0_rc1", -1),
    ("1.0_alpha", "1.0_alpha1", -1),
    ("1.0_rc2", "1.0_rc10", -1),
    ("1.0_rc1", "1.0.1_alpha1", -1),
    # post-release suffixes above it; _git snapshots as secdb writes them
    ("1.2.3_p1-r0", "1.2.3-r0", 1),
    ("1.2_cvs1", "1.2_svn1", -1),
    ("13.2.1_git20231014-r0", "13.2.1-r0", 1),
    ("13.2.1_git20231014-r0", "13.2.1_git20231115-r0", -1),
    ("13.2.1_git20231014-r5", "13.2.2-r0", -1),
    ("1.2_p1", "1.2a", -1),                   # a letter outranks a suffix
    ("1.2a", "1.2.1", -1),                    # another number outranks a letter
    # revisions
    ("1.36.1-r5", "1.36.1-r15", -1),
    ("1.2.3-r9", "1.2.3-r10", -1),
    ("3.0.13-r0", "3.0.13-r0", 0),
    # letters, and a number after a letter
    ("1.2.3a", "1.2.3b", -1),
    ("1.2.3z", "1.2.4", -1),
    ("6.6.2p1", "6.6.2_p1", 1),
    ("6.6.2p1", "6.6.2p2", -1),
    # components
    ("1.0", "1.0.0", -1),
    ("1.0", "1", 1),
    ("1.10", "1.9", 1),
    ("2.10.0", "2.9.99", 1),
    # leading zeros after a dot are fractions
    ("6.02-r0", "6.04-r0", -1),
    ("6.09-r1", "6.10-r0", -1),
    ("4.2.008-r3", "4.2.010-r3", -1),
    ("1.05", "1.4", -1),
    ("1.010", "1.02", -1),
    ("10.1", "9.1", 1),                       # not after a dot: a plain number
])
def test_ordering_rules(a: str, b: str, expected: int) -> None:
    assert APK.compare(a, b) == expected
    assert APK.compare(b, a) == -expected


@pytest.mark.parametrize("bad", [
    "", "a", ".1", "1.0bc", "1-r", "1-1", "1..2", "1.", "1.2.0A", "1.2_blah", "1.0-r1-r2",
    "1.0 ", "v1.0", "1.0_rc1a", "1.0-r1a", "1.0~abc123",
])
def test_outside_the_grammar_is_unparsable(bad: str) -> None:
    with pytest.raises(UnparsableVersion):
        APK.key(bad)


def test_wolfi_and_chainguard_use_apk() -> None:
    assert comparator_for("Wolfi") is APK
    assert comparator_for("Chainguard") is APK


_NUMBER = st.sampled_from(["0", "00", "01", "1", "2", "9", "10", "010"])


@st.composite
def _versions(draw: st.DrawFn) -> str:
    """Valid apk versions from a small vocabulary, so that generated ones collide often."""
    numbers = draw(st.lists(_NUMBER, min_size=1, max_size=3))
    text = ".".join(numbers) + draw(st.sampled_from(["", "", "a", "b", "p1"]))
    suffixes = draw(st.lists(st.sampled_from(
        ["_alpha", "_rc1", "_rc", "_pre2", "_cvs", "_git2023", "_p", "_p1", "_hg1"]),
        max_size=2))
    return text + "".join(suffixes) + draw(st.sampled_from(["", "", "-r0", "-r1", "-r10"]))


@settings(max_examples=400)
@given(st.lists(_versions(), min_size=3, max_size=3))
def test_total_order(versions: list[str]) -> None:
    a, b, c = versions
    assert all(APK.parses(v) for v in versions)
    assert APK.compare(a, b) == -APK.compare(b, a)
    assert APK.compare(a, a) == 0
    if APK.compare(a, b) <= 0 and APK.compare(b, c) <= 0:
        assert APK.compare(a, c) <= 0
