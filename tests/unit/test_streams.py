"""read_capped: a body joined whole, refused as soon as it passes its cap."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from berth.streams import read_capped


class TooLarge(Exception):
    pass


async def chunks(*parts: bytes, then_fail: bool = False) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
    if then_fail:
        raise AssertionError("read past the cap")


async def test_a_body_at_the_cap_is_read_whole() -> None:
    assert await read_capped(chunks(b"ab", b"", b"cd"), 4, TooLarge) == b"abcd"
    assert await read_capped(chunks(), 4, TooLarge) == b""


async def test_the_first_chunk_past_the_cap_stops_the_read() -> None:
    with pytest.raises(TooLarge):
        await read_capped(chunks(b"ab", b"cde", then_fail=True), 4, TooLarge)
