import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.oci.digest import Digest, DigestError, new_hasher


@given(st.binary(max_size=512), st.sampled_from(["sha256", "sha512"]))
def test_parse_round_trips(data: bytes, algorithm: str) -> None:
    digest = Digest.of(data, algorithm)
    assert Digest.parse(str(digest)) == digest
    assert digest.hex == hashlib.new(algorithm, data).hexdigest()


@pytest.mark.parametrize("text", [
    "", "sha256", "sha256:", ":abc", "sha256:" + "a" * 63, "sha256:" + "a" * 65,
    "sha256:" + "A" * 64, "sha512:" + "a" * 64, "md5:" + "a" * 32, "sha256:" + "g" * 64,
    "sha256:../../" + "a" * 58, "SHA256:" + "a" * 64,
])
def test_malformed_digests(text: str) -> None:
    with pytest.raises(DigestError):
        Digest.parse(text)


def test_unknown_algorithm_has_no_hasher() -> None:
    with pytest.raises(DigestError):
        new_hasher("md5")
