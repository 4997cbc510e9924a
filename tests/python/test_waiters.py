"""boto3's SageMaker waiters against the server's CREATING / UPDATING / DELETING transitions."""
import time

import pytest
from botocore.context import start_as_current_context
from botocore.exceptions import ClientError
from botocore.useragent import register_feature_id

from conftest import ROLE_ARN, TRANSITION_DELAY_SECONDS, DescribeCounter, image_arn

FAST = {"Delay": 1, "MaxAttempts": 20}


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_image_lifecycle_through_waiters(delayed_client):
    sm = delayed_client
    polls = DescribeCounter(sm)
    name = "Waiter-Image"

    created = sm.create_image(ImageName=name, RoleArn=ROLE_ARN, Description="first", DisplayName="First")
    assert created["ImageArn"] == image_arn(name) == "arn:aws:sagemaker:us-east-1:000000000000:image/waiter-image"
    described = sm.describe_image(ImageName=name)
    assert described["ImageStatus"] == "CREATING"
    assert described["ImageName"] == name

    # CREATING is transitional: updating or deleting now is refused.
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.update_image(ImageName=name, Description="too early")

    polls.calls = 0
    started = time.monotonic()
    assert sm.get_waiter("image_created").wait(ImageName=name, WaiterConfig=FAST) is None
    assert polls.calls >= 2, "the waiter should have polled while the image was CREATING"
    assert time.monotonic() - started < TRANSITION_DELAY_SECONDS + 3
    described = sm.describe_image(ImageName=name)
    assert described["ImageStatus"] == "CREATED"
    assert described["Description"] == "first"
    assert described["DisplayName"] == "First"

    updated = sm.update_image(ImageName=name, Description="second", DisplayName="Second")
    assert updated["ImageArn"] == image_arn(name)
    assert sm.describe_image(ImageName=name)["ImageStatus"] == "UPDATING"

    with pytest.raises(ClientError) as excinfo:
        sm.update_image(ImageName=name, Description="third")
    assert error_code(excinfo) == "ResourceInUse"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as excinfo:
        sm.delete_image(ImageName=name)
    assert error_code(excinfo) == "ResourceInUse"

    polls.calls = 0
    assert sm.get_waiter("image_updated").wait(ImageName=name, WaiterConfig=FAST) is None
    assert polls.calls >= 2, "the waiter should have polled while the image was UPDATING"
    described = sm.describe_image(ImageName=name)
    assert described["ImageStatus"] == "CREATED"
    assert described["Description"] == "second"
    assert described["DisplayName"] == "Second"
    assert described["RoleArn"] == ROLE_ARN
    assert described["LastModifiedTime"] > described["CreationTime"]

    sm.delete_image(ImageName=name)
    assert sm.describe_image(ImageName=name)["ImageStatus"] == "DELETING"
    with pytest.raises(ClientError) as excinfo:
        sm.update_image(ImageName=name, Description="gone soon")
    assert error_code(excinfo) == "ResourceInUse"

    polls.calls = 0
    assert sm.get_waiter("image_deleted").wait(ImageName=name, WaiterConfig=FAST) is None
    assert polls.calls >= 2, "the waiter should have polled while the image was DELETING"
    with pytest.raises(ClientError) as excinfo:
        sm.describe_image(ImageName=name)
    assert error_code(excinfo) == "ResourceNotFound"
    assert "does not exist" in excinfo.value.response["Error"]["Message"]
    assert [i["ImageName"] for i in sm.list_images()["Images"]] == []


def test_image_deleted_waiter_on_never_existing_image_succeeds_at_once(client):
    sm = client
    polls = DescribeCounter(sm)
    started = time.monotonic()
    sm.get_waiter("image_deleted").wait(ImageName="never-existed", WaiterConfig={"Delay": 5, "MaxAttempts": 3})
    assert polls.calls == 1
    assert time.monotonic() - started < 2


def feature_ids(user_agent):
    """The feature ids of a botocore User-Agent's `m/` component (`m/B,E` -> {"B", "E"})."""
    return {i for part in user_agent.split() if part.startswith("m/") for i in part[2:].split(",")}


def call_as_plain_client(call):
    return call()


def call_as_waiter(call):
    """Makes the call as a stock waiter does: in a context with the WAITER feature id (B) in its User-Agent."""
    with start_as_current_context():
        register_feature_id("WAITER")
        return call()


def call_with_old_waiter_user_agent(sm):
    """Replaces the User-Agent (just before it is sent: botocore rebuilds it after signing) with an older waiter's."""

    def set_user_agent(request, **_):
        request.headers["User-Agent"] = "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux m/B,E"

    sm.meta.events.register_first("before-send.sagemaker", set_user_agent)
    return call_as_plain_client


@pytest.mark.parametrize(
    "caller, waiter_like",
    [
        (lambda sm: call_as_plain_client, False),
        (lambda sm: call_as_waiter, True),
        (call_with_old_waiter_user_agent, True),
    ],
    ids=["plain-client", "waiter-context", "old-waiter-user-agent"],
)
@pytest.mark.parametrize(
    "describe, args",
    [("describe_image", {"ImageName": "missing"}), ("describe_image_version", {"ImageName": "missing", "Version": 1})],
    ids=["DescribeImage", "DescribeImageVersion"],
)
def test_missing_resource_is_resource_not_found_whatever_the_user_agent(client, caller, waiter_like, describe, args):
    sent = []
    client.meta.events.register("before-send.sagemaker", lambda request, **_: sent.append(request.headers["User-Agent"]))
    call = caller(client)
    with pytest.raises(ClientError) as excinfo:
        call(lambda: getattr(client, describe)(**args))
    assert error_code(excinfo) == "ResourceNotFound"
    assert isinstance(excinfo.value, client.exceptions.ResourceNotFound)
    assert len(sent) == 1
    user_agent = sent[0].decode() if isinstance(sent[0], bytes) else sent[0]
    assert ("B" in feature_ids(user_agent)) == waiter_like, user_agent


def test_image_version_waiters(delayed_client):
    sm = delayed_client
    sm.create_image(ImageName="versioned", RoleArn=ROLE_ARN)
    sm.get_waiter("image_created").wait(ImageName="versioned", WaiterConfig=FAST)
    arn = sm.create_image_version(ImageName="versioned", BaseImage="123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1")[
        "ImageVersionArn"
    ]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:image-version/versioned/1"
    assert sm.describe_image_version(ImageName="versioned")["ImageVersionStatus"] == "CREATING"
    sm.get_waiter("image_version_created").wait(ImageName="versioned", Version=1, WaiterConfig=FAST)
    assert sm.describe_image_version(ImageName="versioned", Version=1)["ImageVersionStatus"] == "CREATED"

    sm.delete_image_version(ImageName="versioned", Version=1)
    assert sm.describe_image_version(ImageName="versioned", Version=1)["ImageVersionStatus"] == "DELETING"
    with pytest.raises(ClientError) as excinfo:
        sm.delete_image_version(ImageName="versioned", Version=1)
    assert error_code(excinfo) == "ResourceInUse"
    sm.get_waiter("image_version_deleted").wait(ImageName="versioned", Version=1, WaiterConfig=FAST)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_image_version(ImageName="versioned", Version=1)
    assert error_code(excinfo) == "ResourceNotFound"
    assert "does not exist" in excinfo.value.response["Error"]["Message"]
