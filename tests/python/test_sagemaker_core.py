"""sagemaker-core's Image resource (sagemaker.core.resources in sagemaker-core 2.x), reaching the server through
AWS_ENDPOINT_URL_SAGEMAKER as a user's code would."""
import os

import pytest
from botocore.exceptions import ClientError
from sagemaker.core.resources import Image
from sagemaker.core.utils.exceptions import FailedStatusError
from sagemaker.core.utils.utils import SageMakerClient

from conftest import REGION, ROLE_ARN, image_arn, make_client
from control import Control


@pytest.fixture
def core_endpoint(delayed_endpoint, monkeypatch, tmp_path):
    """The delayed server, as the environment's SageMaker endpoint; sagemaker-core builds its clients from it."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", delayed_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # Keep the developer's own ~/.aws out of the runs.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    SageMakerClient.reset()  # it caches clients process-wide: one made for an earlier test's server would be reused
    yield delayed_endpoint
    SageMakerClient.reset()


def test_create_wait_delete(core_endpoint):
    image = Image.create(image_name="core-image", role_arn=ROLE_ARN, description="via sagemaker-core")
    assert image.image_arn == image_arn("core-image")
    assert image.image_status == "CREATING"
    assert make_client(core_endpoint).describe_image(ImageName="core-image")["Description"] == "via sagemaker-core"

    image.wait_for_status("CREATED", poll=1, timeout=30)
    assert image.image_status == "CREATED"
    assert Image.get(image_name="core-image").description == "via sagemaker-core"

    image.delete()
    assert Image.get(image_name="core-image").image_status == "DELETING"
    image.wait_for_delete(poll=1, timeout=30)
    with pytest.raises(ClientError) as excinfo:
        Image.get(image_name="core-image")
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFound"


def test_wait_for_status_raises_on_a_forced_create_failed(core_endpoint):
    Control(core_endpoint).add_outcome("CreateImage", "fail", image_name="core-doomed", failureReason="forced by the test")
    image = Image.create(image_name="core-doomed", role_arn=ROLE_ARN)
    assert image.image_status == "CREATING"
    with pytest.raises(FailedStatusError) as excinfo:
        image.wait_for_status("CREATED", poll=1, timeout=30)
    assert "CREATE_FAILED" in str(excinfo.value)
    assert "forced by the test" in str(excinfo.value)
    assert (image.image_status, image.failure_reason) == ("CREATE_FAILED", "forced by the test")
