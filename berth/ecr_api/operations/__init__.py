"""Every ECR operation berth serves, by the name in botocore's model."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from berth.ecr_api.call import Call
from berth.ecr_api.operations import (
    images,
    layers,
    lifecycle,
    policies,
    registry,
    repositories,
    scanning,
    templates,
)

Handler = Callable[[Call], Awaitable[dict[str, Any]]]


def _operation_name(function_name: str) -> str:
    return "".join(part.capitalize() for part in function_name.split("_"))


def _collect(*modules: ModuleType) -> dict[str, Handler]:
    """Every public coroutine function ``name(call)`` of the modules, by operation name."""
    found: dict[str, Handler] = {}
    for module in modules:
        for name, value in vars(module).items():
            if (not name.startswith("_") and inspect.iscoroutinefunction(value)
                    and value.__module__ == module.__name__
                    and list(inspect.signature(value).parameters) == ["call"]):
                found[_operation_name(name)] = value
    return found


HANDLERS: dict[str, Handler] = _collect(images, layers, lifecycle, policies, registry,
                                        repositories, scanning, templates)
