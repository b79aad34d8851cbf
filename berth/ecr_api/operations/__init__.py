"""Every ECR operation berth serves, by the name in botocore's model."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from berth.ecr_api.call import Call
from berth.ecr_api.operations import (
    images,
    layers,
    lifecycle,
    registry,
    repositories,
    templates,
)

Handler = Callable[[Call], Awaitable[dict[str, Any]]]


def _operation_name(function_name: str) -> str:
    return "".join(part.capitalize() for part in function_name.split("_"))


def _collect(*modules: ModuleType) -> dict[str, Handler]:
    found: dict[str, Handler] = {}
    for module in modules:
        for name, value in vars(module).items():
            if (callable(value) and not name.startswith("_")
                    and getattr(value, "__module__", None) == module.__name__
                    and re.fullmatch(r"[a-z_]+", name) and name.count("_") >= 1
                    and _is_handler(value)):
                found[_operation_name(name)] = value
    return found


def _is_handler(function: Any) -> bool:
    import inspect

    if not inspect.iscoroutinefunction(function):
        return False
    params = list(inspect.signature(function).parameters)
    return params == ["call"]


HANDLERS: dict[str, Handler] = _collect(images, layers, lifecycle, registry, repositories,
                                        templates)
