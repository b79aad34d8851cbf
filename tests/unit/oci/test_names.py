import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.oci.names import valid_repository_name, valid_tag


@pytest.mark.parametrize("name", [
    "ab", "library/ubuntu", "team-a/app_1", "a.b/c__d/e--f", "x" * 256, "a1/b2/c3/d4",
])
def test_valid_names(name: str) -> None:
    assert valid_repository_name(name)


@pytest.mark.parametrize("name", [
    "", "a", "Upper", "a/", "/a", "a//b", "../a", "a/../b", "a/./b", "-a", "a-", "a..b",
    "a___b", "x" * 257, "a b", "a\x00b", "a/b/", ".", "..",
])
def test_invalid_names(name: str) -> None:
    assert not valid_repository_name(name)


@given(st.text(max_size=40))
def test_valid_names_never_walk_out_of_a_directory(name: str) -> None:
    if valid_repository_name(name):
        parts = name.split("/")
        assert all(p not in ("", ".", "..") for p in parts)


@pytest.mark.parametrize(("tag", "ok"), [
    ("latest", True), ("v1.2.3", True), ("_x", True), ("a" * 128, True),
    ("a" * 129, False), ("-x", False), (".x", False), ("a:b", False), ("", False),
    ("a/b", False),
])
def test_tags(tag: str, ok: bool) -> None:
    assert valid_tag(tag) is ok
