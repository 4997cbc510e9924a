"""The examples users copy (README's `docker run` line, examples/container/), each run here as written, with
podman standing in for docker and a free host port for the documented one."""

import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, client, free_port, health, podman, unique, wait_until_ready

EXAMPLES = REPO / "examples" / "container"


def wait_until_healthy(container, seconds=20):
    """Runs the image's HEALTHCHECK as the engine would, until it passes (as Actions and compose wait)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if podman("healthcheck", "run", container, check=False).returncode == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"{container} was not healthy within {seconds} s")


def readme_docker_run():
    """The README's `docker run` line."""
    readme = (REPO / "README.md").read_text()
    [line] = re.findall(r"^docker run .*$", readme, flags=re.MULTILINE)
    return shlex.split(line)


def test_the_readme_docker_run_line():
    args = readme_docker_run()
    port = free_port()
    name = unique("readme")
    volume = unique("readme-data")
    rewritten = []
    for arg in args[2:]:
        arg = arg.replace("127.0.0.1:7447:", f"127.0.0.1:{port}:")
        arg = arg.replace("sagemaker-data:", f"{volume}:")
        rewritten.append(arg)
    assert f"127.0.0.1:{port}:7447" in rewritten, "the line publishes the port on 127.0.0.1"
    # `--rm` stays; the line runs in the foreground, so it is started detached here.
    try:
        podman("run", "--detach", "--name", name, *rewritten)
        endpoint = f"http://127.0.0.1:{port}"
        wait_until_ready(endpoint)
        assert client(endpoint).list_images()["Images"] == []
    finally:
        podman("rm", "--force", name, check=False)
        podman("volume", "rm", "--force", volume, check=False)


def test_the_compose_file_comes_up_healthy_on_the_localstack_health_path():
    project = unique("compose")
    port = free_port()
    env = {**os.environ, "SAGEMAKER_IMAGES_PORT": str(port)}
    # podman-compose from PyPI (requirements-test.txt): Debian 12's 1.0.3 turns a CMD-form healthcheck into
    # a broken shell line.
    compose = [str(Path(sys.executable).parent / "podman-compose"), "--project-name", project, "--file", str(EXAMPLES / "compose.yaml")]
    try:
        up = subprocess.run([*compose, "up", "--detach"], env=env, capture_output=True, text=True, timeout=120)
        assert up.returncode == 0, up.stderr
        endpoint = f"http://127.0.0.1:{port}"
        wait_until_ready(endpoint)
        [container] = podman("ps", "--filter", f"label=io.podman.compose.project={project}",
                             "--format", "{{.Names}}").stdout.split()
        # The compose file's own healthcheck, which asks /_localstack/health.
        wait_until_healthy(container)
        assert health(endpoint, "/_localstack/health") == 200
        sagemaker = client(endpoint)
        sagemaker.create_image(ImageName="from-compose", RoleArn="arn:aws:iam::123456789012:role/R")
        assert sagemaker.describe_image(ImageName="from-compose")["ImageStatus"] == "CREATED"
    finally:
        subprocess.run([*compose, "down", "--volumes"], env=env, capture_output=True, timeout=120)


def test_the_github_actions_service_with_its_job_environment():
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    job = workflow["jobs"]["test"]
    service = job["services"]["sagemaker"]
    port = free_port()
    # What the runner does with a service: `docker run` with its ports and options, then wait for healthy.
    published = [p.replace("127.0.0.1:7447:", f"127.0.0.1:{port}:") for p in service["ports"]]
    name = unique("actions")
    try:
        podman("run", "--detach", "--name", name,
               *[option for p in published for option in ("--publish", p)],
               *shlex.split(service["options"]), service["image"])
        wait_until_healthy(name)
        job_env = {key: str(value).replace(":7447", f":{port}") for key, value in job["env"].items()}
        answered = subprocess.run(
            [sys.executable, "-c", "import boto3; print(len(boto3.client('sagemaker').list_images()['Images']))"],
            env={**os.environ, **job_env}, capture_output=True, text=True, timeout=60,
        )
        assert answered.returncode == 0, answered.stderr
        assert answered.stdout.strip() == "0"
    finally:
        podman("rm", "--force", "--volumes", name, check=False)


@pytest.fixture
def docker_api():
    """podman's Docker-compatible API on a socket of its own, as Testcontainers expects of Docker."""
    directory = tempfile.mkdtemp(prefix="podman-api-")
    socket = os.path.join(directory, "podman.sock")
    service = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{socket}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not os.path.exists(socket):
        assert time.monotonic() < deadline, "podman system service did not open its socket"
        assert service.poll() is None, "podman system service exited"
        time.sleep(0.05)
    yield f"unix://{socket}"
    service.terminate()
    service.wait(timeout=20)


def test_the_testcontainers_example(docker_api):
    env = {
        **os.environ,
        "DOCKER_HOST": docker_api,
        # Ryuk's image cannot be pulled here; the example removes its container itself.
        "TESTCONTAINERS_RYUK_DISABLED": "true",
        # This machine looks like a container itself; published ports are reached on the host.
        "TESTCONTAINERS_CONNECTION_MODE": "docker_host",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:sagemaker_images",
         str(EXAMPLES / "test_testcontainers.py")],
        env=env, capture_output=True, text=True, timeout=300, cwd=EXAMPLES,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout, run.stdout
