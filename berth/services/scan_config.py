"""Which repositories are scanned, and how: the registry scanning configuration.

ECR's rules: the registry has a scan type, BASIC (operating-system packages, scanned
on push or on demand) or ENHANCED (OS and language packages, scanned on push and
continuously as advisories change), and at most two rules, each a scan frequency with
up to 100 wildcard repository filters. A repository no rule matches is scanned on push
under BASIC only when its own (deprecated) ``scanOnPush`` setting says so, and is
otherwise MANUAL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from berth.errors import InvalidParameter
from berth.lifecycle.matching import wildcard_match

BASIC, ENHANCED = "BASIC", "ENHANCED"
SCAN_ON_PUSH, CONTINUOUS_SCAN, MANUAL = "SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL"
_ALLOWED = {BASIC: {SCAN_ON_PUSH, MANUAL}, ENHANCED: {SCAN_ON_PUSH, CONTINUOUS_SCAN}}
# A stronger frequency wins when two rules match one repository.
_STRENGTH = {CONTINUOUS_SCAN: 2, SCAN_ON_PUSH: 1, MANUAL: 0}


@dataclass(frozen=True, slots=True)
class Rule:
    frequency: str
    filters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScanningConfig:
    scan_type: str = BASIC
    rules: tuple[Rule, ...] = ()

    def to_stored(self) -> list[dict[str, Any]]:
        return [{"frequency": r.frequency, "filters": list(r.filters)} for r in self.rules]

    @classmethod
    def from_stored(cls, scan_type: str, rules: list[dict[str, Any]]) -> ScanningConfig:
        return cls(scan_type, tuple(Rule(r["frequency"], tuple(r["filters"])) for r in rules))


@dataclass(frozen=True, slots=True)
class Applied:
    """How one repository is scanned, and the filters that decided it."""

    scan_type: str
    frequency: str
    filters: tuple[str, ...]

    @property
    def on_push(self) -> bool:
        return self.frequency in (SCAN_ON_PUSH, CONTINUOUS_SCAN)

    @property
    def continuous(self) -> bool:
        return self.scan_type == ENHANCED and self.frequency == CONTINUOUS_SCAN


def validate(scan_type: str, rules: list[Rule]) -> ScanningConfig:
    """The configuration, or InvalidParameter naming the rule at fault."""
    for index, rule in enumerate(rules, 1):
        if rule.frequency not in _ALLOWED[scan_type]:
            raise InvalidParameter(
                f"Invalid parameter at 'rules' failed to satisfy constraint: rule {index}: "
                f"scan frequency {rule.frequency} is not supported for {scan_type} scanning; "
                f"use one of {', '.join(sorted(_ALLOWED[scan_type]))}")
        if not rule.filters:
            raise InvalidParameter(f"Invalid parameter at 'rules' failed to satisfy constraint: "
                                   f"rule {index} has no repository filters")
    frequencies = [r.frequency for r in rules]
    if len(set(frequencies)) != len(frequencies):
        raise InvalidParameter("Invalid parameter at 'rules' failed to satisfy constraint: "
                               "each scan frequency may appear in one rule only")
    return ScanningConfig(scan_type, tuple(rules))


def applied(config: ScanningConfig, repository: str, scan_on_push: bool) -> Applied:
    """How ``repository`` is scanned under ``config``."""
    best: Applied | None = None
    for rule in config.rules:
        hits = tuple(f for f in rule.filters if wildcard_match(repository, f))
        if hits and (best is None or _STRENGTH[rule.frequency] > _STRENGTH[best.frequency]):
            best = Applied(config.scan_type, rule.frequency, hits)
    if best is not None:
        return best
    if config.scan_type == BASIC and scan_on_push:
        return Applied(BASIC, SCAN_ON_PUSH, ())
    return Applied(config.scan_type, MANUAL, ())
