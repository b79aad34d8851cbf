"""Reading a request body whole, with a cap, for the requests whose body is a document."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable


async def read_capped(chunks: AsyncIterable[bytes], limit: int,
                      too_large: Callable[[], Exception]) -> bytes:
    """Every chunk joined; ``too_large()`` is raised as soon as they pass ``limit`` bytes,
    so no more than ``limit`` and one chunk is ever held."""
    body = bytearray()
    async for chunk in chunks:
        body.extend(chunk)
        if len(body) > limit:
            raise too_large()
    return bytes(body)
