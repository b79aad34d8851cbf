"""The OCI distribution-spec conformance suite (v1.1.1) against a running berth.

The suite is a Go program built outside this repository (see docs/conformance.md);
point BERTH_OCI_CONFORMANCE_BIN at the built `conformance.test` to run it here.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from berth.testing.server import BerthServer

BINARY = os.environ.get("BERTH_OCI_CONFORMANCE_BIN")


@pytest.mark.skipif(not BINARY, reason="BERTH_OCI_CONFORMANCE_BIN is not set")
def test_conformance_suite_passes(berth: BerthServer, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OCI_ROOT_URL": berth.url, "OCI_NAMESPACE": "myorg/myrepo",
        "OCI_CROSSMOUNT_NAMESPACE": "myorg/other", "OCI_AUTOMATIC_CROSSMOUNT": "0",
        "OCI_TEST_PULL": "1", "OCI_TEST_PUSH": "1", "OCI_TEST_CONTENT_DISCOVERY": "1",
        "OCI_TEST_CONTENT_MANAGEMENT": "1", "OCI_HIDE_SKIPPED_WORKFLOWS": "0",
        "OCI_REPORT_DIR": str(tmp_path),
        "OCI_USERNAME": "AWS", "OCI_PASSWORD": berth.password(),
    }
    result = subprocess.run([str(BINARY)], env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    summary = re.search(r"(\d+) Passed \| (\d+) Failed", output)
    assert summary is not None, output[-3000:]
    assert result.returncode == 0 and summary.group(2) == "0", output[-6000:]
