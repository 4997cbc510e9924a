"""The container image under a real engine (podman, configured by container/*.conf; see scripts/test).

The image is built beforehand by scripts/container-image; these tests run it as users do: published
ports, volumes, a read-only root, networks, compose, and Testcontainers through podman's Docker API.
"""

import json
import os
import socket
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import botocore.config
import pytest

REPO = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("SAGEMAKER_IMAGES_CONTAINER_IMAGE", "sagemaker-images:latest")
ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerRole"
PORT = 7447


def podman(*args, check=True, timeout=120):
    """Runs the engine's command line; returns what it printed."""
    done = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def health(endpoint, path="/_sagemaker-images/health"):
    """The status the health endpoint answers, or None while nothing answers."""
    try:
        with urllib.request.urlopen(endpoint + path, timeout=2) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code
    except OSError:
        return None


def wait_until_ready(endpoint, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if health(endpoint) == 200:
            return
        time.sleep(0.02)
    raise AssertionError(f"{endpoint} was not ready within {seconds} s")


def client(endpoint, retries=None):
    """boto3's SageMaker client of the built-in test key; `retries` extra attempts (default: boto3's)."""
    config = None if retries is None else botocore.config.Config(retries={"total_max_attempts": retries + 1})
    return boto3.client(
        "sagemaker",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


def crate_version():
    with open(REPO / "Cargo.toml", "rb") as manifest:
        return tomllib.load(manifest)["package"]["version"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Running:
    """One container of the image, removed with its anonymous volumes when the test ends."""

    def __init__(self, name, endpoint):
        self.name = name
        self.endpoint = endpoint

    def inspect(self):
        return json.loads(podman("inspect", self.name).stdout)[0]


@pytest.fixture
def start():
    """Starts the image with the given `podman run` options (published on 127.0.0.1) and waits until it is
    ready; every container started is removed at the end."""
    names = []

    def started(*options, name=None, command=(), ready=True):
        name = name or unique("sagemaker-images")
        names.append(name)
        podman("run", "--detach", "--name", name, "--publish", f"127.0.0.1::{PORT}", *options, IMAGE, *command)
        host_port = podman("port", name, str(PORT)).stdout.strip().rsplit(":", 1)[1]
        running = Running(name, f"http://127.0.0.1:{host_port}")
        if ready:
            wait_until_ready(running.endpoint)
        return running

    yield started
    for name in names:
        podman("rm", "--force", "--volumes", name, check=False)


def made(kind, prefix):
    """A podman `kind` (volume, network) of a name of its own, removed when the test ends."""
    name = unique(prefix)
    podman(kind, "create", name)
    yield name
    podman(kind, "rm", "--force", name, check=False)


@pytest.fixture
def volume():
    yield from made("volume", "sagemaker-data")


@pytest.fixture
def network():
    yield from made("network", "sagemaker-net")
