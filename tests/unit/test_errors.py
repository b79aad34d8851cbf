"""Every error code of the distribution spec has its one class in the registry."""

from berth import errors
from berth.ecr_api import model


def all_error_classes() -> list[type[errors.BerthError]]:
    found, queue = [], [errors.BerthError]
    while queue:
        cls = queue.pop()
        found.append(cls)
        queue.extend(cls.__subclasses__())
    return found


def test_every_spec_code_has_a_class() -> None:
    codes = {cls.code for cls in all_error_classes()}
    assert set(errors.OCI_SPEC_CODES) <= codes


COMMON_AWS = {"UnrecognizedClientException", "ExpiredTokenException", "AccessDeniedException",
              "UnknownOperationException", "SerializationException", "ThrottlingException",
              "InvalidSignatureException", "IncompleteSignatureException",
              "MissingAuthenticationTokenException"}
IAM_CODES = {"NoSuchEntity", "EntityAlreadyExists", "DeleteConflict", "MalformedPolicyDocument"}


def test_each_class_names_a_real_aws_error_with_a_status() -> None:
    known = model.all_error_names() | COMMON_AWS | IAM_CODES
    for cls in all_error_classes():
        assert 400 <= cls.status <= 599 and 400 <= cls.ecr_status <= 599, cls
        assert cls.ecr_exception in known, cls


def test_every_ecr_exception_of_the_model_has_its_class() -> None:
    declared = {cls.ecr_exception for cls in all_error_classes()}
    assert model.all_error_names() <= declared, model.all_error_names() - declared
