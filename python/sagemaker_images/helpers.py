"""Plain functions a test calls to steer a server: force a `*_FAILED`, hold a transition and release it,
inject faults (a throttle), reset, load or read the state.

Each takes the server first, whose control plane it calls, signed with the server's admin key if it has
one: the `sagemaker_images_server` fixture, a `Server`, a `RemoteServer`, or a `Control` (which says
explicitly how to sign). A URL alone is refused: it does not say how to sign. Each returns the server's
JSON answer.
"""
from __future__ import annotations

from typing import Optional, Protocol, Union

from . import _server
from .control import Control, Json

DEFAULT_FAILURE_REASON = "Forced by a test through sagemaker-images."


class HasControl(Protocol):
    """A server object: the plugin's `sagemaker_images_server`, a `Server`, a `RemoteServer`."""

    @property
    def control(self) -> Control: ...


# What a helper steers.
ServerOrControl = Union[Control, HasControl]


def control_of(server: ServerOrControl) -> Control:
    """The Control of a server or a Control."""
    if isinstance(server, Control):
        return server
    control = getattr(server, "control", None)
    if isinstance(control, Control):
        return control
    if isinstance(server, str):
        raise TypeError(
            f"a sagemaker-images helper takes the server (the sagemaker_images_server fixture, a Server, a "
            f"RemoteServer) or a Control, not the URL {server!r}: a URL does not say which admin key signs the "
            f"call; pass Control({server!r}, admin_key=...) for a server of your own"
        )
    raise TypeError(f"expected a sagemaker-images server or Control, not {server!r}")


def force_failure(
    server: ServerOrControl,
    operation: str,
    image_name: Optional[str] = None,
    *,
    reason: str = DEFAULT_FAILURE_REASON,
    count: int = 1,
    account: Optional[str] = None,
    region: Optional[str] = None,
) -> Json:
    """The next `count` successful calls of `operation` (CreateImage, UpdateImage, DeleteImage,
    CreateImageVersion, DeleteImageVersion) of `image_name`, or of any image, end in CREATE_FAILED,
    UPDATE_FAILED or DELETE_FAILED with `reason` as FailureReason, once the transition delay has passed."""
    return control_of(server).add_outcome(
        operation, "fail", image_name=image_name, count=count, failure_reason=reason, account=account, region=region
    )


def hold(
    server: ServerOrControl,
    operation: str,
    image_name: Optional[str] = None,
    *,
    count: int = 1,
    account: Optional[str] = None,
    region: Optional[str] = None,
) -> Json:
    """The next `count` successful calls of `operation` leave the image (or version) CREATING, UPDATING or
    DELETING until `release`."""
    return control_of(server).add_outcome(
        operation, "hold", image_name=image_name, count=count, account=account, region=region
    )


def release(
    server: ServerOrControl, image_name: str, *, account: Optional[str] = None, region: Optional[str] = None
) -> Json:
    """Lets the held transitions of `image_name` and its versions finish now: `{"released": n}`."""
    return control_of(server).release(image_name, account=account, region=region)


def inject_fault(
    server: ServerOrControl,
    operation: Optional[str] = None,
    *,
    code: str = "ServiceUnavailable",
    status_code: Optional[int] = None,
    message: Optional[str] = None,
    count: Optional[int] = None,
    probability: Optional[float] = None,
    region: Optional[str] = None,
) -> Json:
    """Makes calls of `operation` (of every operation when None) fail with the AWS error `code` before they
    do anything: the next `count` of them, or every one (`probability`, 0..1, of them) until the next reset
    or `clear_faults`."""
    error: dict[str, object] = {"code": code}
    if status_code is not None:
        error["statusCode"] = status_code
    if message is not None:
        error["message"] = message
    rule: dict[str, object] = {"service": "sagemaker", "error": error}
    for key, value in (("operation", operation), ("count", count), ("probability", probability), ("region", region)):
        if value is not None:
            rule[key] = value
    return control_of(server).add_faults([rule])


def throttle(
    server: ServerOrControl,
    operation: Optional[str] = None,
    *,
    count: Optional[int] = None,
    probability: Optional[float] = None,
    region: Optional[str] = None,
) -> Json:
    """Answers calls of `operation` (every operation when None) with ThrottlingException (`Rate exceeded`,
    which botocore retries): the next `count` of them, or every one until the next reset or `clear_faults`."""
    return inject_fault(
        server,
        operation,
        code="ThrottlingException",
        status_code=400,
        count=count,
        probability=probability,
        region=region,
    )


def clear_faults(server: ServerOrControl) -> Json:
    return control_of(server).clear_faults()


def reset(server: ServerOrControl) -> Json:
    """Empties the server (and loads the initial state again, for a server or fixture that has one)."""
    if isinstance(server, _server._Endpoint):
        return server.reset()
    return control_of(server).reset()


def load_state(server: ServerOrControl, document: Json) -> Json:
    """Creates what an initial-state document describes; what exists already is kept."""
    return control_of(server).load_state(document)


def get_state(server: ServerOrControl) -> Json:
    """Everything the server holds, in the shape `load_state` takes."""
    return control_of(server).state()
