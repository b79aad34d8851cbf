import pytest

# plain asserts in the helper modules explain themselves when they fail
pytest.register_assert_rewrite("tests.e2e.clients", "tests.e2e.oci_files")
