"""The AWS query-protocol APIs berth answers: STS (and, later, IAM)."""
