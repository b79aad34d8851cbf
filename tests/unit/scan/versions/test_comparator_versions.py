"""The one interface: which scheme each ecosystem gets, caching, and failure."""

from __future__ import annotations

import pytest

from berth.scan.versions import (
    Comparator,
    UnparsableVersion,
    UnsupportedEcosystem,
    comparator_for,
    scheme_for,
)


@pytest.mark.parametrize(("ecosystem", "scheme"), [
    ("Debian:12", "dpkg"), ("Debian:11", "dpkg"), ("Ubuntu:22.04:LTS", "dpkg"),
    ("Ubuntu:Pro:18.04:LTS", "dpkg"), ("Alpine:v3.20", "apk"), ("Wolfi", "apk"),
    ("Chainguard", "apk"), ("Red Hat:enterprise_linux:9::baseos", "rpm"),
    ("Rocky Linux:9", "rpm"), ("AlmaLinux:8", "rpm"), ("SUSE:Linux Enterprise", "rpm"),
    ("openSUSE:Tumbleweed", "rpm"), ("PyPI", "pep440"), ("npm", "semver"),
    ("crates.io", "semver"), ("Go", "go"), ("Maven", "maven"),
])
def test_scheme_per_ecosystem(ecosystem: str, scheme: str) -> None:
    assert comparator_for(ecosystem).scheme == scheme
    assert scheme_for(ecosystem) == scheme


@pytest.mark.parametrize("ecosystem", ["RubyGems", "NuGet", "Packagist", "GIT", "", "debian"])
def test_unsupported_ecosystem(ecosystem: str) -> None:
    with pytest.raises(UnsupportedEcosystem):
        comparator_for(ecosystem)
    assert scheme_for(ecosystem) is None


def test_parse_results_are_cached_failures_included() -> None:
    calls: list[str] = []

    def parse(version: str) -> tuple[int, ...]:
        calls.append(version)
        if not version.isdigit():
            raise UnparsableVersion("test", version, "not digits")
        return (int(version),)

    comparator = Comparator("test", parse)
    for _ in range(3):
        assert comparator.compare("2", "10") == -1
        with pytest.raises(UnparsableVersion):
            comparator.compare("2", "x")
    assert sorted(calls) == ["10", "2", "x"]


def test_unparsable_names_scheme_and_version() -> None:
    with pytest.raises(UnparsableVersion) as raised:
        comparator_for("npm").key("1.0")
    assert (raised.value.scheme, raised.value.version) == ("semver", "1.0")
    assert "1.0" in str(raised.value)
