"""Lifecycle policy text → rules, refused where ECR refuses it.

Pure: no I/O, no clock. The vocabulary is the policy document's own, lower case
(``tagged``, ``expire``, ``archive``); the ECR API upper-cases it where its shapes
say so (``EXPIRE``, ``ARCHIVE``). ``docs/lifecycle.md`` lists every check made here
with the AWS page or reference section it comes from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, NoReturn, cast

TagStatus = Literal["tagged", "untagged", "any"]
CountType = Literal[
    "imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"]
StorageClass = Literal["standard", "archive"]
ActionType = Literal["expire", "transition"]

MIN_TEXT_CHARS = 100      # botocore model, shape LifecyclePolicyText
MAX_TEXT_CHARS = 30_720   # same shape; also the "Lifecycle policy length" quota
MAX_RULES = 50            # quota "Rules per lifecycle policy"
MAX_WILDCARDS = 4         # per tagPatternList entry
MIN_ARCHIVE_DAYS = 90     # archived images are kept at least this long

TAG_STATUSES: tuple[TagStatus, ...] = ("tagged", "untagged", "any")
COUNT_TYPES: tuple[CountType, ...] = (
    "imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")
AGE_COUNT_TYPES: frozenset[str] = frozenset(COUNT_TYPES[1:])
STORAGE_CLASSES: tuple[StorageClass, ...] = ("standard", "archive")
ACTION_TYPES: tuple[ActionType, ...] = ("expire", "transition")

_RULE_FIELDS = frozenset({"rulePriority", "description", "selection", "action"})
_SELECTION_FIELDS = frozenset({"tagStatus", "tagPrefixList", "tagPatternList", "storageClass",
                               "countType", "countUnit", "countNumber"})
_ACTION_FIELDS = frozenset({"type", "targetStorageClass"})


class LifecyclePolicyError(ValueError):
    """The policy text is one ECR would refuse; ``message`` names the rule and the reason.

    ``rule_priority`` is the offending rule's ``rulePriority`` when it has a valid one.
    """

    def __init__(self, message: str, rule_priority: int | None = None) -> None:
        self.message = message
        self.rule_priority = rule_priority
        super().__init__(message)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One rule, its selection and action flattened; optional fields hold their defaults."""

    priority: int
    description: str = ""
    tag_status: TagStatus
    tag_prefixes: tuple[str, ...] = ()
    tag_patterns: tuple[str, ...] = ()
    count_type: CountType
    count_unit: Literal["days"] | None = None
    count_number: int
    storage_class: StorageClass = "standard"
    action: ActionType = "expire"
    target_storage_class: Literal["archive"] | None = None


@dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    """The rules in evaluation order: ascending ``priority`` (1 is applied first)."""

    rules: tuple[Rule, ...]


def parse_policy(text: str) -> LifecyclePolicy:
    """Parse and validate a policy text; raise LifecyclePolicyError saying what is wrong."""
    if not MIN_TEXT_CHARS <= len(text) <= MAX_TEXT_CHARS:
        _refuse(f"the policy text must be {MIN_TEXT_CHARS} to {MAX_TEXT_CHARS:,} characters "
                f"long; it has {len(text):,}")
    raw_rules = _rules_array(_load_json(text))
    rules = [_parse_rule(raw, index) for index, raw in enumerate(raw_rules)]
    _check_across_rules(rules)
    return LifecyclePolicy(tuple(sorted(rules, key=lambda rule: rule.priority)))


# --- the document --------------------------------------------------------------------

def _refuse(message: str, priority: int | None = None) -> NoReturn:
    raise LifecyclePolicyError(message, priority)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        _refuse(f"the policy text is not valid JSON: {exc}")


def _rules_array(document: Any) -> list[Any]:
    if not isinstance(document, dict):
        _refuse("the policy must be a JSON object with a \"rules\" array")
    _check_fields(document, "the policy", required={"rules"}, allowed=frozenset({"rules"}))
    rules = document["rules"]
    if not isinstance(rules, list):
        _refuse("\"rules\" must be an array")
    if not 1 <= len(rules) <= MAX_RULES:
        _refuse(f"a policy has 1 to {MAX_RULES} rules; this one has {len(rules)}")
    return rules


def _check_fields(obj: dict[str, Any], what: str, *, required: set[str],
                  allowed: frozenset[str], priority: int | None = None) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        _refuse(f"{what} has unknown field(s) {_names(unknown)}", priority)
    missing = sorted(required - set(obj))
    if missing:
        _refuse(f"{what} is missing required field(s) {_names(missing)}", priority)


def _names(fields: list[str]) -> str:
    return ", ".join(f'"{field}"' for field in fields)


# --- one rule ----------------------------------------------------------------------------

