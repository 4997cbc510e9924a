"""Testcontainers for Python: the server as a generic container, ready once its health endpoint answers 200.

Run with pytest, with `testcontainers` and `boto3` installed and the image built (scripts/container-image).
"""

import boto3
import pytest
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import HttpWaitStrategy

IMAGE = "sagemaker-images:latest"
PORT = 7447


@pytest.fixture(scope="module")
def sagemaker_endpoint():
    container = (
        DockerContainer(IMAGE)
        .with_exposed_ports(PORT)
        .waiting_for(HttpWaitStrategy(PORT, "/_sagemaker-images/health").for_status_code(200))
    )
    with container:
        yield f"http://{container.get_container_host_ip()}:{container.get_exposed_port(PORT)}"


def test_an_image_is_created_and_described(sagemaker_endpoint):
    sagemaker = boto3.client(
        "sagemaker",
        endpoint_url=sagemaker_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    sagemaker.create_image(ImageName="from-testcontainers", RoleArn="arn:aws:iam::123456789012:role/SageMakerRole")
    described = sagemaker.describe_image(ImageName="from-testcontainers")
    assert described["ImageName"] == "from-testcontainers"
    assert described["ImageStatus"] in ("CREATING", "CREATED")
