"""The audit log: CloudTrail-shaped events as JSON lines, rotated, and read back.

Every write, every refusal and every login is recorded. Each worker process writes
its own file under ``<data dir>/audit/`` (so rotation never races another process)
through a queue, so a request never waits for the disk; ``read_events`` merges
the files in time order for ``berth audit``.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import queue
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAX_BYTES = 20 * 1024 * 1024
BACKUPS = 10


@dataclass(frozen=True)
class AuditEvent:
    event_name: str              # the ECR (or IAM, STS) operation
    source: str                  # "ecr.amazonaws.com", "iam.amazonaws.com", ...
    principal_arn: str | None
    account_id: str | None       # the caller's account
    access_key_id: str | None
    source_ip: str | None
    user_agent: str | None
    request_id: str
    resource_arn: str | None
    recipient_account: str | None
    read_only: bool
    error_code: str | None = None
    error_message: str | None = None
    details: dict[str, Any] | None = None  # what a service did on its own (no request)

    def cloudtrail(self, region: str, when: datetime) -> dict[str, Any]:
        identity: dict[str, Any] = {"type": "Unknown"}
        if self.principal_arn:
            identity = {"type": "Root" if self.principal_arn.endswith(":root") else "IAMUser",
                        "arn": self.principal_arn, "accountId": self.account_id,
                        "accessKeyId": self.access_key_id}
        event: dict[str, Any] = {
            "eventVersion": "1.08", "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": self.source, "eventName": self.event_name, "awsRegion": region,
            "sourceIPAddress": self.source_ip, "userAgent": self.user_agent,
            "userIdentity": identity, "requestID": self.request_id,
            "eventID": str(uuid.uuid4()), "readOnly": self.read_only,
            "eventType": "AwsApiCall", "recipientAccountId": self.recipient_account,
            "resources": [{"ARN": self.resource_arn, "accountId": self.recipient_account}]
            if self.resource_arn else [],
            "decision": "denied" if self.error_code in DENIALS else "allowed",
        }
        if self.error_code:
            event["errorCode"] = self.error_code
            event["errorMessage"] = self.error_message
        if self.details is not None:
            event["eventType"] = "AwsServiceEvent"
            event["userIdentity"] = {"type": "AWSService", "invokedBy": self.source}
            event["serviceEventDetails"] = self.details
        return event


DENIALS = frozenset({"AccessDenied", "AccessDeniedException", "DENIED", "UNAUTHORIZED",
                     "UnrecognizedClientException", "InvalidSignatureException"})


class AuditLog:
    def __init__(self, directory: Path, region: str) -> None:
        self.region = region
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"audit-{socket.gethostname()}-{os.getpid()}.jsonl"
        self._file = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        self._file.setFormatter(logging.Formatter("%(message)s"))
        self._queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self._listener = logging.handlers.QueueListener(self._queue, self._file)
        self._listener.start()
        self._logger = logging.Logger(f"berth.audit.{id(self)}")
        self._logger.addHandler(logging.handlers.QueueHandler(self._queue))
        self._logger.propagate = False

    def record(self, event: AuditEvent) -> None:
        self._logger.info(json.dumps(event.cloudtrail(self.region, datetime.now(UTC)),
                                     separators=(",", ":")))

    def close(self) -> None:
        self._listener.stop()
        self._file.close()


def read_events(directory: Path, principal: str | None = None, action: str | None = None,
                since: datetime | None = None, until: datetime | None = None
                ) -> Iterator[dict[str, Any]]:
    """Every event of every file (rotated ones too), oldest first, filtered."""
    events: list[dict[str, Any]] = []
    for path in sorted(directory.glob("audit-*.jsonl*")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue  # a line cut by a crash
    events.sort(key=lambda e: e.get("eventTime", ""))
    for event in events:
        if _wanted(event, principal, action, since, until):
            yield event


def _wanted(event: dict[str, Any], principal: str | None, action: str | None,
            since: datetime | None, until: datetime | None) -> bool:
    if principal and principal not in str(event.get("userIdentity", {}).get("arn", "")):
        return False
    if action and event.get("eventName", "").lower() != action.lower().removeprefix("ecr:"):
        return False
    when = event.get("eventTime", "")
    if since and when < since.strftime("%Y-%m-%dT%H:%M:%SZ"):
        return False
    return not (until and when > until.strftime("%Y-%m-%dT%H:%M:%SZ"))
