"""Maven versions, ordered like Maven's ``ComparableVersion``.

The lower-cased string is cut at ``.``, at ``-`` and where digits meet non-digits; a
``-`` or a digit/letter change opens a nested list, so ``1.0-alpha-1`` is
``[1, [alpha, [1]]]``. Trailing "null" items (0, the empty qualifier, empty lists) are
dropped, so ``1 = 1.0 = 1-0 = 1.0.0-ga``. Items compare number > list > qualifier;
numbers numerically; qualifiers ``alpha (a) < beta (b) < milestone (m) < rc = cr <
snapshot < "" = ga = final = release < sp``, unknown qualifiers after all of those in
lexical order (``a``, ``b``, ``m`` only abbreviate when a digit follows). A missing item
compares as null: a number is newer than null unless it is 0, a qualifier older unless
it ranks after "", a list like its first item.

Like ComparableVersion (Maven 3.x, plus the newer ``release`` alias), this is not a total
order on every string: dropping a null item that precedes a list reshapes the version,
so ``1.0.snapshot < 1 < 1.0-1 < 1.0.snapshot``. Without null items it is transitive.
Maven accepts any string; here an empty string, whitespace or non-ASCII is
``UnparsableVersion``.
"""

from __future__ import annotations

import re

from berth.scan.versions.base import UnparsableVersion

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_RELEASE = str(_QUALIFIERS.index(""))
_ACCEPTED = re.compile(r"[\x21-\x7e]+")

Item = int | str | list["Item"]   # number | comparable qualifier | nested list


def _qualifier(text: str, followed_by_digit: bool) -> str:
    """The qualifier's comparable form: its rank as a digit, or "7-<text>" if unknown."""
    if followed_by_digit and text in _SHORT:
        text = _SHORT[text]
    text = _ALIASES.get(text, text)
    if text in _QUALIFIERS:
        return str(_QUALIFIERS.index(text))
    return f"{len(_QUALIFIERS)}-{text}"


def _is_null(item: Item) -> bool:
    return item == 0 or item == _RELEASE or item == []


def _normalize(items: list[Item]) -> None:
    """Drop trailing null items, looking through trailing non-empty lists."""
    for i in range(len(items) - 1, -1, -1):
        if _is_null(items[i]):
            del items[i]
        elif not isinstance(items[i], list):
            break


def _sign(a: int | str, b: int | str) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def _compare_null(item: Item) -> int:
    """How ``item`` compares with nothing at all."""
    if isinstance(item, int):
        return 0 if item == 0 else 1
    if isinstance(item, str):
        return _sign(item, _RELEASE)
    return _compare_null(item[0]) if item else 0


_KIND = {int: 2, list: 1, str: 0}   # number > list > qualifier


def compare_items(a: Item, b: Item) -> int:
    """-1, 0 or 1: ComparableVersion's order of two items (lists element by element)."""
    if type(a) is not type(b):
        return _sign(_KIND[type(a)], _KIND[type(b)])
    if not isinstance(a, list):
        return _sign(a, b)  # type: ignore[arg-type]
    assert isinstance(b, list)
    for x, y in zip(a, b, strict=False):
        if result := compare_items(x, y):
            return result
    for x in a[len(b):]:
        if result := _compare_null(x):
            return result
    for y in b[len(a):]:
        if result := _compare_null(y):
            return -result
    return 0


class MavenKey:
    """Sort key of a Maven version: its normalised item list."""

    __slots__ = ("items",)

    def __init__(self, items: list[Item]) -> None:
        self.items = items

    def __lt__(self, other: MavenKey) -> bool:
        return compare_items(self.items, other.items) < 0

    def __eq__(self, other: object) -> bool:
        # by order, so that sorting on tuples holding keys breaks ties consistently
        return isinstance(other, MavenKey) and compare_items(self.items, other.items) == 0

    __hash__ = None  # type: ignore[assignment]  # equal keys may differ in structure

    def __repr__(self) -> str:
        return f"MavenKey({self.items!r})"


class _Builder:
    """Cuts a lower-cased version into the nested item lists (ComparableVersion.parseVersion)."""

    def __init__(self) -> None:
        self.root: list[Item] = []
        self.current = self.root
        self.opened = [self.root]

    def add(self, item: Item) -> None:
        self.current.append(item)

    def open_list(self) -> None:
        nested: list[Item] = []
        self.current.append(nested)
        self.current = nested
        self.opened.append(nested)

    def finish(self) -> list[Item]:
        for items in reversed(self.opened):
            _normalize(items)
        return self.root


def _item(text: str, is_digit: bool) -> Item:
    return int(text) if is_digit else _qualifier(text, followed_by_digit=False)


def _items(version: str) -> list[Item]:
    b, is_digit, start = _Builder(), False, 0
    for i, c in enumerate(version):
        if c in ".-":
            b.add(_item(version[start:i], is_digit) if i > start else 0)
            start = i + 1
            if c == "-":
                b.open_list()
        elif c.isdigit():
            if not is_digit and i > start:
                b.add(_qualifier(version[start:i], followed_by_digit=True))
                start = i
                b.open_list()
            is_digit = True
        else:
            if is_digit and i > start:
                b.add(int(version[start:i]))
                start = i
                b.open_list()
            is_digit = False
    if len(version) > start:
        b.add(_item(version[start:], is_digit))
    return b.finish()


def parse(version: str) -> MavenKey:
    """Sort key of a Maven version; ``UnparsableVersion`` for empty, spaced or non-ASCII."""
    if not _ACCEPTED.fullmatch(version):
        raise UnparsableVersion("maven", version, "empty, or not printable ASCII")
    return MavenKey(_items(version.lower()))
