"""Fixtures for the Python suite, on the package's pytest plugin (python/sagemaker_images/pytest_plugin.py).

The binary is `$SAGEMAKER_IMAGES_BIN` (scripts/test sets it to target/debug/sagemaker-images), or
`target/debug/sagemaker-images` under the repository root when that is unset. The plugin's server of this
process is reset before each test that uses `endpoint`, `client` or `control`; the `delayed_*` fixtures share
a second server whose transitions take TRANSITION_DELAY_SECONDS; `start_server` starts servers of their own.
When `$SAGEMAKER_IMAGES_TEST_DATABASE_URL` names a PostgreSQL server, every server the plugin starts gets a
database of its own there, created for it and dropped after it, as in the Rust suite.
"""
import os
import subprocess
import sys

import boto3
import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))
if not os.environ.get("SAGEMAKER_IMAGES_BIN"):
    os.environ["SAGEMAKER_IMAGES_BIN"] = os.path.join(REPO_ROOT, "target", "debug", "sagemaker-images")

pytest_plugins = ["sagemaker_images.pytest_plugin"]

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerRole"
# How long an image stays CREATING / UPDATING / DELETING on the `delayed_endpoint` server.
TRANSITION_DELAY_SECONDS = 1.0


def pytest_configure(config):
    database_url = os.environ.get("SAGEMAKER_IMAGES_TEST_DATABASE_URL")
    if database_url and not config.getoption("sagemaker_images_database_url"):
        config.option.sagemaker_images_database_url = database_url


def image_arn(name):
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:image/{name.lower()}"


@pytest.fixture
def endpoint(sagemaker_images_endpoint):
    """URL of the plugin's server (transitions are instant), reset for this test."""
    return sagemaker_images_endpoint


@pytest.fixture
def delayed_endpoint(sagemaker_images_servers):
    """URL of a server whose images stay CREATING/UPDATING/DELETING for TRANSITION_DELAY_SECONDS, reset for
    this test."""
    server = sagemaker_images_servers.shared(transition_delay=TRANSITION_DELAY_SECONDS)
    server.reset()
    return server.url


def make_client(endpoint_url, region=REGION, key=("test", "test"), config=None):
    """A boto3 SageMaker client of `endpoint_url`, signing for `region` with `key` (access key id, secret)."""
    return boto3.client(
        "sagemaker",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        config=config,
    )


@pytest.fixture
def client(sagemaker_images_client):
    return sagemaker_images_client


@pytest.fixture
def delayed_client(delayed_endpoint):
    return make_client(delayed_endpoint)


@pytest.fixture
def control(endpoint):
    """The control plane of the `endpoint` server, called unsigned (the built-in key lets a local caller in)."""
    from control import Control

    return Control(endpoint)


@pytest.fixture
def delayed_control(delayed_endpoint):
    """The control plane of the `delayed_endpoint` server."""
    from control import Control

    return Control(delayed_endpoint)


@pytest.fixture
def start_server(sagemaker_images_start_server):
    """Starts servers with extra `serve` arguments: `start_server("--init-state", path)` returns the endpoint.
    Each has its own data directory (or PostgreSQL database); all are stopped at teardown."""

    def start(*extra_args):
        return sagemaker_images_start_server(args=extra_args).url

    return start


class DescribeCounter:
    """Counts the DescribeImage calls a client makes (a waiter's polls)."""

    def __init__(self, c):
        self.calls = 0
        c.meta.events.register("before-call.sagemaker.DescribeImage", self._count)

    def _count(self, **_):
        self.calls += 1


# --- the AWS CLI of the running Python's environment ---------------------------------------------------------

AWS_CLI = os.path.join(os.path.dirname(sys.executable), "aws")


@pytest.fixture
def aws(endpoint, tmp_path):
    """Runs `aws sagemaker <args> --endpoint-url <endpoint>`; returns the CompletedProcess."""
    if not os.access(AWS_CLI, os.X_OK):
        pytest.fail(f"no AWS CLI at {AWS_CLI}; install requirements-test.txt into this Python's environment")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        # Keep the developer's own ~/.aws out of the runs.
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        AWS_PAGER="",
    )

    def run(*args):
        return subprocess.run(
            [AWS_CLI, "sagemaker", *args, "--endpoint-url", endpoint],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
