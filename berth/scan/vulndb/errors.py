"""What the vulnerability database refuses, as exceptions callers can tell apart."""

from __future__ import annotations


class VulnDbError(Exception):
    """Base class: something about a vulnerability database is wrong."""


class SourceError(VulnDbError):
    """An import source is missing or is neither a zip file nor a directory.

    Raised by build() before it writes anything."""


class NotADatabase(VulnDbError):
    """A file is not a vulnerability database of the schema this code reads."""


class ArtifactError(VulnDbError):
    """An OCI artifact layer is corrupt, too large, or not the database expected."""
