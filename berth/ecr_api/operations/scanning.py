"""Image scanning: start a scan, read its findings, and the scanning configuration."""

from __future__ import annotations

from typing import Any

from berth.ecr_api import scan_shapes
from berth.ecr_api.call import Call, encode_token, is_offset
from berth.errors import NameUnknown
from berth.services.scan_config import ENHANCED, Rule


async def start_image_scan(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    record = await call.image(repo)
    scan = await call.services.scanning.start(repo, record)
    return {"registryId": repo.account_id, "repositoryName": repo.name,
            "imageId": call.image_id(record.digest), "imageScanStatus": scan_shapes.status(scan)}


async def describe_image_scan_findings(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    record = await call.image(repo)
    scan, docs = await call.services.scanning.findings(repo, record)
    after, limit = call.page(100, is_offset)
    start = int(after or 0)
    page = docs[start:start + limit]
    out: dict[str, Any] = {"registryId": repo.account_id, "repositoryName": repo.name,
                           "imageId": call.image_id(record.digest),
                           "imageScanStatus": scan_shapes.status(scan)}
    findings = scan_shapes.summary(scan)
    if findings is not None:
        findings["findings"] = [scan_shapes.basic_finding(d) for d in page]
        if scan.scan_type == ENHANCED:
            tags = (await call.services.meta.tags_of(repo.id, [record.digest]))[record.digest]
            findings["enhancedFindings"] = [
                scan_shapes.enhanced_finding(d, repo, record.digest, tags, record.pushed_at,
                                             call.region) for d in page]
        out["imageScanFindings"] = findings
    if start + limit < len(docs):
        out["nextToken"] = encode_token(start + limit)
    return out


async def put_registry_scanning_configuration(call: Call) -> dict[str, Any]:
    rules = [Rule(r["scanFrequency"], tuple(f["filter"] for f in r["repositoryFilters"]))
             for r in call.params.get("rules") or []]
    config = await call.services.scanning.put_configuration(
        call.caller.account_id, call.params.get("scanType") or "BASIC", rules)
    return {"registryScanningConfiguration": scan_shapes.registry_configuration(config)}


async def get_registry_scanning_configuration(call: Call) -> dict[str, Any]:
    account = call.caller.account_id
    config = await call.services.scanning.configuration(account)
    return {"registryId": account,
            "scanningConfiguration": scan_shapes.registry_configuration(config)}


async def batch_get_repository_scanning_configuration(call: Call) -> dict[str, Any]:
    found, failures = [], []
    for name in call.params["repositoryNames"]:
        try:
            repo = await call.services.repositories.get(call.registry(), name)
        except NameUnknown:
            failures.append({"repositoryName": name, "failureCode": "REPOSITORY_NOT_FOUND",
                             "failureReason": "REPOSITORY_NOT_FOUND"})
            continue
        how = await call.services.scanning.applied(repo)
        found.append(scan_shapes.repository_configuration(repo, how, call.region))
    return {"scanningConfigurations": found, "failures": failures}
