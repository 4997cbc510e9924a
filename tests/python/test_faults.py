"""Injected faults (/_sagemaker-images/faults, /_localstack/chaos/faults) against botocore's retries."""
import botocore.retries.standard
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ROLE_ARN, make_client
from control import throttling

BASE_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1"


@pytest.fixture
def no_backoff(monkeypatch):
    """botocore waits up to seconds between throttled attempts; the retries are what is tested, not the waits."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


def retrying_client(endpoint, attempts):
    """A client in standard retry mode making at most `attempts` attempts per call (botocore's `max_attempts`
    counts the retries only: total_max_attempts is the one that counts the first attempt too)."""
    return make_client(endpoint, config=Config(retries={"mode": "standard", "total_max_attempts": attempts}))


def test_standard_retries_get_through_a_50_percent_throttling_fault(endpoint, control, no_backoff):
    # With probability 0.5 a call fails all of its 20 attempts with chance 2**-20, and 20 calls see no fault at all
    # with chance 2**-20 (at 10 attempts, one run in ~50 would fail a call), so neither flakes.
    sm = retrying_client(endpoint, attempts=20)
    sm.create_image(ImageName="flaky", RoleArn=ROLE_ARN)
    control.set_faults(throttling("DescribeImage", probability=0.5))

    answers = [sm.describe_image(ImageName="flaky") for _ in range(20)]
    assert {a["ImageStatus"] for a in answers} == {"CREATED"}
    assert sum(a["ResponseMetadata"]["RetryAttempts"] for a in answers) > 0

    # Without retries, the faults show: 20 single attempts all succeed with chance 2**-20.
    single = retrying_client(endpoint, attempts=1)
    codes = []
    for _ in range(20):
        try:
            single.describe_image(ImageName="flaky")
        except ClientError as error:
            assert error.response["Error"]["Message"] == "Rate exceeded"
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            codes.append(error.response["Error"]["Code"])
    assert codes and set(codes) == {"ThrottlingException"}
    # Only DescribeImage is faulted.
    assert single.list_images()["ResponseMetadata"]["RetryAttempts"] == 0


@pytest.mark.parametrize("path", ["/_sagemaker-images/faults", "/_localstack/chaos/faults"])
@pytest.mark.parametrize("attempts, error", [(3, None), (2, "ThrottlingException")])
def test_counted_fault_is_retried_through_or_not(endpoint, control, no_backoff, path, attempts, error):
    sm = retrying_client(endpoint, attempts)
    sm.create_image(ImageName="counted", RoleArn=ROLE_ARN)
    control.ok("POST", path, [throttling("DescribeImage", count=2)])

    if error is None:
        assert sm.describe_image(ImageName="counted")["ResponseMetadata"]["RetryAttempts"] == 2
    else:
        with pytest.raises(ClientError) as excinfo:
            sm.describe_image(ImageName="counted")
        assert excinfo.value.response["Error"]["Code"] == error
        assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == attempts - 1
    # Two faults were thrown, so the rule is spent.
    assert sm.describe_image(ImageName="counted")["ResponseMetadata"]["RetryAttempts"] == 0


def image_names(sm):
    return [i["ImageName"] for i in sm.list_images()["Images"]]


@pytest.mark.parametrize(
    "operation, setup, call, unchanged, again",
    [
        pytest.param(
            "CreateImage",
            lambda sm: None,
            lambda sm: sm.create_image(ImageName="target", RoleArn=ROLE_ARN, Tags=[{"Key": "k", "Value": "v"}]),
            lambda sm: image_names(sm) == [],
            # The name was not taken.
            lambda sm, answer: answer["ImageArn"].endswith(":image/target"),
            id="CreateImage",
        ),
        pytest.param(
            "UpdateImage",
            lambda sm: sm.create_image(ImageName="target", RoleArn=ROLE_ARN, Description="old"),
            lambda sm: sm.update_image(ImageName="target", Description="new"),
            lambda sm: sm.describe_image(ImageName="target")["Description"] == "old",
            lambda sm, answer: sm.describe_image(ImageName="target")["Description"] == "new",
            id="UpdateImage",
        ),
        pytest.param(
            "DeleteImage",
            lambda sm: sm.create_image(ImageName="target", RoleArn=ROLE_ARN),
            lambda sm: sm.delete_image(ImageName="target"),
            lambda sm: sm.describe_image(ImageName="target")["ImageStatus"] == "CREATED",
            lambda sm, answer: image_names(sm) == [],
            id="DeleteImage",
        ),
        pytest.param(
            "CreateImageVersion",
            lambda sm: sm.create_image(ImageName="target", RoleArn=ROLE_ARN),
            lambda sm: sm.create_image_version(ImageName="target", BaseImage=BASE_IMAGE),
            lambda sm: sm.list_image_versions(ImageName="target")["ImageVersions"] == [],
            # The version number was not used up.
            lambda sm, answer: answer["ImageVersionArn"].endswith(":image-version/target/1"),
            id="CreateImageVersion",
        ),
    ],
)
def test_faulted_call_changes_nothing(endpoint, control, operation, setup, call, unchanged, again):
    sm = retrying_client(endpoint, attempts=1)
    setup(sm)
    fault = {"operation": operation, "error": {"statusCode": 503, "code": "ServiceUnavailable", "message": "injected"}}
    control.set_faults(fault)
    with pytest.raises(ClientError) as excinfo:
        call(sm)
    assert excinfo.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert excinfo.value.response["Error"]["Message"] == "injected"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert unchanged(sm)

    control.clear_faults()
    assert again(sm, call(sm))
