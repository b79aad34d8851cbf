"""``berth iam``: accounts, users and keys, printed as JSON that tooling relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def berth(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "berth", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_create_account_user_and_key(tmp_path: Path) -> None:
    made = berth("iam", "create-account", "--account-id", "111122223333", data_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    account = json.loads(made.stdout)
    assert account["AccountId"] == "111122223333"
    assert account["AccessKeyId"].startswith("AKIA") and len(account["AccessKeyId"]) == 20
    assert len(account["SecretAccessKey"]) == 40
    again = berth("iam", "create-account", "--account-id", "111122223333", data_dir=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr

    user = berth("iam", "create-user", "--account-id", "111122223333", "--user-name", "alice",
                 data_dir=tmp_path)
    assert json.loads(user.stdout)["Arn"] == "arn:aws:iam::111122223333:user/alice"
    key = json.loads(berth("iam", "create-access-key", "--account-id", "111122223333",
                           "--user-name", "alice", data_dir=tmp_path).stdout)
    assert key["UserName"] == "alice" and key["AccessKeyId"] != account["AccessKeyId"]
    missing = berth("iam", "create-access-key", "--account-id", "111122223333",
                    "--user-name", "bob", data_dir=tmp_path)
    assert missing.returncode == 1 and "no user bob" in missing.stderr


def test_random_account_id_and_bootstrap_credentials_file(tmp_path: Path) -> None:
    made = json.loads(berth("iam", "create-account", data_dir=tmp_path).stdout)
    assert len(made["AccountId"]) == 12 and made["AccountId"].isdigit()
    credentials = tmp_path / "credentials"
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert "aws_secret_access_key" in credentials.read_text()


def test_any_iam_action_through_call(tmp_path: Path) -> None:
    account = json.loads(berth("iam", "create-account", data_dir=tmp_path).stdout)["AccountId"]
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": "sts:AssumeRole"}]}))
    made = berth("iam", "call", "create-role", "--account-id", account, "--data-dir",
                 str(tmp_path), "--role-name", "ci", "--assume-role-policy-document",
                 f"file://{trust}", data_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["Role"]["Arn"] == f"arn:aws:iam::{account}:role/ci"
    attached = berth("iam", "call", "attach-role-policy", "--account-id", account,
                     "--data-dir", str(tmp_path), "--role-name", "ci", "--policy-arn",
                     "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                     data_dir=tmp_path)
    assert attached.returncode == 0, attached.stderr
    missing = berth("iam", "call", "get-role", "--account-id", account, "--data-dir",
                    str(tmp_path), "--role-name", "nope", data_dir=tmp_path)
    assert missing.returncode == 1 and "NoSuchEntity" in missing.stderr
