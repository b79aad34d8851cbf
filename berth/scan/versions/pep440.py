"""Python package versions (PyPI), ordered by PEP 440 through ``packaging``.

``N!release[{a,b,rc}N][.postN][.devN][+local]``: dev < pre < final < post, a local
label sorts after the public version. Legacy (non-PEP 440) versions are unparsable.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from berth.scan.versions.base import UnparsableVersion


def parse(version: str) -> Version:
    """The ``packaging`` Version (itself the sort key); ``UnparsableVersion`` if invalid."""
    try:
        return Version(version)
    except InvalidVersion as error:
        raise UnparsableVersion("pep440", version, str(error)) from None
