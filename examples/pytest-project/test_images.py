"""Tests as a user of the sagemaker-images wheel writes them: no conftest.py, no server code, only the
pytest plugin's fixtures (the plugin is active once the wheel is installed) and its helpers.

    pip install sagemaker_images-*.whl -r requirements.txt
    pytest            # or pytest -n 2: each xdist worker gets a server of its own
"""
import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

import sagemaker_images

ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerRole"
# The stock waiters poll once a minute; the server's transitions take 300 ms here (pytest.ini).
POLL = {"Delay": 0.2, "MaxAttempts": 100}


def image_names(sm):
    return sorted(i["ImageName"] for page in sm.get_paginator("list_images").paginate() for i in page["Images"])


def test_create_wait_update_and_list(sagemaker_images_client):
    sm = sagemaker_images_client
    sm.create_image(ImageName="my-kernel", RoleArn=ROLE_ARN, Description="Python 3.12 with our tools")
    assert sm.describe_image(ImageName="my-kernel")["ImageStatus"] == "CREATING"
    sm.get_waiter("image_created").wait(ImageName="my-kernel", WaiterConfig=POLL)

    sm.update_image(ImageName="my-kernel", DisplayName="My kernel")
    assert sm.describe_image(ImageName="my-kernel")["ImageStatus"] == "UPDATING"
    sm.get_waiter("image_updated").wait(ImageName="my-kernel", WaiterConfig=POLL)
    image = sm.describe_image(ImageName="my-kernel")
    assert (image["ImageStatus"], image["DisplayName"]) == ("CREATED", "My kernel")

    for name in ("other-a", "other-b", "other-c"):
        sm.create_image(ImageName=name, RoleArn=ROLE_ARN)
    pages = list(sm.get_paginator("list_images").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["Images"]) for page in pages] == [2, 2]
    assert sorted(i["ImageName"] for page in pages for i in page["Images"]) == [
        "my-kernel",
        "other-a",
        "other-b",
        "other-c",
    ]


def test_forced_failure_is_seen_by_the_waiter(sagemaker_images_server, sagemaker_images_client):
    sm = sagemaker_images_client
    sagemaker_images.force_failure(
        sagemaker_images_server, "CreateImage", image_name="broken", reason="The base image could not be pulled."
    )
    sm.create_image(ImageName="broken", RoleArn=ROLE_ARN)
    with pytest.raises(WaiterError) as excinfo:
        sm.get_waiter("image_created").wait(ImageName="broken", WaiterConfig=POLL)
    assert excinfo.value.last_response["ImageStatus"] == "CREATE_FAILED"
    assert sm.describe_image(ImageName="broken")["FailureReason"] == "The base image could not be pulled."


def test_held_update_blocks_until_released(sagemaker_images_server, sagemaker_images_client):
    sm = sagemaker_images_client
    sm.create_image(ImageName="base", RoleArn=ROLE_ARN)
    sm.get_waiter("image_created").wait(ImageName="base", WaiterConfig=POLL)
    sagemaker_images.hold(sagemaker_images_server, "UpdateImage", image_name="base")
    sm.update_image(ImageName="base", Description="new")
    with pytest.raises(ClientError) as excinfo:
        sm.update_image(ImageName="base", Description="newer")
    assert excinfo.value.response["Error"]["Code"] == "ResourceInUse"
    assert sagemaker_images.release(sagemaker_images_server, "base") == {"released": 1}
    assert sm.describe_image(ImageName="base")["ImageStatus"] == "CREATED"


def test_a_throttled_call_is_retried(sagemaker_images_server, sagemaker_images_endpoint):
    sm = boto3.client(
        "sagemaker",
        endpoint_url=sagemaker_images_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    sagemaker_images.throttle(sagemaker_images_server, "ListImages", count=1)
    assert sm.list_images()["ResponseMetadata"]["RetryAttempts"] == 1


def test_isolation_first_test_leaves_an_image_behind(sagemaker_images_client):
    sagemaker_images_client.create_image(ImageName="left-behind", RoleArn=ROLE_ARN)
    assert image_names(sagemaker_images_client) == ["left-behind"]


def test_isolation_second_test_does_not_see_it(sagemaker_images_client):
    assert image_names(sagemaker_images_client) == []


def test_sagemaker_core_through_the_environment(sagemaker_images_env, sagemaker_images_server):
    # sagemaker-core builds its own boto3 clients: AWS_ENDPOINT_URL_SAGEMAKER (set by the fixture) takes it to
    # the server. (The fixture also empties sagemaker-core's process-wide client cache, before and after.)
    from sagemaker.core.resources import Image
    from sagemaker.core.utils.exceptions import FailedStatusError

    image = Image.create(image_name="core-image", role_arn=ROLE_ARN, description="via sagemaker-core")
    image.wait_for_status("CREATED", poll=1, timeout=30)
    image.update(display_name="Core")
    image.wait_for_status("CREATED", poll=1, timeout=30)
    assert Image.get(image_name="core-image").display_name == "Core"
    assert [i.image_name for i in Image.get_all()] == ["core-image"]
    # A client built with no arguments at all reaches the same server.
    assert boto3.client("sagemaker").describe_image(ImageName="core-image")["DisplayName"] == "Core"

    sagemaker_images.force_failure(sagemaker_images_server, "CreateImage", image_name="core-doomed", reason="forced")
    doomed = Image.create(image_name="core-doomed", role_arn=ROLE_ARN)
    with pytest.raises(FailedStatusError):
        doomed.wait_for_status("CREATED", poll=1, timeout=30)
    assert doomed.failure_reason == "forced"


# Every test starts from an empty server, however many ran before it: the plugin's summary at the end of the
# run prints how long each reset took, first tests against last.
@pytest.mark.parametrize("n", range(30))
def test_every_test_starts_empty(sagemaker_images_client, n):
    sm = sagemaker_images_client
    assert sm.list_images()["Images"] == []
    for i in range(5):
        sm.create_image(ImageName=f"round-{n}-{i}", RoleArn=ROLE_ARN)
