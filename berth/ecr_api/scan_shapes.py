"""Scan results in ECR's shapes: basic ``findings``, ``enhancedFindings`` (Amazon
Inspector's), statuses and summaries. berth's stored finding documents are rendered
here and nowhere else."""

from __future__ import annotations

from typing import Any

from berth.clock import epoch_of
from berth.policy.ecr_actions import repository_arn
from berth.services.scan_config import Applied, ScanningConfig
from berth.storage.meta import Repository
from berth.storage.meta.scans import ScanRecord

_CVSS_KEYS = {"2": "CVSS2", "3": "CVSS3", "4": "CVSS4"}


def status(scan: ScanRecord) -> dict[str, Any]:
    return {"status": scan.status, "description": scan.description}


def summary(scan: ScanRecord) -> dict[str, Any] | None:
    if scan.completed_at is None or scan.severity_counts is None:
        return None
    out: dict[str, Any] = {"imageScanCompletedAt": scan.completed_at,
                           "findingSeverityCounts": scan.severity_counts}
    if scan.source_updated_at is not None:
        out["vulnerabilitySourceUpdatedAt"] = scan.source_updated_at
    return out


def basic_finding(doc: dict[str, Any]) -> dict[str, Any]:
    """One basic finding; ``package_version`` is the installed version, as ECR's is."""
    package = doc["package"]
    attributes = [{"key": "package_version", "value": package["version"]},
                  {"key": "package_name", "value": package["name"]}]
    for cvss in doc["cvss"]:
        prefix = _CVSS_KEYS.get(str(cvss["version"])[:1])
        if prefix and not any(a["key"] == f"{prefix}_VECTOR" for a in attributes):
            attributes.append({"key": f"{prefix}_VECTOR", "value": cvss["vector"][:256]})
            if cvss.get("score") is not None:
                attributes.append({"key": f"{prefix}_SCORE", "value": str(cvss["score"])})
    out = {"name": doc["id"], "uri": doc["uri"], "severity": doc["severity"],
           "attributes": attributes}
    if doc["description"]:
        out["description"] = doc["description"]
    return out


def enhanced_finding(doc: dict[str, Any], repo: Repository, digest: str, tags: list[str],
                     pushed_at: float, region: str) -> dict[str, Any]:
    package = doc["package"]
    best = _best_cvss(doc["cvss"])
    out: dict[str, Any] = {
        "awsAccountId": repo.account_id,
        "findingArn": f"arn:aws:inspector2:{region}:{repo.account_id}:finding/{doc['key']}",
        "description": doc["description"] or doc["id"],
        "title": f"{doc['id']} - {package['name']}",
        "type": "PACKAGE_VULNERABILITY", "status": "ACTIVE",
        "severity": doc["severity"] if doc["severity"] != "UNDEFINED" else "UNTRIAGED",
        "firstObservedAt": doc["first_observed"], "lastObservedAt": doc["last_observed"],
        "fixAvailable": "YES" if doc["fixed_version"] else "NO", "exploitAvailable": "NO",
        "packageVulnerabilityDetails": _vulnerability(doc),
        "remediation": {"recommendation": {"text": _recommendation(doc)}},
        "resources": [_resource(repo, digest, tags, pushed_at, region)],
    }
    if doc.get("updated") is not None:
        out["updatedAt"] = doc["updated"]
    if best is not None and best.get("score") is not None:
        out["score"] = best["score"]
        out["scoreDetails"] = {"cvss": {"score": best["score"], "scoreSource": _source(doc),
                                        "scoringVector": best["vector"],
                                        "version": best["version"], "adjustments": []}}
    return out


def _best_cvss(scores: list[dict[str, Any]]) -> dict[str, Any] | None:
    order = {"3": 0, "4": 1, "2": 2}
    ranked = sorted(scores, key=lambda c: order.get(str(c["version"])[:1], 9))
    return ranked[0] if ranked else None


def _source(doc: dict[str, Any]) -> str:
    ecosystem = doc["package"]["ecosystem"].split(":")[0]
    return {"Debian": "DEBIAN_CVE", "Ubuntu": "UBUNTU_CVE", "Alpine": "ALPINE_SECDB",
            "PyPI": "GITHUB", "npm": "GITHUB", "Go": "GO_VULNDB"}.get(ecosystem, "OSV")


def _vulnerability(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "vulnerabilityId": doc["id"], "source": _source(doc), "sourceUrl": doc["uri"],
        "referenceUrls": doc["references"][:50],
        "relatedVulnerabilities": [a for a in doc["advisories"] if a != doc["id"]],
        "cvss": [{"baseScore": c["score"], "scoringVector": c["vector"], "source": _source(doc),
                  "version": c["version"]} for c in doc["cvss"] if c.get("score") is not None],
        "vulnerablePackages": [_package(doc)],
    }
    if doc.get("vendor_severity"):
        out["vendorSeverity"] = doc["vendor_severity"]
    for key, field in (("vendorCreatedAt", "published"), ("vendorUpdatedAt", "modified")):
        when = epoch_of(doc.get(field))
        if when is not None:
            out[key] = when
    return out


def _package(doc: dict[str, Any]) -> dict[str, Any]:
    p = doc["package"]
    epoch, version, release = _split_version(p["version"], p["purl_type"])
    out: dict[str, Any] = {"name": p["name"], "version": version, "epoch": epoch,
                           "packageManager": p["package_manager"], "filePath": p["path"],
                           "sourceLayerHash": p["layer"]}
    if release:
        out["release"] = release
    if p.get("arch"):
        out["arch"] = p["arch"]
    if doc["fixed_version"]:
        out["fixedInVersion"] = doc["fixed_version"]
    return out


def _split_version(version: str, purl_type: str) -> tuple[int, str, str | None]:
    """dpkg and rpm versions as Inspector reports them: epoch, version, release."""
    if purl_type not in ("deb", "rpm"):
        return 0, version, None
    epoch = 0
    head, colon, rest = version.partition(":")
    if colon and head.isdigit():
        epoch, version = int(head), rest
    upstream, dash, release = version.rpartition("-")
    return (epoch, upstream, release) if dash else (epoch, version, None)


def _recommendation(doc: dict[str, Any]) -> str:
    if doc["fixed_version"]:
        return (f"Upgrade {doc['package']['name']} to version {doc['fixed_version']} "
                f"or later.")
    return "None Provided"


def _resource(repo: Repository, digest: str, tags: list[str], pushed_at: float, region: str
              ) -> dict[str, Any]:
    return {"type": "AWS_ECR_CONTAINER_IMAGE",
            "id": f"{repository_arn(region, repo.account_id, repo.name)}/{digest}",
            "details": {"awsEcrContainerImage": {
                "registry": repo.account_id, "repositoryName": repo.name, "imageHash": digest,
                "imageTags": tags, "pushedAt": pushed_at}}}


def filters(names: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"filter": f, "filterType": "WILDCARD"} for f in names]


def registry_configuration(config: ScanningConfig) -> dict[str, Any]:
    return {"scanType": config.scan_type, "rules": [
        {"scanFrequency": r.frequency, "repositoryFilters": filters(r.filters)}
        for r in config.rules]}


def repository_configuration(repo: Repository, how: Applied, region: str) -> dict[str, Any]:
    return {"repositoryArn": repository_arn(region, repo.account_id, repo.name),
            "repositoryName": repo.name, "scanOnPush": how.on_push,
            "scanFrequency": how.frequency, "appliedScanFilters": filters(how.filters)}
