# ruff: noqa: E501  (the guide's commands are quoted verbatim)
"""The seed guide's "Creating Your First ECR Repository", run as written against berth.

The commands below are the guide's, verbatim. The aws CLI gets ``--endpoint-url``
(and ``--output json``) added; docker is played by skopeo: ``docker login`` is
``skopeo login`` with the same flags (plus ``--tls-verify=false``), ``docker build``
builds an OCI layout with ``berth.testing.layouts.simple_image``, and ``docker push``
and ``docker pull`` are ``skopeo copy``. The guide's registry host
``123456789012.dkr.ecr.us-east-1.amazonaws.com`` is berth's address.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from berth.testing.layouts import simple_image
from berth.testing.server import BerthServer
from tests.api.helpers import aws_binary, aws_env
from tests.e2e.clients import ContainersConfig, ToolFailed, require_tool, run_tool

GUIDE = Path("/work/shared/seed/ecr-guide.txt")
GUIDE_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

# Verbatim from the guide (section "Creating Your First ECR Repository").
SECTION = r"""
# Create a private repository with tag immutability enabled
aws ecr create-repository \
  --repository-name my-application \
  --image-tag-mutability IMMUTABLE \
  --image-scanning-configuration scanOnPush=true \
  --encryption-configuration encryptionType=AES256 \
  --tags Key=Team,Value=backend Key=Environment,Value=production

# Verify the repository was created
aws ecr describe-repositories \
  --repository-names my-application \
  --query 'repositories[0].{Name:repositoryName,URI:repositoryUri,Scanning:imageScanningConfiguration.scanOnPush}'

# Get the registry login command and authenticate Docker
aws ecr get-login-password --region us-east-1 | \
  docker login --username AWS --password-stdin \
  123456789012.dkr.ecr.us-east-1.amazonaws.com

# Build your Docker image locally
docker build -t my-application:v1.0.0 .

# Tag the image for ECR
docker tag my-application:v1.0.0 \
  123456789012.dkr.ecr.us-east-1.amazonaws.com/my-application:v1.0.0

# Push the image to ECR
docker push 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-application:v1.0.0

# Verify the image exists in the repository
aws ecr describe-images \
  --repository-name my-application \
  --query 'imageDetails[].{Tags:imageTags,Pushed:imagePushedAt,Size:imageSizeInBytes}'

# Pull the image back (useful for verifying or deploying elsewhere)
docker pull 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-application:v1.0.0
"""


def commands() -> list[str]:
    """The section's commands, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", "", SECTION)
    return [line.strip() for line in joined.splitlines()
            if line.strip() and not line.startswith("#")]


def command(start: str) -> str:
    [found] = [c for c in commands() if c.startswith(start)]
    return found


@dataclass
class Walkthrough:
    server: BerthServer
    home: Path
    config: ContainersConfig
    skopeo: str
    outputs: dict[str, Any]

    @property
    def env(self) -> dict[str, str]:
        aws_dir = str(Path(aws_binary()).parent)
        return {**aws_env(self.server), **self.config.env,
                "PATH": f"{aws_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                "REGISTRY_AUTH_FILE": str(self.home / "auth.json")}

    def aws(self, line: str) -> Any:
        """An aws command of the guide, with ``--endpoint-url`` and JSON output added."""
        args = shlex.split(line)
        assert args[0] == "aws"
        done = run_tool([aws_binary(), *args[1:], "--endpoint-url", self.server.url,
                         "--output", "json"], env=self.env)
        return json.loads(done.stdout)

    def shell(self, line: str) -> subprocess.CompletedProcess[bytes]:
        return run_tool(["bash", "-o", "pipefail", "-c", line], env=self.env)

    def docker(self, line: str) -> str:
        """The guide's docker command, with berth's host in place of ECR's."""
        return line.replace(GUIDE_HOST, self.server.host)

    def skopeo_copy(self, source: str, dest: str) -> None:
        run_tool([self.skopeo, "--policy", str(self.config.policy), "copy", "--quiet",
                  "--src-tls-verify=false", "--dest-tls-verify=false", source, dest],
                 env=self.env)


@pytest.fixture(scope="module")
def guide(shared_berth: BerthServer, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Walkthrough]:
    """The walkthrough, up to and including the push of v1.0.0."""
    skopeo = require_tool("skopeo")
    aws_binary()
    home = tmp_path_factory.mktemp("guide")
    walk = Walkthrough(shared_berth, home, ContainersConfig.create(home / "containers"), skopeo,
                       {})
    walk.outputs["create"] = walk.aws(command("aws ecr create-repository"))
    walk.outputs["describe"] = walk.aws(command("aws ecr describe-repositories"))

    login = command("aws ecr get-login-password")
    aws_part, docker_part = (part.strip() for part in login.split("|"))
    docker_args = shlex.split(walk.docker(docker_part))
    assert docker_args[:2] == ["docker", "login"]
    walk.shell(f"{aws_part} --endpoint-url {shlex.quote(shared_berth.url)} | "
               + shlex.join([skopeo, "login", *docker_args[2:-1], "--tls-verify=false",
                             docker_args[-1]]))
    walk.outputs["login"] = json.loads((home / "auth.json").read_text())

    # docker build -t my-application:v1.0.0 .  (and docker tag: a name, nothing to do)
    assert command("docker build") == "docker build -t my-application:v1.0.0 ."
    walk.outputs["image"] = simple_image(home / "build", ref="v1.0.0")
    push = shlex.split(walk.docker(command("docker push")))
    walk.outputs["pushed_ref"] = push[-1]
    walk.skopeo_copy(f"oci:{home / 'build'}:v1.0.0", f"docker://{push[-1]}")
    walk.outputs["pushed_at"] = datetime.now(UTC)
    yield walk


def test_the_embedded_commands_are_the_guides() -> None:
    if not GUIDE.exists():
        pytest.skip(f"{GUIDE} is not here; the commands are embedded in this file")
    text = " ".join(GUIDE.read_text().split())
    assert " ".join(SECTION.split()) in text


def test_create_repository_as_written(guide: Walkthrough) -> None:
    repo = guide.outputs["create"]["repository"]
    server = guide.server
    assert repo["repositoryName"] == "my-application"
    assert repo["repositoryArn"] == (
        f"arn:aws:ecr:us-east-1:{server.account_id}:repository/my-application")
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfiguration"] == {"encryptionType": "AES256"}
    tags = server.client().list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("Environment", "production"),
                                                            ("Team", "backend")]


