"""Lifecycle policies with ECR's semantics: parse a policy, evaluate it — both pure.

``parse_policy(text)`` → ``LifecyclePolicy`` or ``LifecyclePolicyError``;
``evaluate(policy, images, now)`` → ``[Decision]``. See ``docs/lifecycle.md``.
"""

from berth.lifecycle.evaluate import Decision, ImageFacts, evaluate
from berth.lifecycle.policy import LifecyclePolicy, LifecyclePolicyError, Rule, parse_policy

__all__ = ["Decision", "ImageFacts", "LifecyclePolicy", "LifecyclePolicyError", "Rule",
           "evaluate", "parse_policy"]
