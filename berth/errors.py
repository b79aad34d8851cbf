"""The one error registry.

Every failure a client can see is a subclass of ``BerthError`` that binds, once,
the distribution spec's error code with its HTTP status and the ECR exception
name the ECR API answers with. Handlers raise these; each plane has one renderer
(``berth.registry.responses.oci_error`` for ``/v2/``). Nothing else invents an
error body.
"""

from __future__ import annotations

from typing import Any, ClassVar


class BerthError(Exception):
    code: ClassVar[str] = "UNKNOWN"
    status: ClassVar[int] = 500
    ecr_exception: ClassVar[str] = "ServerException"
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None, detail: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.detail = detail
        self.headers = headers or {}
        super().__init__(self.message)

    def oci_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            error["detail"] = self.detail
        return {"errors": [error]}


class BlobUnknown(BerthError):
    code, status, ecr_exception = "BLOB_UNKNOWN", 404, "LayersNotFoundException"
    default_message = "blob unknown to registry"


class BlobUploadInvalid(BerthError):
    code, status, ecr_exception = "BLOB_UPLOAD_INVALID", 400, "InvalidLayerException"
    default_message = "blob upload invalid"


class UploadOutOfOrder(BlobUploadInvalid):
    """A chunk that does not start where the upload ends (416 per the spec)."""

    status, ecr_exception = 416, "InvalidLayerPartException"
    default_message = "chunk does not start at the end of the upload"


class BlobUploadUnknown(BerthError):
    code, status, ecr_exception = "BLOB_UPLOAD_UNKNOWN", 404, "UploadNotFoundException"
    default_message = "blob upload unknown to registry"


class DigestInvalid(BerthError):
    code, status, ecr_exception = "DIGEST_INVALID", 400, "InvalidLayerException"
    default_message = "provided digest did not match uploaded content"


class ManifestBlobUnknown(BerthError):
    code, status, ecr_exception = "MANIFEST_BLOB_UNKNOWN", 400, "LayersNotFoundException"
    default_message = "manifest references a manifest or blob unknown to registry"


class ManifestInvalid(BerthError):
    code, status, ecr_exception = "MANIFEST_INVALID", 400, "InvalidParameterException"
    default_message = "manifest invalid"


class ManifestTooLarge(ManifestInvalid):
    status = 413
    default_message = "manifest exceeds the 4 MiB limit"


class ManifestUnknown(BerthError):
    code, status, ecr_exception = "MANIFEST_UNKNOWN", 404, "ImageNotFoundException"
    default_message = "manifest unknown to registry"


class NameInvalid(BerthError):
    code, status, ecr_exception = "NAME_INVALID", 400, "InvalidParameterException"
    default_message = "invalid repository name"


class NameUnknown(BerthError):
    code, status, ecr_exception = "NAME_UNKNOWN", 404, "RepositoryNotFoundException"
    default_message = "repository name not known to registry"


class SizeInvalid(BerthError):
    code, status, ecr_exception = "SIZE_INVALID", 400, "InvalidParameterException"
    default_message = "provided length did not match content length"


class RangeNotSatisfiable(SizeInvalid):
    status = 416
    default_message = "requested range not satisfiable"


class TagInvalid(BerthError):
    code, status, ecr_exception = "TAG_INVALID", 400, "InvalidParameterException"
    default_message = "invalid tag"


class Unauthorized(BerthError):
    code, status, ecr_exception = "UNAUTHORIZED", 401, "UnrecognizedClientException"
    default_message = "authentication required"


class Denied(BerthError):
    code, status, ecr_exception = "DENIED", 403, "AccessDeniedException"
    default_message = "requested access to the resource is denied"


class Unsupported(BerthError):
    code, status, ecr_exception = "UNSUPPORTED", 415, "UnsupportedImageTypeException"
    default_message = "the operation is unsupported"


class MethodNotAllowed(Unsupported):
    status = 405
    default_message = "the operation is not allowed on this resource"


class TooManyRequests(BerthError):
    code, status, ecr_exception = "TOOMANYREQUESTS", 429, "ThrottlingException"
    default_message = "too many requests"


class NotFound(BerthError):
    """A path that names no endpoint of the API."""

    code, status, ecr_exception = "NOT_FOUND", 404, "InvalidParameterException"
    default_message = "no such endpoint"


# The error codes of the distribution spec (spec.md, "Error Codes"); a test checks
# each one has its class above.
OCI_SPEC_CODES = (
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
    "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
)
