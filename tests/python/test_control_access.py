"""Who may call the control plane: admin keys of a credentials file, same-origin local callers of the built-in key."""
import os
import tomllib

import pytest
from botocore.config import Config

from conftest import REPO_ROOT, ROLE_ARN, make_client
from control import Control, throttling

ADMIN = ("AKIAADMINKEY0001", "admin-secret-for-the-tests")
MEMBER = ("AKIAMEMBERKEY001", "member-secret-for-the-tests")
CREDENTIALS = f"""
[[credentials]]
access_key_id = "{ADMIN[0]}"
secret_access_key = "{ADMIN[1]}"
account_id = "111111111111"
admin = true

[[credentials]]
access_key_id = "{MEMBER[0]}"
secret_access_key = "{MEMBER[1]}"
account_id = "111111111111"
"""


def image_names(sm):
    return [i["ImageName"] for i in sm.list_images()["Images"]]


@pytest.fixture
def guarded(start_server, tmp_path):
    """A server with a credentials file, holding one image of account 111111111111: (endpoint, member's client)."""
    path = tmp_path / "credentials.toml"
    path.write_text(CREDENTIALS)
    endpoint = start_server("--credentials", str(path))
    sm = make_client(endpoint, key=MEMBER)
    sm.create_image(ImageName="kept", RoleArn=ROLE_ARN)
    return endpoint, sm


@pytest.mark.parametrize(
    "key",
    [None, MEMBER, ("test", "test"), (ADMIN[0], "not-the-admin-secret")],
    ids=["unsigned", "non-admin-key", "built-in-key", "admin-key-wrong-secret"],
)
def test_reset_without_an_admin_signature_is_refused(guarded, key):
    endpoint, sm = guarded
    answer = Control(endpoint, key=key).request("POST", "/_sagemaker-images/reset")
    assert answer.status == 403, answer
    assert answer.error_type == "AccessDeniedException"
    assert answer.error_message
    assert image_names(sm) == ["kept"]


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_reset_signed_by_the_admin_key(guarded, region):
    endpoint, sm = guarded
    assert "reset" in Control(endpoint, key=ADMIN, region=region).ok("POST", "/_sagemaker-images/reset")
    assert image_names(sm) == []


def crate_version():
    with open(os.path.join(REPO_ROOT, "Cargo.toml"), "rb") as f:
        return tomllib.load(f)["package"]["version"]


@pytest.mark.parametrize(
    "method, path, status, body",
    [
        ("GET", "/_sagemaker-images/health", 200, "health"),
        ("HEAD", "/_sagemaker-images/health", 200, None),
        ("GET", "/_localstack/health", 200, "health"),
        ("GET", "/_sagemaker-images/live", 200, {"status": "live"}),
        ("HEAD", "/_sagemaker-images/live", 200, None),
        ("GET", "/_sagemaker-images/state", 403, None),
        ("GET", "/_sagemaker-images/outcomes", 403, None),
    ],
)
def test_only_health_is_open_without_a_signature(guarded, method, path, status, body):
    endpoint, _ = guarded
    answer = Control(endpoint).request(method, path)
    assert answer.status == status, answer
    if body == "health":
        assert answer.body["services"] == {"sagemaker": "running"}
        assert (answer.body["edition"], answer.body["version"]) == ("sagemaker-images", crate_version())
    elif body is not None:
        assert answer.body == body
    if status == 403:
        assert answer.error_type == "AccessDeniedException"


EVIL = {"Origin": "http://evil.example"}


@pytest.mark.parametrize(
    "path, body, unchanged",
    [
        pytest.param("/_sagemaker-images/reset", None, lambda sm, c: image_names(sm) == ["kept"], id="reset"),
        pytest.param("/_localstack/state/reset", None, lambda sm, c: image_names(sm) == ["kept"], id="localstack-reset"),
        pytest.param(
            "/_sagemaker-images/outcomes",
            {"operation": "CreateImage", "action": "fail", "failureReason": "cross-site"},
            lambda sm, c: c.outcomes() == [],
            id="outcomes",
        ),
        pytest.param(
            "/_sagemaker-images/faults",
            [throttling("ListImages")],
            lambda sm, c: image_names(sm) == ["kept"],  # would be throttled (no retries) if the rule were taken
            id="faults",
        ),
        pytest.param(
            "/_sagemaker-images/state",
            {"accounts": {"000000000000": {"us-east-1": {"Images": [{"ImageName": "planted", "RoleArn": ROLE_ARN}]}}}},
            lambda sm, c: image_names(sm) == ["kept"],
            id="state",
        ),
    ],
)
def test_cross_origin_state_change_is_refused(endpoint, control, path, body, unchanged):
    sm = make_client(endpoint, config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    sm.create_image(ImageName="kept", RoleArn=ROLE_ARN)
    answer = control.request("POST", path, body, headers=EVIL)
    assert answer.status == 403, answer
    assert answer.error_type == "AccessDeniedException"
    assert unchanged(sm, control)


def test_same_origin_and_no_origin_are_let_in(client, control):
    client.create_image(ImageName="kept", RoleArn=ROLE_ARN)
    state = control.request("GET", "/_sagemaker-images/state")
    assert state.status == 200, state
    assert [i["ImageName"] for i in state.body["accounts"]["000000000000"]["us-east-1"]["Images"]] == ["kept"]

    answer = control.request("POST", "/_sagemaker-images/reset", headers={"Origin": control.endpoint})
    assert answer.status == 200, answer
    assert image_names(client) == []
