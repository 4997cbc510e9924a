"""Fixtures for the Python suite: a real `sagemaker-images` server per test, boto3 clients, AWS CLI runs.

The binary is `$SAGEMAKER_IMAGES_BIN`, or `target/debug/sagemaker-images` under the repository root when that
is unset. Each server listens on port 0 with a data directory of its own, and is killed at teardown. When
`$SAGEMAKER_IMAGES_TEST_DATABASE_URL` names a PostgreSQL server, each server instead gets a database of its own,
created for the test and dropped after it, as in the Rust suite.
"""
import os
import queue
import re
import subprocess
import sys
import threading

import urllib.parse
import uuid

import boto3
import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerRole"
# How long an image stays CREATING / UPDATING / DELETING on the `delayed_endpoint` server.
TRANSITION_DELAY_SECONDS = 1.0
STARTUP_TIMEOUT_SECONDS = 20
LISTENING_LINE = re.compile(r"^sagemaker-images listening on (http://127\.0\.0\.1:\d+)\s*$")


def image_arn(name):
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:image/{name.lower()}"


def server_binary():
    path = os.environ.get("SAGEMAKER_IMAGES_BIN") or os.path.join(REPO_ROOT, "target", "debug", "sagemaker-images")
    if not os.path.isabs(path):
        path = os.path.join(REPO_ROOT, path)
    if not os.access(path, os.X_OK):
        pytest.fail(f"server binary {path} is missing or not executable; run `cargo build` or set SAGEMAKER_IMAGES_BIN")
    return path


class Server:
    """A running `sagemaker-images serve` process."""

    def __init__(self, data_dir, log_path, extra_args=()):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [server_binary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir), *extra_args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            cwd=REPO_ROOT,
        )
        lines = queue.Queue()

        def drain():  # keeps reading stdout so the server never blocks on a full pipe
            for line in self.process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        try:
            first = lines.get(timeout=STARTUP_TIMEOUT_SECONDS)
        except queue.Empty:
            self.stop()
            pytest.fail(f"server printed nothing within {STARTUP_TIMEOUT_SECONDS}s; stderr: {self.stderr()}")
        if first is None:
            self.stop()
            pytest.fail(f"server exited before listening (status {self.process.returncode}); stderr: {self.stderr()}")
        match = LISTENING_LINE.match(first.decode("utf-8", "replace"))
        if not match:
            self.stop()
            pytest.fail(f"unexpected first stdout line {first!r}")
        self.endpoint = match.group(1)

    def stderr(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self._log.close()


def _admin(admin_url, statement):
    import pg8000.native

    url = urllib.parse.urlparse(admin_url)
    connection = pg8000.native.Connection(
        user=url.username or "postgres",
        password=url.password,
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        database=url.path.lstrip("/") or "postgres",
    )
    try:
        connection.run(statement)
    finally:
        connection.close()


def _serve(tmp_path, extra_args=()):
    admin_url = os.environ.get("SAGEMAKER_IMAGES_TEST_DATABASE_URL")
    database = None
    if admin_url:
        database = f"smi_pytest_{uuid.uuid4().hex}"
        _admin(admin_url, f"CREATE DATABASE {database}")
        base = admin_url.rsplit("/", 1)[0]
        extra_args = [*extra_args, "--database-url", f"{base}/{database}"]
    server = Server(tmp_path / "data", tmp_path / "server.log", extra_args)
    try:
        yield server.endpoint
    finally:
        server.stop()
        if database:
            _admin(admin_url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@pytest.fixture
def endpoint(tmp_path):
    """URL of a fresh server whose transitions are instant."""
    yield from _serve(tmp_path)


@pytest.fixture
def delayed_endpoint(tmp_path):
    """URL of a fresh server whose images stay CREATING/UPDATING/DELETING for TRANSITION_DELAY_SECONDS."""
    yield from _serve(tmp_path, ["--transition-delay", f"{int(TRANSITION_DELAY_SECONDS * 1000)}ms"])


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
def client(endpoint):
    return make_client(endpoint)


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
def start_server(tmp_path):
    """Starts servers with extra `serve` arguments: `start_server("--init-state", path)` returns the endpoint.
    Each has its own data directory (or PostgreSQL database); all are stopped at teardown."""
    running = []

    def start(*extra_args):
        home = tmp_path / f"server-{len(running)}"
        home.mkdir()
        serving = _serve(home, list(extra_args))
        endpoint = next(serving)
        running.append(serving)
        return endpoint

    yield start
    for serving in reversed(running):
        serving.close()


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