def _parse_rule(raw: Any, index: int) -> Rule:
    if not isinstance(raw, dict):
        _refuse(f"rule #{index + 1} in the list must be a JSON object")
    priority = _priority(raw, index)
    where = f"rule {priority}"
    _check_fields(raw, where, required={"rulePriority", "selection", "action"},
                  allowed=_RULE_FIELDS, priority=priority)
    description = raw.get("description", "")
    if not isinstance(description, str):
        _refuse(f"{where}: description must be a string", priority)
    selection = _selection(raw["selection"], priority)
    action, target = _action(raw["action"], priority)
    rule = Rule(priority=priority, description=description, action=action,
                target_storage_class=target, **selection)
    _check_action_fits_count(rule)
    return rule


def _priority(raw: dict[str, Any], index: int) -> int:
    if "rulePriority" not in raw:
        _refuse(f"rule #{index + 1} in the list is missing required field(s) \"rulePriority\"")
    value = raw["rulePriority"]
    if not _is_int(value) or value < 1:
        _refuse(f"rule #{index + 1} in the list: rulePriority must be a positive integer, "
                f"not {json.dumps(value)}")
    return cast(int, value)


def _is_int(value: Any) -> bool:
    # JSON true/false are bool, a subclass of int in Python; 1.0 is a number, not an integer.
    return isinstance(value, int) and not isinstance(value, bool)


def _enum(obj: dict[str, Any], field: str, allowed: tuple[str, ...], priority: int) -> Any:
    value = obj[field]
    if value not in allowed:
        _refuse(f"rule {priority}: {field} must be one of {', '.join(allowed)}, "
                f"not {json.dumps(value)}", priority)
    return value


def _selection(raw: Any, priority: int) -> dict[str, Any]:
    where = f"rule {priority}"
    if not isinstance(raw, dict):
        _refuse(f"{where}: selection must be a JSON object", priority)
    _check_fields(raw, f"{where}: selection", required={"tagStatus", "countType", "countNumber"},
                  allowed=_SELECTION_FIELDS, priority=priority)
    tag_status = _enum(raw, "tagStatus", TAG_STATUSES, priority)
    count_type = _enum(raw, "countType", COUNT_TYPES, priority)
    count_number = raw["countNumber"]
    if not _is_int(count_number) or count_number < 1:
        _refuse(f"{where}: countNumber must be a positive integer, "
                f"not {json.dumps(count_number)}", priority)
    prefixes = _tag_list(raw, "tagPrefixList", priority)
    patterns = _tag_list(raw, "tagPatternList", priority)
    _check_tag_filters(tag_status, prefixes, patterns, priority)
    return {"tag_status": tag_status, "tag_prefixes": prefixes or (),
            "tag_patterns": patterns or (), "count_type": count_type,
            "count_unit": _count_unit(raw, count_type, priority), "count_number": count_number,
            "storage_class": _storage_class(raw, count_type, priority)}


def _tag_list(raw: dict[str, Any], field: str, priority: int) -> tuple[str, ...] | None:
    if field not in raw:
        return None
    values = raw[field]
    if not isinstance(values, list) or not values:
        _refuse(f"rule {priority}: {field} must be a non-empty array of strings", priority)
    for value in values:
        if not isinstance(value, str) or not value:
            _refuse(f"rule {priority}: {field} entries must be non-empty strings, "
                    f"not {json.dumps(value)}", priority)
        if field == "tagPatternList" and value.count("*") > MAX_WILDCARDS:
            _refuse(f"rule {priority}: tagPatternList entry {json.dumps(value)} has "
                    f"{value.count('*')} wildcards; at most {MAX_WILDCARDS} are allowed",
                    priority)
    return tuple(values)


def _check_tag_filters(tag_status: str, prefixes: tuple[str, ...] | None,
                       patterns: tuple[str, ...] | None, priority: int) -> None:
    where = f"rule {priority}"
    if tag_status != "tagged":
        if prefixes is not None or patterns is not None:
            _refuse(f"{where}: tagPrefixList and tagPatternList are only allowed with "
                    f"tagStatus tagged, not {tag_status}", priority)
    elif prefixes is None and patterns is None:
        _refuse(f"{where}: tagStatus tagged needs a tagPrefixList or a tagPatternList",
                priority)
    elif prefixes is not None and patterns is not None:
        _refuse(f"{where}: a rule may have a tagPrefixList or a tagPatternList, not both",
                priority)


def _count_unit(raw: dict[str, Any], count_type: str, priority: int) -> Literal["days"] | None:
    where = f"rule {priority}"
    if count_type not in AGE_COUNT_TYPES:
        if "countUnit" in raw:
            _refuse(f"{where}: countUnit is not allowed with countType {count_type}", priority)
        return None
    if "countUnit" not in raw:
        _refuse(f"{where}: countUnit is required with countType {count_type}", priority)
    if raw["countUnit"] != "days":
        _refuse(f"{where}: countUnit must be days, not {json.dumps(raw['countUnit'])}", priority)
    return "days"


