"""Lifecycle policy operations: put, get, delete, and the preview."""

from __future__ import annotations

from typing import Any

from berth.ecr_api.call import Call, encode_token, is_offset
from berth.services.image_batches import matches_tag_status


def _names(call: Call, repo_account: str, repo_name: str) -> dict[str, Any]:
    return {"registryId": repo_account, "repositoryName": repo_name}


async def put_lifecycle_policy(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    text = call.params["lifecyclePolicyText"]
    await call.services.lifecycle.put(repo, text)
    return {**_names(call, repo.account_id, repo.name), "lifecyclePolicyText": text}


async def get_lifecycle_policy(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    text, evaluated = await call.services.lifecycle.get(repo)
    return {**_names(call, repo.account_id, repo.name), "lifecyclePolicyText": text,
            "lastEvaluatedAt": evaluated}


async def delete_lifecycle_policy(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    text, evaluated = await call.services.lifecycle.delete(repo)
    return {**_names(call, repo.account_id, repo.name), "lifecyclePolicyText": text,
            "lastEvaluatedAt": evaluated}


async def start_lifecycle_policy_preview(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    preview = await call.services.lifecycle.start_preview(
        repo, call.params.get("lifecyclePolicyText"))
    return {**_names(call, repo.account_id, repo.name),
            "lifecyclePolicyText": preview.document, "status": preview.status}


def _action(result: dict[str, Any]) -> dict[str, Any]:
    action: dict[str, Any] = {"type": str(result["action"]).upper()}
    if result["target"]:
        action["targetStorageClass"] = str(result["target"]).upper()
    return action


def _matches(result: dict[str, Any], tag_status: str, ids: list[dict[str, Any]] | None
             ) -> bool:
    if not matches_tag_status(tag_status, result["tags"]):
        return False
    if ids is None:
        return True
    return any(i.get("imageDigest") == result["digest"] or i.get("imageTag") in result["tags"]
               for i in ids)


async def get_lifecycle_policy_preview(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    preview = await call.services.lifecycle.preview(repo)
    results = preview.results or []
    tag_status = str((call.params.get("filter") or {}).get("tagStatus") or "ANY")
    chosen = [r for r in results if _matches(r, tag_status, call.params.get("imageIds"))]
    after, limit = call.page(100, is_offset)
    start = int(after or 0)
    page = chosen[start:start + limit]
    transitions = sum(1 for r in results if r["action"] == "transition")
    out: dict[str, Any] = {
        **_names(call, repo.account_id, repo.name),
        "lifecyclePolicyText": preview.document, "status": preview.status,
        "previewResults": [
            {"imageTags": r["tags"], "imageDigest": r["digest"], "imagePushedAt": r["pushed_at"],
             "action": _action(r), "appliedRulePriority": r["rule"], "storageClass":
             "ARCHIVE" if r["action"] == "transition" else "STANDARD"} for r in page],
        "summary": {"expiringImageTotalCount": sum(1 for r in results
                                                   if r["action"] == "expire"),
                    "transitioningImageTotalCounts": [
                        {"targetStorageClass": "ARCHIVE", "imageTotalCount": transitions}]
                    if transitions else []},
    }
    if start + limit < len(chosen):
        out["nextToken"] = encode_token(start + limit)
    return out
