"""PEP 440, SemVer (npm, crates.io), Go and Maven orderings, and what each rejects."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berth.scan.versions import UnparsableVersion, comparator_for

PYPI = comparator_for("PyPI")
NPM = comparator_for("npm")
GO = comparator_for("Go")
MAVEN = comparator_for("Maven")


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("1.0rc1", "1.0", -1),
    ("1.0.post1", "1.0", 1),
    ("1.0.dev1", "1.0a1", -1),
    ("1!0.1", "2.0", 1),
    ("1.0+local", "1.0", 1),
    ("1.0", "1.0.0", 0),
    ("2.31.0", "2.3.0", 1),
    ("1.0a1", "1.0b1", -1),
    ("1.0RC1", "1.0rc1", 0),
])
def test_pep440(a: str, b: str, expected: int) -> None:
    assert PYPI.compare(a, b) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("1.0.0-alpha", "1.0.0", -1),
    ("1.0.0-alpha", "1.0.0-alpha.1", -1),
    ("1.0.0-alpha.1", "1.0.0-alpha.beta", -1),   # numeric before alphanumeric
    ("1.0.0-alpha.beta", "1.0.0-beta", -1),
    ("1.0.0-beta.2", "1.0.0-beta.11", -1),       # numeric identifiers as numbers
    ("1.0.0-rc.1", "1.0.0", -1),
    ("1.0.0+build", "1.0.0", 0),                 # build metadata ignored
    ("1.0.0-x-y-z.--", "1.0.0-x-y-z.-", 1),
    ("0.10.0", "0.9.0", 1),
    ("10.0.0", "9.99.99", 1),
    ("1.0.0-1", "1.0.0-a", -1),
])
def test_semver(a: str, b: str, expected: int) -> None:
    assert NPM.compare(a, b) == expected
    assert NPM.compare(b, a) == -expected


@pytest.mark.parametrize("bad", [
    "1.0.0.0", "1.0", "1", "v1.0.0", "01.0.0", "1.00.0", "1.0.0-01", "1.0.0-", "1.0.0+",
    "1.0.0-alpha..1", " 1.0.0", "not-a-version", "",
])
def test_semver_does_not_coerce(bad: str) -> None:
    with pytest.raises(UnparsableVersion):
        NPM.key(bad)
    assert comparator_for("crates.io").parses(bad) is False


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("v1.2.3", "1.2.3", 0),                                     # OSV writes no v
    ("v0.0.0-20210101000000-abcdef123456", "v0.1.0", -1),       # pseudo-versions
    ("0.0.0-20210101000000-abcdef123456", "0.0.0-20211231000000-012345abcdef", -1),
    ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3", 1),
    ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", -1),
    ("v2.0.0+incompatible", "v2.0.1", -1),
    ("v2.0.0+incompatible", "2.0.0", 0),
    ("v1.2", "v1.2.0", 0),                                      # Go's shorthand
    ("v1", "v1.0.0", 0),
    ("1.21.5", "1.21.10", -1),
])
def test_go(a: str, b: str, expected: int) -> None:
    assert GO.compare(a, b) == expected


@pytest.mark.parametrize("bad", ["(devel)", "go1.21.5", "1.2", "v1.2-pre", "vv1.0.0", ""])
def test_go_unparsable(bad: str) -> None:
    with pytest.raises(UnparsableVersion):
        GO.key(bad)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("1.0-SNAPSHOT", "1.0", -1),
    ("1.0.GA", "1.0", 0),
    ("1.0-final", "1.0", 0),
    ("1.0.RELEASE", "1.0", 0),          # newer Maven: release is an alias of ""
    ("1.0-sp1", "1.0", 1),
    ("1.0-alpha-1", "1.0", -1),
    ("1.0-alpha-1", "1.0-alpha-2", -1),
    ("1.0-alpha-1", "1.0-beta-1", -1),
    ("1.0-beta-1", "1.0-SNAPSHOT", -1),
    ("1.0-milestone-1", "1.0-rc-1", -1),
    ("1.0-rc1", "1.0-cr1", 0),
    ("1.0a1", "1.0-alpha-1", 0),        # a, b, m abbreviate before a digit
    ("1.0-1", "1.0", 1),
    ("1.0.0", "1.0-1", -1),
    ("2.0-1", "2.0.1", -1),
    ("2.0.1-klm", "2.0.1-lmn", -1),     # unknown qualifiers lexically, after known ones
    ("2.0.1", "2.0.1-xyz", -1),
    ("2.0.1-xyz", "2.0.1-123", -1),
    ("1", "1.0.0", 0),
    ("1.1", "1.01", 0),
    ("2.12.7.1", "2.12.7", 1),
    ("2.13.4.2", "2.14.0-rc1", -1),
    ("6.1.0rc3", "6.1.0", -1),
    ("5.3.18", "5.3.9", 1),
    ("1.0.0.Final", "1.0.0", 0),
    ("1X", "1x", 0),
])
def test_maven(a: str, b: str, expected: int) -> None:
    assert MAVEN.compare(a, b) == expected
    assert MAVEN.compare(b, a) == -expected


@pytest.mark.parametrize("bad", ["", "1.0 beta", "1.0\t", "1.0-é"])
def test_maven_unparsable(bad: str) -> None:
    with pytest.raises(UnparsableVersion):
        MAVEN.key(bad)


_MAVEN_ANY = st.lists(
    st.sampled_from(["1", "0", "2", "10", ".", "-", "a", "b1", "rc", "sp", "ga", "snapshot",
                     "xyz", "final", "m2"]),
    min_size=1, max_size=6).map("".join)
# Without null items (0, ga, final, release) the order is transitive. With them it is not,
# in Maven either: dropping a null that precedes a list reshapes the version.
_MAVEN_NO_NULLS = st.builds(
    lambda numbers, qualifiers: ".".join(numbers) + "".join("-" + q for q in qualifiers),
    st.lists(st.sampled_from(["1", "2", "3", "10"]), min_size=1, max_size=3),
    st.lists(st.sampled_from(["alpha", "a1", "beta2", "rc1", "cr1", "snapshot", "sp1", "xyz",
                              "1", "2", "m3"]), max_size=2))


@settings(max_examples=400)
@given(_MAVEN_ANY, _MAVEN_ANY)
def test_maven_antisymmetric(a: str, b: str) -> None:
    assert MAVEN.compare(a, b) == -MAVEN.compare(b, a)
    assert MAVEN.compare(a, a) == 0


@settings(max_examples=1000)
@given(st.lists(_MAVEN_NO_NULLS, min_size=3, max_size=3))
def test_maven_transitive_without_null_items(versions: list[str]) -> None:
    a, b, c = versions
    if MAVEN.compare(a, b) <= 0 and MAVEN.compare(b, c) <= 0:
        assert MAVEN.compare(a, c) <= 0


def test_maven_cycle_is_comparable_versions_own() -> None:
    # 1.0.snapshot = [1, 0, snapshot] < 1 < 1.0-1 = [1, [1]] < 1.0.snapshot (number > list)
    assert MAVEN.compare("1.0.snapshot", "1") == -1
    assert MAVEN.compare("1", "1.0-1") == -1
    assert MAVEN.compare("1.0-1", "1.0.snapshot") == -1