def _storage_class(raw: dict[str, Any], count_type: str, priority: int) -> StorageClass:
    where = f"rule {priority}"
    if "storageClass" in raw:
        value: StorageClass = _enum(raw, "storageClass", STORAGE_CLASSES, priority)
    elif count_type == "sinceImageTransitioned":
        _refuse(f"{where}: countType sinceImageTransitioned needs storageClass archive",
                priority)
    else:
        return "standard"
    if count_type == "sinceImageTransitioned" and value != "archive":
        _refuse(f"{where}: countType sinceImageTransitioned needs storageClass archive",
                priority)
    if count_type != "sinceImageTransitioned" and value != "standard":
        _refuse(f"{where}: storageClass archive is only allowed with countType "
                f"sinceImageTransitioned, not {count_type}", priority)
    return value


def _action(raw: Any, priority: int) -> tuple[ActionType, Literal["archive"] | None]:
    where = f"rule {priority}"
    if not isinstance(raw, dict):
        _refuse(f"{where}: action must be a JSON object", priority)
    _check_fields(raw, f"{where}: action", required={"type"}, allowed=_ACTION_FIELDS,
                  priority=priority)
    action: ActionType = _enum(raw, "type", ACTION_TYPES, priority)
    if action == "expire":
        if "targetStorageClass" in raw:
            _refuse(f"{where}: targetStorageClass is only allowed with action transition",
                    priority)
        return action, None
    if raw.get("targetStorageClass") != "archive":
        _refuse(f"{where}: action transition needs targetStorageClass archive, not "
                f"{json.dumps(raw.get('targetStorageClass'))}", priority)
    return action, "archive"


def _check_action_fits_count(rule: Rule) -> None:
    where, priority = f"rule {rule.priority}", rule.priority
    if rule.count_type == "sinceImagePulled" and rule.action != "transition":
        _refuse(f"{where}: countType sinceImagePulled can only transition images to "
                "archive, not expire them", priority)
    if rule.count_type == "sinceImageTransitioned":
        if rule.action != "expire":
            _refuse(f"{where}: countType sinceImageTransitioned can only expire images",
                    priority)
        if rule.count_number < MIN_ARCHIVE_DAYS:
            _refuse(f"{where}: archived images are kept at least {MIN_ARCHIVE_DAYS} days, "
                    f"so countNumber must be {MIN_ARCHIVE_DAYS} or more, not "
                    f"{rule.count_number}", priority)


# --- the rules together ------------------------------------------------------------------

def _check_across_rules(rules: list[Rule]) -> None:
    seen: dict[int, Rule] = {}
    for rule in rules:
        if rule.priority in seen:
            _refuse(f"rule {rule.priority}: rulePriority {rule.priority} is used by more "
                    "than one rule", rule.priority)
        seen[rule.priority] = rule
    for storage_class in STORAGE_CLASSES:
        same_class = sorted((r for r in rules if r.storage_class == storage_class),
                            key=lambda r: r.priority)
        _check_one_untagged(same_class)
        _check_any_last(same_class)
        _check_unique_filters(same_class)


def _check_one_untagged(rules: list[Rule]) -> None:
    untagged = [rule for rule in rules if rule.tag_status == "untagged"]
    if len(untagged) > 1:
        first, second = untagged[0], untagged[1]
        _refuse(f"rule {second.priority}: only one rule selecting {second.storage_class} "
                f"images may select untagged images, and rule {first.priority} already does",
                second.priority)


def _check_any_last(rules: list[Rule]) -> None:
    for rule in rules[:-1]:
        if rule.tag_status == "any":
            last = rules[-1]
            _refuse(f"rule {rule.priority}: a rule with tagStatus any must have the highest "
                    f"rulePriority of the rules selecting {rule.storage_class} images, but "
                    f"rule {last.priority} is higher", rule.priority)


def _check_unique_filters(rules: list[Rule]) -> None:
    seen: dict[tuple[str, frozenset[str]], Rule] = {}
    for rule in rules:
        if rule.tag_status != "tagged":
            continue
        key = (("prefixes", frozenset(rule.tag_prefixes)) if rule.tag_prefixes
               else ("patterns", frozenset(rule.tag_patterns)))
        if key in seen:
            _refuse(f"rule {rule.priority}: selects the same tag {key[0]} as rule "
                    f"{seen[key].priority}; rules selecting {rule.storage_class} images "
                    "must have unique tag filters", rule.priority)
        seen[key] = rule
