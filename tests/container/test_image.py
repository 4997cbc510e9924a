"""The image as `docker run` users meet it: its metadata, a life of create, update, stop and restart on one
volume, a read-only root, a mounted credentials file, PostgreSQL by its variable, its health check, and
another container reaching it by name."""

import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import boto3
import botocore.exceptions
import pg8000.exceptions
import pg8000.native
import pytest

from conftest import IMAGE, PORT, ROLE_ARN, client, crate_version, free_port, podman, unique, wait_until_ready

# The image is small by design (README, "Run it in a container"; scripts/container-bench measures it).
SIZE_LIMIT = 30 * 1000 * 1000
GRACE_SECONDS = 10  # the server's default SAGEMAKER_IMAGES_SHUTDOWN_GRACE


def test_the_image_says_what_it_is_and_how_it_runs():
    image = podman("image", "inspect", IMAGE)
    [config] = json.loads(image.stdout)
    assert config["Size"] <= SIZE_LIMIT, config["Size"]
    labels = config["Config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == crate_version(), labels
    assert labels["org.opencontainers.image.title"] == "sagemaker-images", labels
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0", labels
    assert labels["org.opencontainers.image.source"], labels
    assert config["Config"]["User"] == "65532:65532"
    assert config["Config"]["StopSignal"] == "SIGTERM"
    assert "/data" in config["Config"]["Volumes"]
    assert f"{PORT}/tcp" in config["Config"]["ExposedPorts"]
    assert config["Config"]["Entrypoint"] == ["/usr/local/bin/sagemaker-images"]
    assert config["Config"]["Cmd"] == ["serve"]
    assert config["Healthcheck"]["Test"] == ["CMD", "/usr/local/bin/sagemaker-images", "healthcheck"]
    tag = podman("image", "inspect", f"sagemaker-images:{crate_version()}")
    assert json.loads(tag.stdout)[0]["Id"] == config["Id"]


def host_process(running):
    """The container's PID 1 as the host sees it: its uid, its pid inside the container, its command."""
    pid = running.inspect()["State"]["Pid"]
    status = dict(
        line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line
    )
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return status["Uid"].split()[0], status["NSpid"].split()[-1], command[:2]


def test_create_update_describe_stop_and_restart_on_one_volume(start, volume):
    first = start("--volume", f"{volume}:/data")

    uid, pid_inside, command = host_process(first)
    assert uid == "65532", uid
    assert pid_inside == "1", "the server is the container's PID 1"
    assert command == [b"/usr/local/bin/sagemaker-images", b"serve"], command
    assert podman("healthcheck", "run", first.name).returncode == 0

    sagemaker = client(first.endpoint)
    names = [f"kept-{n}" for n in range(20)]
    for name in names:
        sagemaker.create_image(ImageName=name, RoleArn=ROLE_ARN)
    sagemaker.update_image(ImageName="kept-0", DisplayName="Kept across restarts")
    assert sagemaker.describe_image(ImageName="kept-0")["DisplayName"] == "Kept across restarts"

    # Writes go on while the container is stopped: each one acknowledged must be there after the restart.
    acknowledged = []
    writer = threading.Thread(target=create_until_refused, args=(first.endpoint, acknowledged))
    writer.start()
    while len(acknowledged) < 5:
        time.sleep(0.01)
    stopping = time.monotonic()
    podman("stop", "--time", str(GRACE_SECONDS * 3), first.name)
    stopped_in = time.monotonic() - stopping
    writer.join(timeout=30)
    state = first.inspect()["State"]
    assert state["ExitCode"] == 0, state
    assert stopped_in < GRACE_SECONDS, f"took {stopped_in:.1f} s to stop"

    second = start("--volume", f"{volume}:/data")
    again = client(second.endpoint)
    assert again.describe_image(ImageName="kept-0")["DisplayName"] == "Kept across restarts"
    listed = [image["ImageName"] for page in again.get_paginator("list_images").paginate() for image in page["Images"]]
    assert set(names + acknowledged) <= set(listed), set(names + acknowledged) - set(listed)


def create_until_refused(endpoint, acknowledged):
    """Creates images one after another until the server stops answering; records each acknowledged one."""
    sagemaker = client(endpoint, retries=0)
    for n in range(10_000):
        name = f"during-stop-{n}"
        try:
            sagemaker.create_image(ImageName=name, RoleArn=ROLE_ARN)
        except Exception:  # the server is gone: whatever it did not acknowledge may or may not be kept
            return
        acknowledged.append(name)


def test_a_read_only_root_serves_with_data_on_its_volume(start, volume):
    running = start("--read-only", "--volume", f"{volume}:/data")
    sagemaker = client(running.endpoint)
    sagemaker.create_image(ImageName="on-a-read-only-root", RoleArn=ROLE_ARN)
    assert sagemaker.describe_image(ImageName="on-a-read-only-root")["ImageStatus"] == "CREATED"
    assert running.inspect()["HostConfig"]["ReadonlyRootfs"] is True


def test_a_mounted_credentials_file_replaces_the_test_key(start, tmp_path):
    credentials = tmp_path / "credentials.toml"
    credentials.write_text(
        '[[credentials]]\naccess_key_id = "AKIDSHARED"\nsecret_access_key = "shared-secret"\n'
        'account_id = "111111111111"\n'
    )
    credentials.chmod(0o644)
    running = start("--volume", f"{credentials}:/etc/sagemaker-images/credentials.toml:ro",
                    "--env", "SAGEMAKER_IMAGES_CREDENTIALS=/etc/sagemaker-images/credentials.toml")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        client(running.endpoint).list_images()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException", refused.value.response
    shared = boto3.client("sagemaker", endpoint_url=running.endpoint, region_name="us-east-1",
                          aws_access_key_id="AKIDSHARED", aws_secret_access_key="shared-secret")
    assert shared.list_images()["Images"] == []


def test_postgresql_through_its_variable():
    """The image on the host's network, its store a PostgreSQL database named by its variable."""
    server = urlparse(os.environ.get("SAGEMAKER_IMAGES_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    database = unique("container").replace("-", "_")
    try:
        admin = pg8000.native.Connection(server.username or "postgres", host=server.hostname or "127.0.0.1",
                                         port=server.port or 5432, database=server.path.lstrip("/") or "postgres")
    except (OSError, pg8000.exceptions.InterfaceError):
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no PostgreSQL at {server.geturl()} (scripts/test skips its PostgreSQL pass too)")
    admin.run(f"CREATE DATABASE {database}")
    port = free_port()
    name = unique("on-postgres")
    url = server._replace(path=f"/{database}").geturl()
    try:
        podman("run", "--detach", "--name", name, "--network", "host",
               "--env", f"SAGEMAKER_IMAGES_LISTEN=127.0.0.1:{port}", "--env", f"SAGEMAKER_IMAGES_DATABASE_URL={url}",
               IMAGE)
        endpoint = f"http://127.0.0.1:{port}"
        wait_until_ready(endpoint)
        sagemaker = client(endpoint)
        sagemaker.create_image(ImageName="in-postgres", RoleArn=ROLE_ARN)
        assert sagemaker.describe_image(ImageName="in-postgres")["ImageStatus"] == "CREATED"
        [[stored]] = pg8000.native.Connection(
            server.username or "postgres", host=server.hostname or "127.0.0.1", port=server.port or 5432,
            database=database,
        ).run("SELECT count(*) FROM images")
        assert stored == 1
    finally:
        podman("rm", "--force", name, check=False)
        admin.run(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()


def test_the_image_healthcheck_fails_when_its_server_does_not_answer(start):
    healthy = start()
    assert podman("healthcheck", "run", healthy.name).returncode == 0
    # The same check, pointed where nothing listens: the engine must see it fail.
    pointed_away = start("--env", "SAGEMAKER_IMAGES_HEALTHCHECK_URL=http://127.0.0.1:1")
    checked = podman("healthcheck", "run", pointed_away.name, check=False)
    assert checked.returncode == 1, checked
    assert "unhealthy" in checked.stdout + checked.stderr, checked


def reach(network, url):
    """Runs the image's own health check from a second container on `network`: its exit code and message."""
    done = podman("run", "--rm", "--network", network, IMAGE, "healthcheck", "--url", url, check=False)
    return done.returncode, done.stderr.strip()


def call_api_from(network, endpoint, image_name):
    """boto3 from a second container on `network`: this image with the tests' Python mounted read-only
    (the image itself has none). Returns the status DescribeImage reports after CreateImage."""
    mounts = {sys.base_prefix, sys.prefix, "/lib", "/usr/lib"}
    volumes = [option for path in sorted(mounts) for option in ("--volume", f"{path}:{path}:ro")]
    script = (
        "import boto3, sys\n"
        f"sm = boto3.client('sagemaker', endpoint_url={endpoint!r}, region_name='us-east-1',"
        " aws_access_key_id='test', aws_secret_access_key='test')\n"
        f"sm.create_image(ImageName={image_name!r}, RoleArn={ROLE_ARN!r})\n"
        f"print(sm.describe_image(ImageName={image_name!r})['ImageStatus'])\n"
    )
    done = podman("run", "--rm", "--network", network, "--user", "0", *volumes, "--entrypoint",
                  str(Path(sys.prefix) / "bin" / "python"), IMAGE, "-c", script)
    return done.stdout.strip()


def test_another_container_reaches_it_by_name_and_the_control_plane_only_when_allowed(start, network):
    allowed = start("--network", network, "--network-alias", "sagemaker",
                    "--env", "SAGEMAKER_IMAGES_CONTROL_HOSTS=sagemaker")
    start("--network", network, "--network-alias", "closed")
    assert call_api_from(network, "http://sagemaker:7447", "by-name") == "CREATED"
    assert client(allowed.endpoint).describe_image(ImageName="by-name")["ImageStatus"] == "CREATED"
    assert call_api_from(network, "http://closed:7447", "by-name-too") == "CREATED"
    for url, expected in [
        ("http://sagemaker:7447", 0),
        ("http://sagemaker:7447/_sagemaker-images/state", 0),
        ("http://closed:7447", 0),
        ("http://closed:7447/_sagemaker-images/state", 1),
    ]:
        code, message = reach(network, url)
        assert code == expected, (url, code, message)
        if expected == 1:
            assert "answered 403" in message, message