def test_describe_repositories_query_as_written(guide: Walkthrough) -> None:
    assert guide.outputs["describe"] == {
        "Name": "my-application",
        "URI": f"{guide.server.host}/my-application",
        "Scanning": True,
    }


def test_login_with_the_login_password(guide: Walkthrough) -> None:
    assert guide.server.host in guide.outputs["login"]["auths"]
    assert guide.outputs["pushed_ref"] == f"{guide.outputs['describe']['URI']}:v1.0.0"


def test_describe_images_query_after_the_push(guide: Walkthrough) -> None:
    details = guide.aws(command("aws ecr describe-images"))
    raw = run_tool([guide.skopeo, "inspect", "--raw", "--tls-verify=false",
                    f"docker://{guide.outputs['pushed_ref']}"], env=guide.env).stdout
    manifest = json.loads(raw)
    assert len(details) == 1
    [image] = details
    assert image["Tags"] == ["v1.0.0"]
    assert image["Size"] == sum(layer["size"] for layer in manifest["layers"])
    assert image["Size"] > 0
    # aws CLI v1 prints the wire value (epoch seconds); v2 prints ISO 8601
    stamp = image["Pushed"]
    pushed = (datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int | float)
              else datetime.fromisoformat(stamp))
    assert abs(pushed - guide.outputs["pushed_at"]) < timedelta(minutes=2)


def test_pull_the_image_back(guide: Walkthrough) -> None:
    pull = shlex.split(guide.docker(command("docker pull")))
    target = guide.home / "pulled"
    guide.skopeo_copy(f"docker://{pull[-1]}", f"oci:{target}:v1.0.0")
    index = json.loads((target / "index.json").read_text())
    [entry] = index["manifests"]
    assert entry["digest"] == guide.outputs["image"].digest
    manifest = json.loads((target / "blobs" / "sha256" / entry["digest"].split(":")[1])
                          .read_bytes())
    for layer in manifest["layers"]:
        blob = target / "blobs" / "sha256" / layer["digest"].split(":")[1]
        assert blob.stat().st_size == layer["size"]


def test_pushing_v1_0_0_again_fails_because_tags_are_immutable(guide: Walkthrough) -> None:
    changed = guide.home / "build-2"
    simple_image(changed, ref="v1.0.0", seed=1)  # a different image
    with pytest.raises(ToolFailed) as failed:
        guide.skopeo_copy(f"oci:{changed}:v1.0.0", f"docker://{guide.outputs['pushed_ref']}")
    assert "tag invalid" in failed.value.stderr
    ids = guide.server.client().list_images(repositoryName="my-application")["imageIds"]
    assert ids == [{"imageDigest": guide.outputs["image"].digest, "imageTag": "v1.0.0"}]
