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
    ecr_status: ClassVar[int] = 400
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


class Unauthorized(BerthError):
    code, status, ecr_exception = "UNAUTHORIZED", 401, "UnrecognizedClientException"
    default_message = "authentication required"


class Denied(BerthError):
    code, status, ecr_exception = "DENIED", 403, "AccessDeniedException"
    default_message = "requested access to the resource is denied"


class ServerError(BerthError):
    code, status, ecr_exception, ecr_status = "UNKNOWN", 500, "ServerException", 500
    default_message = "internal server error"


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


# ECR exceptions (botocore's model names them; the OCI code is what /v2/ shows when the
# same failure happens there). Those that already have an OCI twin above are those
# twins: RepositoryNotFoundException is NameUnknown, ImageNotFoundException is
# ManifestUnknown, LayersNotFoundException is BlobUnknown, and so on.

class InvalidParameter(BerthError):
    code, status, ecr_exception = "UNSUPPORTED", 400, "InvalidParameterException"
    default_message = "invalid parameter"


class ValidationError(InvalidParameter):
    ecr_exception = "ValidationException"


class InvalidTagParameter(InvalidParameter):
    ecr_exception = "InvalidTagParameterException"


class TooManyTags(InvalidParameter):
    ecr_exception = "TooManyTagsException"


class LimitExceeded(TooManyRequests):
    ecr_exception = "LimitExceededException"
    default_message = "the operation exceeds a limit"


class RepositoryAlreadyExists(BerthError):
    code, status, ecr_exception = "NAME_INVALID", 409, "RepositoryAlreadyExistsException"
    default_message = "repository already exists"


class RepositoryNotEmpty(BerthError):
    code, status, ecr_exception = "DENIED", 409, "RepositoryNotEmptyException"
    default_message = "repository contains images"


class ImageAlreadyExists(BerthError):
    code, status, ecr_exception = "MANIFEST_INVALID", 400, "ImageAlreadyExistsException"
    default_message = "image already exists"


class ImageTagAlreadyExists(BerthError):
    code, status, ecr_exception = "TAG_INVALID", 400, "ImageTagAlreadyExistsException"
    default_message = "the image tag already exists and the tag is immutable"


class ImageDigestDoesNotMatch(DigestInvalid):
    ecr_exception = "ImageDigestDoesNotMatchException"


class ReferencedImagesNotFound(ManifestBlobUnknown):
    ecr_exception = "ReferencedImagesNotFoundException"


class LayersNotFound(ManifestBlobUnknown):
    ecr_exception = "LayersNotFoundException"


class InvalidLayer(BlobUploadInvalid):
    ecr_exception = "InvalidLayerException"


class InvalidLayerPart(UploadOutOfOrder):
    ecr_exception = "InvalidLayerPartException"


class LayerPartTooSmall(BlobUploadInvalid):
    ecr_exception = "LayerPartTooSmallException"


class LayerAlreadyExists(BlobUploadInvalid):
    ecr_exception = "LayerAlreadyExistsException"


class EmptyUpload(BlobUploadInvalid):
    ecr_exception = "EmptyUploadException"


class LayerInaccessible(BlobUnknown):
    ecr_exception = "LayerInaccessibleException"


class UploadNotFound(BlobUploadUnknown):
    ecr_exception = "UploadNotFoundException"


class UnsupportedImageType(Unsupported):
    ecr_exception = "UnsupportedImageTypeException"


class ImageArchived(BerthError):
    code, status, ecr_exception = "DENIED", 403, "ImageArchivedException"
    default_message = "the image is archived; restore it before pulling"


class TemplateAlreadyExists(BerthError):
    code, status, ecr_exception = "UNSUPPORTED", 409, "TemplateAlreadyExistsException"
    default_message = "a repository creation template with that prefix already exists"


class TemplateNotFound(BerthError):
    code, status, ecr_exception = "UNSUPPORTED", 404, "TemplateNotFoundException"
    default_message = "no repository creation template with that prefix"


# Errors of the AWS protocol itself, common to every AWS JSON service (not in the model).

class UnrecognizedClient(Unauthorized):
    ecr_exception = "UnrecognizedClientException"
    default_message = "The security token included in the request is invalid."


class ExpiredToken(Unauthorized):
    ecr_exception = "ExpiredTokenException"
    default_message = "The security token included in the request is expired"


class AccessDenied(Denied):
    ecr_exception = "AccessDeniedException"


class UnknownOperation(InvalidParameter):
    ecr_exception = "UnknownOperationException"
    default_message = "unknown operation"


class SerializationFailure(InvalidParameter):
    ecr_exception = "SerializationException"
    default_message = "the request body could not be read"


