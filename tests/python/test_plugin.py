"""The Python package (python/sagemaker_images): the pytest plugin, run in a pytest of its own on small test
projects as a user's would be, the `Server` context manager, and the helpers."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib

import boto3
import pytest

import sagemaker_images
from conftest import REPO_ROOT, ROLE_ARN

PYTHON_SOURCE = os.path.join(REPO_ROOT, "python")


def write_project(directory, files):
    for name, text in {"pytest.ini": "[pytest]\n", **files}.items():
        (directory / name).write_text(textwrap.dedent(text))


def pytest_command(*args):
    return [sys.executable, "-m", "pytest", "-p", "sagemaker_images.pytest_plugin", "-p", "no:cacheprovider", *args]


def project_env():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "SAGEMAKER_IMAGES_TEST_DATABASE_URL")}
    env["PYTHONPATH"] = PYTHON_SOURCE  # the plugin as the wheel would install it; SAGEMAKER_IMAGES_BIN is inherited
    return env


def run_project(directory, files, *args, timeout=120):
    """Runs pytest on a project of `files` in `directory`, with the plugin; returns (exit code, output)."""
    write_project(directory, files)
    result = subprocess.run(
        pytest_command("-q", *args), cwd=directory, env=project_env(), capture_output=True, text=True, timeout=timeout
    )
    return result.returncode, result.stdout + result.stderr


ISOLATION = """
    import pytest

    ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"

    def names(sm):
        return [i["ImageName"] for i in sm.list_images()["Images"]]

    def test_first_leaves_an_image(sagemaker_images_client):
        sagemaker_images_client.create_image(ImageName="first", RoleArn=ROLE)

    def test_second_sees_none(sagemaker_images_client):
        assert names(sagemaker_images_client) == []
"""

KEPT = """
    import pytest

    pytestmark = pytest.mark.sagemaker_images_keep_state
    ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"

    def names(sm):
        return [i["ImageName"] for i in sm.list_images()["Images"]]

    def test_kept_first_starts_empty(sagemaker_images_client):
        assert names(sagemaker_images_client) == []
        sagemaker_images_client.create_image(ImageName="kept", RoleArn=ROLE)

    def test_kept_second_sees_the_first_s_image(sagemaker_images_client):
        assert names(sagemaker_images_client) == ["kept"]
