"""The offline vulnerability database: OSV exports in, one SQLite file per version out.

    build(sources, dest_dir, now=...)   OSV all.zip files / directories -> a new file
    VulnDbHome(path)                    which file is current; install, rollback
    VulnDb(path)                        lookup(ecosystem, names), advisories(ids), info()
    changed_keys(old, new)              the (ecosystem, name) keys a switch concerns
    artifact_layer / unpack_artifact_layer   the file as an OCI artifact layer

The file format is drawn in ``schema``; validation rules are in ``osv``.
"""

from berth.scan.vulndb.artifact import (
    ARTIFACT_TYPE,
    LAYER_MEDIA_TYPE,
    artifact_annotations,
    artifact_layer,
    unpack_artifact_layer,
)
from berth.scan.vulndb.builder import BuildResult, build
from berth.scan.vulndb.diff import changed_keys
from berth.scan.vulndb.errors import ArtifactError, NotADatabase, SourceError, VulnDbError
from berth.scan.vulndb.home import VulnDbHome
from berth.scan.vulndb.read import DbInfo, VulnDb
from berth.scan.vulndb.schema import SCHEMA_VERSION, SourceStats

__all__ = [
    "ARTIFACT_TYPE",
    "LAYER_MEDIA_TYPE",
    "SCHEMA_VERSION",
    "ArtifactError",
    "BuildResult",
    "DbInfo",
    "NotADatabase",
    "SourceError",
    "SourceStats",
    "VulnDb",
    "VulnDbError",
    "VulnDbHome",
    "artifact_annotations",
    "artifact_layer",
    "build",
    "changed_keys",
    "unpack_artifact_layer",
]
