"""sagemaker-images for Python: the server binary, a `Server` context manager, a pytest plugin
(`sagemaker_images.pytest_plugin`, active once the package is installed) and helpers for tests.

    import boto3, sagemaker_images

    with sagemaker_images.Server() as server:
        sm = boto3.client("sagemaker", endpoint_url=server.url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        sm.create_image(ImageName="my-kernel", RoleArn="arn:aws:iam::123456789012:role/SageMakerRole")
"""
from ._binary import binary_path
from ._server import RemoteServer, Server, ServerStartError
from .control import Control, ControlError, Response
from .helpers import (
    clear_faults,
    force_failure,
    get_state,
    hold,
    inject_fault,
    load_state,
    release,
    reset,
    throttle,
)

try:
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("sagemaker-images")
    except PackageNotFoundError:  # imported from a source tree
        __version__ = "0+unknown"
except ImportError:  # pragma: no cover
    __version__ = "0+unknown"

__all__ = [
    "Control",
    "ControlError",
    "RemoteServer",
    "Response",
    "Server",
    "ServerStartError",
    "binary_path",
    "clear_faults",
    "force_failure",
    "get_state",
    "hold",
    "inject_fault",
    "load_state",
    "release",
    "reset",
    "throttle",
    "__version__",
]