"""


def test_fixtures_reset_before_each_test_unless_the_module_keeps_its_state(tmp_path):
    code, output = run_project(tmp_path, {"test_isolation.py": ISOLATION, "test_kept.py": KEPT})
    assert code == 0, output
    assert "4 passed" in output
    assert "server start: 1 server(s)" in output
    # test_first, test_second, test_kept_first: the second kept test is not preceded by a reset.
    assert "reset before a test: 3 resets" in output


def test_nothing_starts_for_tests_that_use_no_fixture(tmp_path):
    code, output = run_project(tmp_path, {"test_plain.py": "def test_plain():\n    assert True\n"})
    assert code == 0, output
    assert "1 passed" in output
    assert "sagemaker-images" not in output


def test_a_server_that_cannot_start_fails_the_tests_that_need_it_with_its_own_message(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    files = {
        "pytest.ini": "[pytest]\nsagemaker_images_init_state = broken.json\n",
        "test_needs_it.py": """
            def test_plain():
                pass

            def test_needs_the_server(sagemaker_images_client):
                pass

            def test_needs_it_too(sagemaker_images_endpoint):
                pass
        """,
    }
    code, output = run_project(tmp_path, files)
    assert code == 1, output
    assert "1 passed, 2 errors" in output
    # The server's own words (its message about the initial state), not a connection error.
    assert "sagemaker-images could not start" in output
    assert f"the initial state {tmp_path / 'broken.json'} is not JSON" in output
    assert "Connection refused" not in output


SEED = {
    "accounts": {
        "000000000000": {"us-east-1": {"Images": [{"ImageName": "seeded", "RoleArn": ROLE_ARN, "Description": "seed"}]}}
    }
}


def test_transition_delay_and_initial_state_options(tmp_path):
    (tmp_path / "seed.json").write_text(json.dumps(SEED))
    files = {
        "pytest.ini": "[pytest]\nsagemaker_images_init_state = seed.json\n",
        "test_options.py": """
            ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"

            def names(sm):
                return sorted(i["ImageName"] for i in sm.list_images()["Images"])

            def test_seeded_and_slow(sagemaker_images_client):
                sm = sagemaker_images_client
                assert sm.describe_image(ImageName="seeded")["ImageStatus"] == "CREATED"
                sm.create_image(ImageName="added", RoleArn=ROLE)
                assert sm.describe_image(ImageName="added")["ImageStatus"] == "CREATING"
                assert names(sm) == ["added", "seeded"]

            def test_the_reset_loads_the_initial_state_again(sagemaker_images_client):
                assert names(sagemaker_images_client) == ["seeded"]
        """,
    }
    # The command line's transition delay, the ini file's initial state.
    code, output = run_project(tmp_path, files, "--sagemaker-images-transition-delay", "5s")
    assert code == 0, output
    assert "2 passed" in output


def test_each_xdist_worker_gets_a_server_of_its_own(tmp_path):
    pytest.importorskip("xdist")
    (tmp_path / "seen").mkdir()
    files = {
        "test_workers.py": f"""
            import os, time
            import pytest

            ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"

            @pytest.mark.parametrize("n", range(8))
            def test_only_its_own_image(sagemaker_images_server, sagemaker_images_client, n):
                sm = sagemaker_images_client
                sm.create_image(ImageName=f"image-{{n}}", RoleArn=ROLE)
                time.sleep(0.2)  # meanwhile the other worker resets its server, not this one
                assert [i["ImageName"] for i in sm.list_images()["Images"]] == [f"image-{{n}}"]
                worker = os.environ["PYTEST_XDIST_WORKER"]
                with open(os.path.join({str(tmp_path / "seen")!r}, f"{{n}}"), "w") as f:
                    f.write(f"{{worker}} {{sagemaker_images_server.url}}")
        """
    }
    code, output = run_project(tmp_path, files, "-n", "2")
    assert code == 0, output
    assert "8 passed" in output
    seen = dict(p.read_text().split() for p in (tmp_path / "seen").iterdir())
    assert sorted(seen) == ["gw0", "gw1"], seen
    assert len(set(seen.values())) == 2, seen
    assert "server start: 2 server(s)" in output


def test_database_option_gives_each_server_a_database_of_its_own(tmp_path):
    admin_url = os.environ.get("SAGEMAKER_IMAGES_TEST_DATABASE_URL")
    if not admin_url:
        pytest.skip("SAGEMAKER_IMAGES_TEST_DATABASE_URL names no PostgreSQL server")
    files = {
        "test_db.py": f"""
            ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"

            def test_on_postgresql(sagemaker_images_server, sagemaker_images_client):
                command = sagemaker_images_server.command
                url = command[command.index("--database-url") + 1]
                with open({str(tmp_path / "database")!r}, "w") as f:
                    f.write(url.rsplit("/", 1)[1])
                sagemaker_images_client.create_image(ImageName="in-postgres", RoleArn=ROLE)
                assert sagemaker_images_server.state()["accounts"]["000000000000"]["us-east-1"]["Images"]
        """
    }
    code, output = run_project(tmp_path, files, "--sagemaker-images-database-url", admin_url)
    assert code == 0, output
    database = (tmp_path / "database").read_text()
    assert database.startswith("sagemaker_images_")
    connection = sagemaker_images._postgres._connect(admin_url)
    try:
        assert connection.run("SELECT 1 FROM pg_database WHERE datname = :name", name=database) == []  # dropped
    finally:
        connection.close()


CREDENTIALS = """
[[credentials]]
access_key_id = "AKIAPLUGINADMIN01"
secret_access_key = "plugin-admin-secret"
account_id = "111111111111"
admin = true
"""

ON_A_RUNNING_SERVER = """
    import sagemaker_images

    ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"

    def test_create(sagemaker_images_client):
        sagemaker_images_client.create_image(ImageName="remote", RoleArn=ROLE)

    def test_reset_and_forced_failure(sagemaker_images_server, sagemaker_images_client):
        sm = sagemaker_images_client
        assert sm.list_images()["Images"] == []
        sagemaker_images.force_failure(sagemaker_images_server, "CreateImage", reason="forced")
        sm.create_image(ImageName="doomed", RoleArn=ROLE)
        assert sm.describe_image(ImageName="doomed")["ImageStatus"] == "CREATE_FAILED"
