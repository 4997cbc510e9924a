"""Forced outcomes (POST /_sagemaker-images/outcomes): a transition that ends *_FAILED, or is held until released."""
import time

import pytest
from botocore.exceptions import ClientError, WaiterError

from conftest import ROLE_ARN

FAST = {"Delay": 1, "MaxAttempts": 20}
BASE_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1"
REASON = "forced by the test"


def settled_image(sm, name):
    sm.create_image(ImageName=name, RoleArn=ROLE_ARN, Description="old")
    sm.get_waiter("image_created").wait(ImageName=name, WaiterConfig=FAST)


def settled_version(sm, name):
    settled_image(sm, name)
    sm.create_image_version(ImageName=name, BaseImage=BASE_IMAGE)
    sm.get_waiter("image_version_created").wait(ImageName=name, Version=1, WaiterConfig=FAST)


def image_status(sm, name):
    try:
        return sm.describe_image(ImageName=name)["ImageStatus"]
    except sm.exceptions.ResourceNotFound:
        return "gone"


def version_status(sm, name):
    try:
        return sm.describe_image_version(ImageName=name, Version=1)["ImageVersionStatus"]
    except sm.exceptions.ResourceNotFound:
        return "gone"


@pytest.mark.parametrize(
    "operation, setup, call, waiter, waiter_args, describe, status_key, failed",
    [
        pytest.param(
            "CreateImage",
            lambda sm, n: None,
            lambda sm, n: sm.create_image(ImageName=n, RoleArn=ROLE_ARN),
            "image_created",
            {},
            lambda sm, n: sm.describe_image(ImageName=n),
            "ImageStatus",
            "CREATE_FAILED",
            id="ImageCreated",
        ),
        pytest.param(
            "UpdateImage",
            settled_image,
            lambda sm, n: sm.update_image(ImageName=n, Description="new"),
            "image_updated",
            {},
            lambda sm, n: sm.describe_image(ImageName=n),
            "ImageStatus",
            "UPDATE_FAILED",
            id="ImageUpdated",
        ),
        pytest.param(
            "CreateImageVersion",
            settled_image,
            lambda sm, n: sm.create_image_version(ImageName=n, BaseImage=BASE_IMAGE),
            "image_version_created",
            {"Version": 1},
            lambda sm, n: sm.describe_image_version(ImageName=n, Version=1),
            "ImageVersionStatus",
            "CREATE_FAILED",
            id="ImageVersionCreated",
        ),
    ],
)
def test_waiter_fails_on_a_forced_failure(
    delayed_client, delayed_control, operation, setup, call, waiter, waiter_args, describe, status_key, failed
):
    sm = delayed_client
    setup(sm, "doomed")
    rule = delayed_control.add_outcome(operation, "fail", image_name="doomed", failureReason=REASON)["outcome"]
    assert rule["operation"] == operation and rule["action"] == "fail"

    call(sm, "doomed")
    assert describe(sm, "doomed")[status_key] in ("CREATING", "UPDATING"), "fails only after the transition delay"
    with pytest.raises(WaiterError) as excinfo:
        sm.get_waiter(waiter).wait(ImageName="doomed", WaiterConfig=FAST, **waiter_args)
    assert "terminal failure state" in str(excinfo.value)
    assert excinfo.value.last_response[status_key] == failed

    described = describe(sm, "doomed")
    assert described[status_key] == failed
    assert described["FailureReason"] == REASON


def test_forced_failure_is_spent_after_count_calls(client, control):
    control.add_outcome("CreateImage", "fail", failureReason=REASON, count=2)  # any image
    for name in ("first", "second", "third"):
        client.create_image(ImageName=name, RoleArn=ROLE_ARN)
    assert [image_status(client, n) for n in ("first", "second", "third")] == ["CREATE_FAILED", "CREATE_FAILED", "CREATED"]
    assert "FailureReason" not in client.describe_image(ImageName="third")


@pytest.mark.parametrize(
    "operation, setup, call, status, transitional, settled, blocked",
    [
        pytest.param(
            "CreateImage",
            lambda sm, n: None,
            lambda sm, n: sm.create_image(ImageName=n, RoleArn=ROLE_ARN),
            image_status,
            "CREATING",
            "CREATED",
            lambda sm, n: sm.update_image(ImageName=n, Description="too early"),
            id="CreateImage",
        ),
        pytest.param(
            "UpdateImage",
            settled_image,
            lambda sm, n: sm.update_image(ImageName=n, Description="new"),
            image_status,
            "UPDATING",
            "CREATED",
            lambda sm, n: sm.delete_image(ImageName=n),
            id="UpdateImage",
        ),
        pytest.param(
            "DeleteImage",
            settled_image,
            lambda sm, n: sm.delete_image(ImageName=n),
            image_status,
            "DELETING",
            "gone",
            lambda sm, n: sm.update_image(ImageName=n, Description="too late"),
            id="DeleteImage",
        ),
        pytest.param(
            "CreateImageVersion",
            settled_image,
            lambda sm, n: sm.create_image_version(ImageName=n, BaseImage=BASE_IMAGE),
            version_status,
            "CREATING",
            "CREATED",
            lambda sm, n: sm.delete_image_version(ImageName=n, Version=1),
            id="CreateImageVersion",
        ),
        pytest.param(
            "DeleteImageVersion",
            settled_version,
            lambda sm, n: sm.delete_image_version(ImageName=n, Version=1),
            version_status,
            "DELETING",
            "gone",
            lambda sm, n: sm.delete_image_version(ImageName=n, Version=1),
            id="DeleteImageVersion",
        ),
    ],
)
def test_held_transition_waits_for_release(client, control, operation, setup, call, status, transitional, settled, blocked):
    """On an instant server, the held image stays transitional until released; another image is not held."""
    sm = client
    for name in ("held", "free"):
        setup(sm, name)
    control.add_outcome(operation, "hold", image_name="held")
    for name in ("held", "free"):
        call(sm, name)
    time.sleep(0.5)
    assert status(sm, "free") == settled
    assert status(sm, "held") == transitional
    with pytest.raises(ClientError) as excinfo:
        blocked(sm, "held")
    assert excinfo.value.response["Error"]["Code"] == "ResourceInUse"
    assert status(sm, "held") == transitional

    assert control.release("held") == {"released": 1}
    assert status(sm, "held") == settled
    assert control.release("held") == {"released": 0}
