"""botocore's ECR service model, the authority for berth's ECR JSON API.

The API is AWS JSON 1.1: ``POST /`` with ``X-Amz-Target:
AmazonEC2ContainerRegistry_V20150921.<Operation>`` and a JSON object body. This
module names the operations and their errors, validates request bodies against
input shapes the way AWS's service framework does, and cuts results down to output
shapes. It is pure: the only I/O is botocore reading the model bundled with it,
once, on first use (never ``~/.aws/models`` or ``AWS_DATA_PATH``).

Violations read as AWS's framework writes them::

    2 validation errors detected: Value null at 'repositoryName' failed to satisfy
    constraint: Member must not be null; Value '0' at 'maxResults' failed to satisfy
    constraint: Member must have value greater than or equal to 1

Paths give member names a lower-case first letter (ECR's ``Tag.Key`` is
``tags.1.member.key``), list elements as ``<list>.<n>.member`` counting from 1 and
map values as ``<map>.<key>.member``. A list or map of scalars is reported once,
naming every rule of its element shape (``Member must satisfy constraint: [...]``).
Values are shown as Java prints them (``null``, ``'[a, b]'``); blobs, sensitive
members and values longer than 1 KiB are withheld (``Value at '...'``).
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from berth.ecr_api.java_regex import compile_pattern

_SERVICE, _API_VERSION = "ecr", "2015-09-21"
_NOT_NULL = "Member must not be null"
_MAX_SHOWN = 1024
_CONTAINERS = frozenset({"structure", "list", "map"})
_NUMBERS = frozenset({"integer", "long", "double", "float"})
_KINDS = {
    "structure": "a structure", "list": "a list", "map": "a map", "string": "a string",
    "integer": "an integer", "long": "an integer", "boolean": "a boolean",
    "double": "a number", "float": "a number", "timestamp": "a timestamp",
    "blob": "base64-encoded binary",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: where, the value as AWS shows it, and the rule.

    ``shown`` is ``"null"``, a quoted value (``"'abc'"``) or ``""`` when withheld.
    """

    path: str
    shown: str
    constraint: str

    def __str__(self) -> str:
        value = f"Value {self.shown} at" if self.shown else "Value at"
        return f"{value} '{self.path}' failed to satisfy constraint: {self.constraint}"


class InvalidParameter(Exception):
    """A request body that breaks its input shape; ``message`` lists every violation."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        count = len(self.violations)
        noun = "error" if count == 1 else "errors"
        self.message = f"{count} validation {noun} detected: " + "; ".join(
            str(violation) for violation in self.violations)
        super().__init__(self.message)


class SerializationError(Exception):
    """A request body that is not a JSON object."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


# --- the model ---------------------------------------------------------------------

@functools.cache
def _model() -> ServiceModel:
    loader = Loader(extra_search_paths=[Loader.BUILTIN_DATA_PATH],
                    include_default_search_paths=False, include_default_extras=False)
    data = loader.load_service_model(_SERVICE, "service-2", api_version=_API_VERSION)
    return ServiceModel(data, service_name=_SERVICE)


def target_prefix() -> str:
    """The ``X-Amz-Target`` prefix before ``.<Operation>``."""
    return str(_model().metadata["targetPrefix"])


@functools.cache
def operation_names() -> frozenset[str]:
    return frozenset(_model().operation_names)


def has_operation(name: str) -> bool:
    return name in operation_names()


def error_names(operation: str) -> frozenset[str]:
    """The error shapes the operation declares (``ServerException``, ...)."""
    return frozenset(shape.name for shape in _operation(operation).error_shapes)


@functools.cache
def all_error_names() -> frozenset[str]:
    """Every exception shape in the model."""
    return frozenset(shape.name for shape in _model().error_shapes)


def _operation(name: str) -> OperationModel:
    """Raises KeyError for a name that is not an ECR operation."""
    if not has_operation(name):
        raise KeyError(f"ECR has no operation {name!r}")
    return _model().operation_model(name)


# --- rules of a shape --------------------------------------------------------------

@dataclass(frozen=True)
class _Rule:
    text: str
    holds: Callable[[Any], bool]


def _rules(shape: Shape) -> tuple[_Rule, ...]:
    return _rules_named(shape.name)


@functools.cache
def _rules_named(name: str) -> tuple[_Rule, ...]:
    return tuple(_build_rules(_model().shape_for(name)))