# The error codes of the distribution spec (spec.md, "Error Codes"); a test checks
# each one has its class above.
OCI_SPEC_CODES = (
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
    "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
)


# IAM's own error codes (query protocol), for the IAM API.

class NoSuchEntity(BerthError):
    code, status, ecr_exception, ecr_status = "NAME_UNKNOWN", 404, "NoSuchEntity", 404
    default_message = "The entity cannot be found."


class EntityAlreadyExists(BerthError):
    code, status, ecr_exception, ecr_status = "DENIED", 409, "EntityAlreadyExists", 409
    default_message = "The entity already exists."


class DeleteConflict(BerthError):
    code, status, ecr_exception, ecr_status = "DENIED", 409, "DeleteConflict", 409
    default_message = "Cannot delete entity, must remove referring entities first."


class MalformedPolicyDocument(InvalidParameter):
    ecr_exception = "MalformedPolicyDocument"
    default_message = "The policy document is malformed."


class RepositoryPolicyNotFound(BerthError):
    code, status, ecr_exception = "NAME_UNKNOWN", 404, "RepositoryPolicyNotFoundException"
    default_message = "Repository policy does not exist"


class RegistryPolicyNotFound(BerthError):
    code, status, ecr_exception = "NAME_UNKNOWN", 404, "RegistryPolicyNotFoundException"
    default_message = "Registry policy does not exist"


class LifecyclePolicyNotFound(BerthError):
    code, status, ecr_exception = "NAME_UNKNOWN", 404, "LifecyclePolicyNotFoundException"
    default_message = "Lifecycle policy does not exist"


class LifecyclePolicyPreviewNotFound(BerthError):
    code, status, ecr_exception = "NAME_UNKNOWN", 404, "LifecyclePolicyPreviewNotFoundException"
    default_message = "There is no lifecycle policy preview for the repository"


class LifecyclePolicyPreviewInProgress(BerthError):
    code, status = "TOOMANYREQUESTS", 429
    ecr_exception = "LifecyclePolicyPreviewInProgressException"
    default_message = "A lifecycle policy preview is already in progress"


# The rest of the model's exceptions, for the features that raise them (scanning,
# replication, pull-through cache, signing, the archive tier, KMS).

class _EcrOnly(BerthError):
    code, status = "UNSUPPORTED", 400


class BlockedByOrganizationPolicy(_EcrOnly):
    ecr_exception = "BlockedByOrganizationPolicyException"


class ExclusionAlreadyExists(_EcrOnly):
    ecr_exception = "ExclusionAlreadyExistsException"


class ExclusionNotFound(_EcrOnly):
    ecr_exception = "ExclusionNotFoundException"


class ImageStorageClassUpdateNotSupported(_EcrOnly):
    ecr_exception = "ImageStorageClassUpdateNotSupportedException"


class KmsError(_EcrOnly):
    ecr_exception = "KmsException"


class PullThroughCacheRuleAlreadyExists(_EcrOnly):
    ecr_exception = "PullThroughCacheRuleAlreadyExistsException"


class PullThroughCacheRuleNotFound(_EcrOnly):
    ecr_exception = "PullThroughCacheRuleNotFoundException"


class ReplicationBackfillInProgress(_EcrOnly):
    ecr_exception = "ReplicationBackfillInProgressException"


class ReplicationBackfillInvalidStatus(_EcrOnly):
    ecr_exception = "ReplicationBackfillInvalidStatusException"


class ReplicationBackfillNotFound(_EcrOnly):
    ecr_exception = "ReplicationBackfillNotFoundException"


class ScanNotFound(_EcrOnly):
    ecr_exception = "ScanNotFoundException"


class SecretNotFound(_EcrOnly):
    ecr_exception = "SecretNotFoundException"


class SigningConfigurationNotFound(_EcrOnly):
    ecr_exception = "SigningConfigurationNotFoundException"


class UnableToAccessSecret(_EcrOnly):
    ecr_exception = "UnableToAccessSecretException"


class UnableToDecryptSecretValue(_EcrOnly):
    ecr_exception = "UnableToDecryptSecretValueException"


class UnableToGetUpstreamImage(_EcrOnly):
    ecr_exception = "UnableToGetUpstreamImageException"


class UnableToGetUpstreamLayer(_EcrOnly):
    ecr_exception = "UnableToGetUpstreamLayerException"


class UnableToListUpstreamImageReferrers(_EcrOnly):
    ecr_exception = "UnableToListUpstreamImageReferrersException"


class UnsupportedUpstreamRegistry(_EcrOnly):
    ecr_exception = "UnsupportedUpstreamRegistryException"