"""


def test_an_already_running_server_with_an_admin_key(tmp_path, sagemaker_images_start_server):
    credentials = tmp_path / "credentials.toml"
    credentials.write_text(CREDENTIALS)
    server = sagemaker_images_start_server(credentials=credentials)
    assert server.admin_key == ("AKIAPLUGINADMIN01", "plugin-admin-secret")  # found in the file
    project = tmp_path / "project"
    project.mkdir()

    code, output = run_project(
        project,
        {"test_remote.py": ON_A_RUNNING_SERVER},
        "--sagemaker-images-url",
        server.url,
        "--sagemaker-images-admin-key",
        "AKIAPLUGINADMIN01:plugin-admin-secret",
    )
    assert code == 0, output
    assert "2 passed" in output
    assert "server start" not in output  # none was started
    assert server.client().list_images()["Images"][0]["ImageName"] == "doomed"

    # Without the key, the reset is refused, and the tests say so.
    code, output = run_project(project, {"test_remote.py": ON_A_RUNNING_SERVER}, "--sagemaker-images-url", server.url)
    assert code == 1, output
    assert "2 errors" in output
    assert "could not reset the server" in output and "AccessDeniedException" in output


def test_options_for_a_started_server_are_refused_with_a_running_one(tmp_path):
    code, output = run_project(
        tmp_path,
        {"test_x.py": "def test_x():\n    pass\n"},
        "--sagemaker-images-url",
        "http://127.0.0.1:9",
        "--sagemaker-images-transition-delay",
        "1s",
    )
    assert code == 4, output
    assert "--sagemaker-images-transition-delay configures a server the plugin starts" in output


def process_state(pid):
    """The state letter of a process (Z for a zombie), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_sigkill_of_pytest_leaves_no_server(tmp_path, xdist):
    if xdist:
        pytest.importorskip("xdist")
    pid_file = tmp_path / "server.pid"
    write_project(
        tmp_path,
        {
            "test_hang.py": f"""
                import time

                def test_hang(sagemaker_images_server):
                    with open({str(pid_file)!r} + ".tmp", "w") as f:
                        f.write(str(sagemaker_images_server.pid))
                    import os
                    os.rename({str(pid_file)!r} + ".tmp", {str(pid_file)!r})
                    time.sleep(120)
            """
        },
    )
    args = ["-n", "1"] if xdist else []
    runner = subprocess.Popen(
        pytest_command("-q", *args),
        cwd=tmp_path,
        env=project_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert runner.poll() is None, "pytest ended before its test started"
            assert time.monotonic() < deadline, "the test never started"
            time.sleep(0.05)
        server_pid = int(pid_file.read_text())
        assert process_state(server_pid) not in (None, "Z")
    finally:
        runner.kill()
        runner.wait()
    killed = time.monotonic()
    while process_state(server_pid) not in (None, "Z"):
        assert time.monotonic() - killed < 5, f"server {server_pid} still runs 5 s after pytest was killed"
        time.sleep(0.05)
    print(f"server gone {time.monotonic() - killed:.2f} s after SIGKILL of pytest")


# --- outside pytest's fixtures ----------------------------------------------------------------------------


def test_server_context_manager():
    with sagemaker_images.Server(transition_delay="5s") as server:
        assert server.url.startswith("http://127.0.0.1:")
        pid, home = server.pid, server._temp_home
        assert os.path.isdir(home)
        sm = boto3.client(
            "sagemaker",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        sm.create_image(ImageName="in-a-script", RoleArn=ROLE_ARN)
        assert sm.describe_image(ImageName="in-a-script")["ImageStatus"] == "CREATING"
        server.reset()
        assert sm.list_images()["Images"] == []
        assert server.control.health()["services"] == {"sagemaker": "running"}
    assert process_state(pid) is None
    assert not os.path.exists(home)


def test_server_context_manager_reports_the_server_s_own_error():
    with pytest.raises(sagemaker_images.ServerStartError) as excinfo:
        with sagemaker_images.Server(args=["--transition-delay", "soon"]):
            pass
    message = str(excinfo.value)
    assert "exited with status 2 before it listened" in message
    assert "invalid value 'soon' for '--transition-delay" in message


def test_a_credentials_file_without_a_toml_reader_is_an_error_not_an_unsigned_server(tmp_path, monkeypatch):
    credentials = tmp_path / "credentials.toml"
    credentials.write_text(CREDENTIALS)
    key = ("AKIAPLUGINADMIN01", "plugin-admin-secret")
    # Python < 3.11 without tomli: neither import succeeds.
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", None)
    with pytest.raises(RuntimeError, match=r"needs tomllib \(Python 3.11\+\) or tomli") as excinfo:
        sagemaker_images.Server(credentials=credentials)
    assert str(credentials) in str(excinfo.value)
    assert sagemaker_images.Server(credentials=credentials, admin_key=key).admin_key == key  # nothing to read

    # Before 3.11, tomli (which pytest itself installs there) reads it.
    monkeypatch.setattr(sys, "version_info", (3, 10, 0, "final", 0))
    monkeypatch.setitem(sys.modules, "tomli", tomllib)
    assert sagemaker_images.Server(credentials=credentials).admin_key == key


# --- the helpers, on the plugin's fixtures --------------------------------------------------------------


def test_hold_and_release(sagemaker_images_server, sagemaker_images_client):
    sm = sagemaker_images_client
    assert sagemaker_images.hold(sagemaker_images_server, "CreateImage", "held")["outcome"]["action"] == "hold"
    sm.create_image(ImageName="held", RoleArn=ROLE_ARN)
    sm.create_image(ImageName="free", RoleArn=ROLE_ARN)
    time.sleep(0.3)
    assert sm.describe_image(ImageName="free")["ImageStatus"] == "CREATED"
    assert sm.describe_image(ImageName="held")["ImageStatus"] == "CREATING"
    assert sagemaker_images.release(sagemaker_images_server, "held") == {"released": 1}
    assert sm.describe_image(ImageName="held")["ImageStatus"] == "CREATED"


def test_force_failure_counts(sagemaker_images_server, sagemaker_images_client):
    sm = sagemaker_images_client
    sagemaker_images.force_failure(sagemaker_images_server, "CreateImage", reason="twice", count=2)
    for name in ("one", "two", "three"):
        sm.create_image(ImageName=name, RoleArn=ROLE_ARN)
    statuses = [sm.describe_image(ImageName=n) for n in ("one", "two", "three")]
    assert [(s["ImageStatus"], s.get("FailureReason")) for s in statuses] == [
        ("CREATE_FAILED", "twice"),
        ("CREATE_FAILED", "twice"),
        ("CREATED", None),
    ]


def test_a_helper_takes_the_server_or_a_control_not_a_url(sagemaker_images_endpoint, sagemaker_images_client):
    with pytest.raises(TypeError, match="not the URL 'http://127.0.0.1:") as excinfo:
        sagemaker_images.force_failure(sagemaker_images_endpoint, "CreateImage")
    assert "Control('http://127.0.0.1:" in str(excinfo.value)  # says what to pass instead

    control = sagemaker_images.Control(sagemaker_images_endpoint)  # says how to sign: not at all
    sagemaker_images.force_failure(control, "CreateImage", reason="through a Control")
    sagemaker_images_client.create_image(ImageName="doomed", RoleArn=ROLE_ARN)
    described = sagemaker_images_client.describe_image(ImageName="doomed")
    assert (described["ImageStatus"], described["FailureReason"]) == ("CREATE_FAILED", "through a Control")


def test_throttle_and_faults(sagemaker_images_server, sagemaker_images_client, monkeypatch):
    import botocore.retries.standard
    from botocore.config import Config
    from botocore.exceptions import ClientError

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    sm = sagemaker_images_server.client(config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
    rules = sagemaker_images.throttle(sagemaker_images_server, "ListImages", count=2)
    assert rules == [
        {
            "service": "sagemaker",
            "operation": "ListImages",
            "count": 2,
            "error": {"code": "ThrottlingException", "statusCode": 400},
        }
    ]
    assert sm.list_images()["ResponseMetadata"]["RetryAttempts"] == 2
    assert sm.list_images()["ResponseMetadata"]["RetryAttempts"] == 0

    sagemaker_images.inject_fault(sagemaker_images_server, "DescribeImage", code="InternalFailure", status_code=500)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_image(ImageName="any")
    assert excinfo.value.response["Error"]["Code"] == "InternalFailure"
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert sagemaker_images.clear_faults(sagemaker_images_server) == []
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_image(ImageName="any")


def test_state_helpers(sagemaker_images_server, sagemaker_images_client):
    assert sagemaker_images.load_state(sagemaker_images_server, SEED)["created"] == [
        "arn:aws:sagemaker:us-east-1:000000000000:image/seeded"
    ]
    images = sagemaker_images.get_state(sagemaker_images_server)["accounts"]["000000000000"]["us-east-1"]["Images"]
    assert [i["ImageName"] for i in images] == ["seeded"]
    sagemaker_images.reset(sagemaker_images_server)
    assert sagemaker_images_client.list_images()["Images"] == []


def test_env_fixture_points_clients_built_without_arguments_at_the_server(
    sagemaker_images_env, sagemaker_images_server
):
    assert os.environ["AWS_ENDPOINT_URL_SAGEMAKER"] == sagemaker_images_env == sagemaker_images_server.url
    sm = boto3.client("sagemaker")
    sm.create_image(ImageName="from-the-environment", RoleArn=ROLE_ARN)
    assert sagemaker_images_server.client().describe_image(ImageName="from-the-environment")["ImageStatus"] == "CREATED"
