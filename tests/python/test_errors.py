"""What boto3's ClientError carries for the server's errors."""
import re

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from conftest import ROLE_ARN


def test_resource_not_found_client_error(client):
    with pytest.raises(ClientError) as excinfo:
        client.describe_image(ImageName="no-such-image")
    error = excinfo.value
    # botocore maps the code to the exception class the model declares for DescribeImage.
    assert isinstance(error, client.exceptions.ResourceNotFound)
    assert error.response["Error"]["Code"] == "ResourceNotFound"
    assert "does not exist" in error.response["Error"]["Message"]
    assert "no-such-image" in error.response["Error"]["Message"]
    meta = error.response["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 400
    assert meta["RequestId"]
    assert meta["HTTPHeaders"]["x-amzn-requestid"] == meta["RequestId"]
    assert meta["RetryAttempts"] == 0
    assert error.operation_name == "DescribeImage"
    assert str(error) == (
        "An error occurred (ResourceNotFound) when calling the DescribeImage operation: "
        + error.response["Error"]["Message"]
    )


def test_request_ids_differ_between_requests(client):
    ids = set()
    for _ in range(3):
        with pytest.raises(client.exceptions.ResourceNotFound) as excinfo:
            client.describe_image(ImageName="missing")
        ids.add(excinfo.value.response["ResponseMetadata"]["RequestId"])
    assert len(ids) == 3


def test_pattern_validation_comes_from_the_server(client):
    # botocore checks lengths and types but not patterns, so this request reaches the server.
    pattern = client.meta.service_model.shape_for("ImageName").metadata["pattern"]
    assert pattern == "[a-zA-Z0-9]([-.]?[a-zA-Z0-9]){0,62}"
    with pytest.raises(ClientError) as excinfo:
        client.describe_image(ImageName="bad_name!")
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value 'bad_name!' at 'imageName' failed to satisfy constraint: "
        # AWS quotes the model's pattern anchored.
        f"Member must satisfy regular expression pattern: ^{pattern}$"
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_resource_in_use_on_duplicate_create(client):
    client.create_image(ImageName="Dup", RoleArn=ROLE_ARN)
    with pytest.raises(ClientError) as excinfo:
        client.create_image(ImageName="dup", RoleArn=ROLE_ARN)
    assert isinstance(excinfo.value, client.exceptions.ResourceInUse)
    assert excinfo.value.response["Error"]["Code"] == "ResourceInUse"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_length_violation_never_reaches_the_server(client):
    # The contrast with the pattern case above: botocore checks a string's minimum length itself.
    sent = []
    client.meta.events.register("before-send.sagemaker.DescribeImage", lambda **kw: sent.append(kw))
    with pytest.raises(ParamValidationError, match=re.escape("Invalid length for parameter ImageName")):
        client.describe_image(ImageName="")
    assert sent == []
