"""Every error code of the distribution spec has its one class in the registry."""

from berth import errors


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


def test_each_code_is_declared_once_with_its_status() -> None:
    for cls in all_error_classes():
        assert 400 <= cls.status <= 599, cls
        assert cls.ecr_exception.endswith("Exception"), cls


def test_body_shape() -> None:
    body = errors.BlobUnknown(detail={"digest": "sha256:x"}).oci_body()
    assert body == {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown to registry",
                                "detail": {"digest": "sha256:x"}}]}
