"""IAM policy documents and their evaluation: pure functions of their arguments."""

from berth.policy.conditions import Condition
from berth.policy.document import Policy, PolicyError, PrincipalId, Statement, parse
from berth.policy.evaluate import (
    ACCOUNT_ROOT,
    AccessRequest,
    Decision,
    StatementRef,
    evaluate,
)

__all__ = [
    "ACCOUNT_ROOT",
    "AccessRequest",
    "Condition",
    "Decision",
    "Policy",
    "PolicyError",
    "PrincipalId",
    "Statement",
    "StatementRef",
    "evaluate",
    "parse",
]
