"""CVSS vectors: strict parsing, base scores for v2 and v3.x, severity bands.

Base scores follow FIRST's published formulas (CVSS v2 guide §3.2.1; CVSS v3.0 and v3.1
specifications §7.1, with v3.1's floating-point-safe Roundup and v3.0's plain ceiling).
CVSS v4.0 vectors are parsed and validated, but their score is None: v4 scoring needs
FIRST's macrovector lookup table, which berth does not ship yet.

Anything that is not a well-formed vector — unknown metric or value, a metric twice, a
base metric missing, a wrong prefix — gives None, never an exception.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from berth.scan.model import Cvss

Values = dict[str, frozenset[str]]


def _values(spec: dict[str, str | tuple[str, ...]]) -> Values:
    """Metric → allowed values; a string lists one-letter values."""
    return {name: frozenset(allowed if isinstance(allowed, tuple) else tuple(allowed))
            for name, allowed in spec.items()}


_V2_BASE = _values({"AV": "LAN", "AC": "HML", "Au": "MSN", "C": "NPC", "I": "NPC", "A": "NPC"})
_V2_OTHER = _values({
    "E": ("U", "POC", "F", "H", "ND"), "RL": ("OF", "TF", "W", "U", "ND"),
    "RC": ("UC", "UR", "C", "ND"), "CDP": ("N", "L", "LM", "MH", "H", "ND"),
    "TD": ("N", "L", "M", "H", "ND"), "CR": ("L", "M", "H", "ND"),
    "IR": ("L", "M", "H", "ND"), "AR": ("L", "M", "H", "ND")})
_V3_BASE = _values({"AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC",
                    "C": "HLN", "I": "HLN", "A": "HLN"})
_V3_OTHER = _values({
    "E": "XUPFH", "RL": "XOTWU", "RC": "XURC", "CR": "XLMH", "IR": "XLMH", "AR": "XLMH",
    "MAV": "XNALP", "MAC": "XLH", "MPR": "XNLH", "MUI": "XNR", "MS": "XUC",
    "MC": "XNLH", "MI": "XNLH", "MA": "XNLH"})
_V4_BASE = _values({"AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA",
                    "VC": "HLN", "VI": "HLN", "VA": "HLN", "SC": "HLN", "SI": "HLN",
                    "SA": "HLN"})
_V4_OTHER = _values({
    "E": "XAPU", "CR": "XHML", "IR": "XHML", "AR": "XHML", "MAV": "XNALP", "MAC": "XLH",
    "MAT": "XNP", "MPR": "XNLH", "MUI": "XNPA", "MVC": "XHLN", "MVI": "XHLN",
    "MVA": "XHLN", "MSC": "XHLN", "MSI": "XSHLN", "MSA": "XSHLN", "S": "XNP", "AU": "XNY",
    "R": "XAUI", "V": "XDC", "RE": "XLMH", "U": ("X", "Clear", "Green", "Amber", "Red")})


def _metrics(body: str, base: Values, other: Values) -> dict[str, str] | None:
    """Metric → value, or None unless every base metric is present once and every
    metric and value is one the version defines."""
    found: dict[str, str] = {}
    for part in body.split("/"):
        name, _, value = part.partition(":")
        allowed = base.get(name) or other.get(name)
        if allowed is None or value not in allowed or name in found:
            return None
        found[name] = value
    return found if base.keys() <= found.keys() else None


def _round1(value: float) -> float:
    """Round half up to one decimal, immune to binary noise (4.35 → 4.4)."""
    return float(Decimal(repr(round(value, 6))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _v2_score(m: dict[str, str]) -> float:
    av = {"L": 0.395, "A": 0.646, "N": 1.0}[m["AV"]]
    ac = {"H": 0.35, "M": 0.61, "L": 0.71}[m["AC"]]
    au = {"M": 0.45, "S": 0.56, "N": 0.704}[m["Au"]]
    cia = [{"N": 0.0, "P": 0.275, "C": 0.660}[m[k]] for k in ("C", "I", "A")]
    impact = 10.41 * (1 - (1 - cia[0]) * (1 - cia[1]) * (1 - cia[2]))
    exploitability = 20 * av * ac * au
    f_impact = 0.0 if impact == 0 else 1.176
    return _round1(((0.6 * impact) + (0.4 * exploitability) - 1.5) * f_impact)


def _roundup_31(value: float) -> float:
    """CVSS v3.1 Roundup: the smallest one-decimal number >= value, computed on integers."""
    as_int = round(value * 100000)
    if as_int % 10000 == 0:
        return as_int / 100000.0
    return (math.floor(as_int / 10000) + 1) / 10.0


def _roundup_30(value: float) -> float:
    return math.ceil(value * 10) / 10


def _v3_score(m: dict[str, str], minor: str) -> float:
    changed = m["S"] == "C"
    av = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[m["AV"]]
    ac = {"L": 0.77, "H": 0.44}[m["AC"]]
    pr = {"N": 0.85, "L": 0.68 if changed else 0.62, "H": 0.5 if changed else 0.27}[m["PR"]]
    ui = {"N": 0.85, "R": 0.62}[m["UI"]]
    cia = [{"H": 0.56, "L": 0.22, "N": 0.0}[m[k]] for k in ("C", "I", "A")]
    iss = 1 - (1 - cia[0]) * (1 - cia[1]) * (1 - cia[2])
    impact = (7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15) if changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    exploitability = 8.22 * av * ac * pr * ui
    total = min((1.08 if changed else 1.0) * (impact + exploitability), 10.0)
    return _roundup_31(total) if minor == "1" else _roundup_30(total)


@lru_cache(maxsize=8192)
def parse_vector(vector: str) -> Cvss | None:
    """The vector's version, its text (stripped, v2 without parentheses) and base score
    (None for v4.0); None if the vector is not well formed. Cached: vectors repeat."""
    text = vector.strip()
    if text.startswith("CVSS:3.0/") or text.startswith("CVSS:3.1/"):
        m = _metrics(text[9:], _V3_BASE, _V3_OTHER)
        return None if m is None else Cvss(text[5:8], text, _v3_score(m, text[7]))
    if text.startswith("CVSS:4.0/"):
        m = _metrics(text[9:], _V4_BASE, _V4_OTHER)
        return None if m is None else Cvss("4.0", text, None)
    body = text[1:-1] if text.startswith("(") and text.endswith(")") else text
    body = body.removeprefix("CVSS:2.0/")
    m = _metrics(body, _V2_BASE, _V2_OTHER)
    return None if m is None else Cvss("2.0", body, _v2_score(m))


def severity_band(score: float, version: str) -> str:
    """ECR FindingSeverity for a base score: v3/v4 bands NONE (as INFORMATIONAL), LOW,
    MEDIUM, HIGH, CRITICAL; v2 bands LOW (0-3.9), MEDIUM (4-6.9), HIGH (7-10)."""
    if version == "2.0":
        return "LOW" if score < 4.0 else "MEDIUM" if score < 7.0 else "HIGH"
    if score == 0.0:
        return "INFORMATIONAL"
    if score < 4.0:
        return "LOW"
    if score < 7.0:
        return "MEDIUM"
    return "HIGH" if score < 9.0 else "CRITICAL"
