"""Which repositories are scanned, and how (ECR's registry scanning rules)."""

from __future__ import annotations

import pytest

from berth.errors import InvalidParameter
from berth.services.scan_config import Rule, ScanningConfig, applied, validate


def config(scan_type: str, *rules: tuple[str, tuple[str, ...]]) -> ScanningConfig:
    return validate(scan_type, [Rule(f, filters) for f, filters in rules])


@pytest.mark.parametrize(("cfg", "repo", "scan_on_push", "frequency", "filters"), [
    (ScanningConfig(), "app", False, "MANUAL", ()),
    (ScanningConfig(), "app", True, "SCAN_ON_PUSH", ()),
    (config("BASIC", ("SCAN_ON_PUSH", ("prod/*",))), "prod/api", False, "SCAN_ON_PUSH",
     ("prod/*",)),
    (config("BASIC", ("SCAN_ON_PUSH", ("prod/*",))), "dev/api", False, "MANUAL", ()),
    (config("BASIC", ("SCAN_ON_PUSH", ("prod/*",))), "dev/api", True, "SCAN_ON_PUSH", ()),
    (config("ENHANCED", ("CONTINUOUS_SCAN", ("*",))), "any/thing", False, "CONTINUOUS_SCAN",
     ("*",)),
    # the stronger frequency wins where two rules match
    (config("ENHANCED", ("SCAN_ON_PUSH", ("*",)), ("CONTINUOUS_SCAN", ("prod*",))), "prod-a",
     False, "CONTINUOUS_SCAN", ("prod*",)),
    (config("ENHANCED", ("SCAN_ON_PUSH", ("*",)), ("CONTINUOUS_SCAN", ("prod*",))), "dev",
     False, "SCAN_ON_PUSH", ("*",)),
    # under ENHANCED the repository's own scanOnPush no longer applies
    (config("ENHANCED", ("SCAN_ON_PUSH", ("prod*",))), "dev", True, "MANUAL", ()),
    (config("BASIC", ("SCAN_ON_PUSH", ("a*c",))), "abc", False, "SCAN_ON_PUSH", ("a*c",)),
    (config("BASIC", ("SCAN_ON_PUSH", ("a*c",))), "abcd", False, "MANUAL", ()),
    (config("BASIC", ("SCAN_ON_PUSH", ("a.c",))), "abc", False, "MANUAL", ()),
])
def test_applied(cfg: ScanningConfig, repo: str, scan_on_push: bool, frequency: str,
                 filters: tuple[str, ...]) -> None:
    how = applied(cfg, repo, scan_on_push)
    assert (how.frequency, how.filters) == (frequency, filters)
    assert how.on_push == (frequency != "MANUAL")
    assert how.continuous == (frequency == "CONTINUOUS_SCAN")


@pytest.mark.parametrize(("scan_type", "rules", "message"), [
    ("BASIC", [Rule("CONTINUOUS_SCAN", ("*",))], "not supported for BASIC"),
    ("ENHANCED", [Rule("MANUAL", ("*",))], "not supported for ENHANCED"),
    ("BASIC", [Rule("SCAN_ON_PUSH", ())], "no repository filters"),
    ("ENHANCED", [Rule("SCAN_ON_PUSH", ("a",)), Rule("SCAN_ON_PUSH", ("b",))], "one rule"),
])
def test_invalid_configurations_say_why(scan_type: str, rules: list[Rule], message: str
                                        ) -> None:
    with pytest.raises(InvalidParameter, match=message):
        validate(scan_type, rules)