def _build_rules(shape: Shape) -> Iterator[_Rule]:
    """The shape's constraints, in the order AWS lists them."""
    meta = shape.metadata
    measure, size = ("value", _identity) if shape.type_name in _NUMBERS else ("length", len)
    if "max" in meta:
        top = meta["max"]
        yield _Rule(f"Member must have {measure} less than or equal to {top}",
                    lambda value: size(value) <= top)
    if "min" in meta:
        bottom = meta["min"]
        yield _Rule(f"Member must have {measure} greater than or equal to {bottom}",
                    lambda value: size(value) >= bottom)
    if "pattern" in meta:
        regex = compile_pattern(meta["pattern"])
        yield _Rule(f"Member must satisfy regular expression pattern: {meta['pattern']}",
                    lambda value: regex.fullmatch(value) is not None)
    if meta.get("enum"):
        allowed = tuple(meta["enum"])
        yield _Rule(f"Member must satisfy enum value set: [{', '.join(allowed)}]",
                    lambda value: value in allowed)


def _identity(value: Any) -> Any:
    return value


# --- validating input --------------------------------------------------------------

def validate_input(operation: str, params: Any) -> dict[str, Any]:
    """The request body checked against the operation's input shape, normalized.

    Returns a copy holding only the shape's members, with blobs decoded to bytes and
    timestamps as aware datetimes. Raises SerializationError when ``params`` is not a
    JSON object, InvalidParameter naming every violation, KeyError for an unknown
    operation.
    """
    shape = _operation(operation).input_shape
    if not isinstance(params, Mapping):
        raise SerializationError(_not_an_object(params))
    if shape is None:
        return {}
    errors: list[Violation] = []
    normalized = _structure(shape, params, "", errors)
    if errors:
        raise InvalidParameter(errors)
    return normalized or {}


def _not_an_object(params: Any) -> str:
    if isinstance(params, list):
        return "Start of list found where not expected"
    return f"Expected a JSON object as the request body, found {_java(params)!r}"


def _value(shape: Shape, value: Any, path: str, errors: list[Violation]) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, value, path, errors)
    if kind == "list":
        return _list(shape, value, path, errors)
    if kind == "map":
        return _map(shape, value, path, errors)
    return _scalar(shape, value, path, errors)


def _structure(shape: Shape, value: Any, path: str,
               errors: list[Violation]) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        errors.append(_mistyped(shape, value, path))
        return None
    required = set(shape.required_members)
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        where = _member_path(path, name)
        if value.get(name) is not None:
            out[name] = _value(member, value[name], where, errors)
        elif name in required:
            errors.append(Violation(where, "null", _NOT_NULL))
    return out


def _list(shape: Shape, value: Any, path: str, errors: list[Violation]) -> list[Any] | None:
    if not isinstance(value, list):
        errors.append(_mistyped(shape, value, path))
        return None
    _check(shape, value, value, path, errors)
    items = [(str(number), item) for number, item in enumerate(value, 1)]
    return _elements(shape.member, items, value, path, "Member", errors)


def _map(shape: Shape, value: Any, path: str, errors: list[Violation]) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        errors.append(_mistyped(shape, value, path))
        return None
    _check(shape, value, value, path, errors)
    _scalar_elements(shape.key, [(key, key) for key in value], value, path, "Map keys", errors)
    values = _elements(shape.value, list(value.items()), value, path, "Map value", errors)
    return dict(zip(value, values, strict=True))


def _elements(member: Shape, items: list[tuple[str, Any]], container: Any, path: str,
              label: str, errors: list[Violation]) -> list[Any]:
    if member.type_name not in _CONTAINERS:
        return _scalar_elements(member, items, container, path, label, errors)
    out = []
    for key, item in items:
        where = f"{path}.{key}.member"
        if item is None:
            errors.append(Violation(where, "null", _NOT_NULL))
        out.append(None if item is None else _value(member, item, where, errors))
    return out


def _scalar_elements(member: Shape, items: list[tuple[str, Any]], container: Any, path: str,
                     label: str, errors: list[Violation]) -> list[Any]:
    """Scalars in a list or map: AWS reports them once, naming every rule they carry."""
    out: list[Any] = []
    broken = nulls = False
    for key, item in items:
        converted = None if item is None else _convert(member, item)
        if isinstance(converted, _Mistyped):
            errors.append(_mistyped(member, item, f"{path}.{key}.member"))
            converted = None
        elif item is None:
            nulls = True
        elif not all(rule.holds(converted) for rule in _rules(member)):
            broken = True
        out.append(converted)
    if broken or nulls:
        texts = [rule.text for rule in _rules(member)] + ([_NOT_NULL] if nulls else [])
        errors.append(Violation(path, _shown(container, _withheld(member)),
                                f"{label} must satisfy constraint: [{', '.join(texts)}]"))
    return out


