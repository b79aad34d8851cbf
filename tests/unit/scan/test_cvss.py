"""CVSS: base scores of well-known vectors (NVD's published figures), strict parsing,
severity bands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.scan import cvss
from berth.scan.cvss import parse_vector, severity_band


@pytest.mark.parametrize(("vector", "score"), [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),   # Log4Shell
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),    # Heartbleed
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),    # PwnKit
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1),    # regreSSHion
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),    # reflected XSS
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
    ("CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N", 4.7),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
    ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1),    # scope changed, PR:H 0.5
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8),   # base only
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
    ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0),
    ("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3),
    ("AV:L/AC:L/Au:N/C:C/I:C/A:C", 7.2),
    ("AV:N/AC:L/Au:N/C:N/I:N/A:P", 5.0),
    ("AV:N/AC:M/Au:N/C:P/I:P/A:P", 6.8),
    ("AV:N/AC:L/Au:S/C:P/I:P/A:P", 6.5),
    ("AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C", 7.8),
    ("(AV:N/AC:L/Au:N/C:P/I:P/A:P)", 7.5),
])
def test_base_scores(vector: str, score: float) -> None:
    parsed = parse_vector(vector)
    assert parsed is not None
    assert parsed.score == score


def test_version_and_text() -> None:
    v31 = parse_vector(" CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ")
    assert v31 is not None and (v31.version, v31.vector) == (
        "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    v2 = parse_vector("(AV:N/AC:L/Au:N/C:P/I:P/A:P)")
    assert v2 is not None and (v2.version, v2.vector) == ("2.0", "AV:N/AC:L/Au:N/C:P/I:P/A:P")


def test_v4_is_validated_but_not_scored() -> None:
    v4 = parse_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
    assert v4 is not None and (v4.version, v4.score) == ("4.0", None)
    full = ("CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:P/CR:H/"
            "MSI:S/S:N/AU:Y/R:A/V:D/RE:L/U:Amber")
    assert parse_vector(full) is not None
    assert parse_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N") is None
    assert parse_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:R/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N") is None


@pytest.mark.parametrize("bad", [
    "", "garbage", "CVSS:3.1", "CVSS:3.1/",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",              # A missing
    "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",          # X is not a base value
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",      # twice
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",         # empty metric
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Q",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/Au:N",
    "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "cvss:3.1/av:n/ac:l/pr:n/ui:n/s:u/c:h/i:h/a:h",
    "CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "AV:N/AC:L/Au:N/C:P/I:P",
    "AV:N/AC:L/Au:N/C:P/I:P/A:X",
    "AV:N/AC:L/PR:N/C:P/I:P/A:P",
    "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X",
])
def test_bad_vectors_are_none(bad: str) -> None:
    assert parse_vector(bad) is None


@given(st.text(alphabet="CVS:3.1/AVNLPHUIRacu0248E-", max_size=60))
def test_never_raises(text: str) -> None:
    parse_vector(text)


def test_v31_roundup_is_safe_from_float_noise() -> None:
    assert cvss._roundup_31(4.000000000000001) == 4.0
    assert cvss._roundup_30(4.000000000000001) == 4.1
    assert cvss._roundup_31(4.02) == 4.1


@pytest.mark.parametrize(("score", "version", "band"), [
    (0.0, "3.1", "INFORMATIONAL"), (0.1, "3.1", "LOW"), (3.9, "3.1", "LOW"),
    (4.0, "3.1", "MEDIUM"), (6.9, "3.0", "MEDIUM"), (7.0, "3.1", "HIGH"),
    (8.9, "3.1", "HIGH"), (9.0, "3.1", "CRITICAL"), (10.0, "4.0", "CRITICAL"),
    (0.0, "2.0", "LOW"), (3.9, "2.0", "LOW"), (4.0, "2.0", "MEDIUM"), (6.9, "2.0", "MEDIUM"),
    (7.0, "2.0", "HIGH"), (10.0, "2.0", "HIGH"),
])
def test_severity_bands(score: float, version: str, band: str) -> None:
    assert severity_band(score, version) == band