def _scalar(shape: Shape, value: Any, path: str, errors: list[Violation]) -> Any:
    converted = _convert(shape, value)
    if isinstance(converted, _Mistyped):
        errors.append(_mistyped(shape, value, path))
        return None
    _check(shape, value, converted, path, errors)
    return converted


def _check(shape: Shape, value: Any, converted: Any, path: str,
           errors: list[Violation]) -> None:
    shown = _shown(value, _withheld(shape))
    errors.extend(Violation(path, shown, rule.text)
                  for rule in _rules(shape) if not rule.holds(converted))


def _mistyped(shape: Shape, value: Any, path: str) -> Violation:
    kind = _KINDS.get(shape.type_name, shape.type_name)
    return Violation(path, _shown(value, _withheld(shape)), f"Member must be {kind}")


def _member_path(path: str, name: str) -> str:
    segment = name[:1].lower() + name[1:]
    return f"{path}.{segment}" if path else segment


# --- scalars: JSON value -> Python value ---------------------------------------------

class _Mistyped:
    """Returned, not raised, by converters: a value of the wrong JSON type."""


_MISTYPED = _Mistyped()


def _convert(shape: Shape, value: Any) -> Any:
    converter = _CONVERTERS.get(shape.type_name)
    return value if converter is None else converter(value)


def _string(value: Any) -> Any:
    return value if isinstance(value, str) else _MISTYPED


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else _MISTYPED


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(bits: int) -> Callable[[Any], Any]:
    """Java's int or long; an integral float (``5.0``) is accepted as AWS's reader does."""
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def convert(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            return _MISTYPED
        return value
    return convert


def _double(value: Any) -> Any:
    return float(value) if _is_number(value) else _MISTYPED


def _timestamp(value: Any) -> Any:
    """Epoch seconds (AWS JSON's wire form) or an ISO 8601 string; naive means UTC."""
    try:
        if _is_number(value):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (OverflowError, OSError, ValueError):
        pass
    return _MISTYPED


def _blob(value: Any) -> Any:
    if not isinstance(value, str):
        return _MISTYPED
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return _MISTYPED


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": _string, "boolean": _boolean, "integer": _whole(32), "long": _whole(64),
    "double": _double, "float": _double, "timestamp": _timestamp, "blob": _blob,
}


# --- showing values as AWS does --------------------------------------------------------

def _withheld(shape: Shape) -> bool:
    return shape.type_name == "blob" or bool(shape.metadata.get("sensitive"))


def _shown(value: Any, withheld: bool = False) -> str:
    if value is None:
        return "null"
    text = _java(value)
    return "" if withheld or len(text) > _MAX_SHOWN else f"'{text}'"


def _java(value: Any) -> str:
    """A JSON value as Java's toString prints it: true, [a, b], {k=v}."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_java(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}={_java(item)}" for key, item in value.items()) + "}"
    return str(value)


# --- shaping output ------------------------------------------------------------------

def shape_output(operation: str, result: Mapping[str, Any], *,
                 strict: bool = False) -> dict[str, Any]:
    """A service result rendered as the operation's response body.

    Keeps exactly the members the output shape defines, recursively, and drops None
    values; datetimes become epoch seconds (float) and bytes base64 text. Unknown keys
    are dropped, or with ``strict`` raise ValueError naming them. A structure that is
    not a mapping raises TypeError.
    """
    return _render_structure(_operation(operation).output_shape, result, operation, strict)


def _render(shape: Shape, value: Any, path: str, strict: bool) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _render_structure(shape, value, path, strict)
    if kind == "list":
        return [_render(shape.member, item, f"{path}.{number}", strict)
                for number, item in enumerate(value, 1) if item is not None]
    if kind == "map":
        return {str(key): _render(shape.value, item, f"{path}.{key}", strict)
                for key, item in value.items() if item is not None}
    return _render_scalar(kind, value)


def _render_structure(shape: Shape | None, value: Any, path: str,
                      strict: bool) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{path}: expected a mapping, got {type(value).__name__}")
    members = shape.members if shape is not None else {}
    unknown = next((key for key in value if key not in members), None) if strict else None
    if unknown is not None:
        owner = shape.name if shape is not None else "the operation's (empty) output"
        raise ValueError(f"{path}: {unknown!r} is not a member of {owner}")
    return {name: _render(member, value[name], f"{path}.{name}", strict)
            for name, member in members.items() if value.get(name) is not None}


def _render_scalar(kind: str, value: Any) -> Any:
    if kind == "timestamp":
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
        return float(value)
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, enum.Enum):
        return value.value
    return value
