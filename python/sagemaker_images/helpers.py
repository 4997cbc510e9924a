"""Plain functions a test calls to steer a server: force a `*_FAILED`, hold a transition and release it,
inject faults (a throttle), reset, load or read the state.

Each takes the server first: the `sagemaker_images_server` fixture, a `Server`, a `Control`, or a URL (the
`sagemaker_images_endpoint` fixture; the call is signed with the admin key of that URL's server when this
process knows one). Each returns the server's JSON answer.
"""
from . import _server
from .control import Control

DEFAULT_FAILURE_REASON = "Forced by a test through sagemaker-images."


def control_of(server):
    """The Control of a server, Server, Control or URL."""
    if isinstance(server, Control):
        return server
    control = getattr(server, "control", None)
    if isinstance(control, Control):
        return control
    if isinstance(server, str):
        return Control(server, admin_key=_server.admin_key_for(server))
    raise TypeError(f"expected a sagemaker-images server, Control or URL, not {server!r}")


def force_failure(
    server, operation, image_name=None, *, reason=DEFAULT_FAILURE_REASON, count=1, account=None, region=None
):
    """The next `count` successful calls of `operation` (CreateImage, UpdateImage, DeleteImage,
    CreateImageVersion, DeleteImageVersion) of `image_name`, or of any image, end in CREATE_FAILED,
    UPDATE_FAILED or DELETE_FAILED with `reason` as FailureReason, once the transition delay has passed."""
    return control_of(server).add_outcome(
        operation, "fail", image_name=image_name, count=count, failure_reason=reason, account=account, region=region
    )


def hold(server, operation, image_name=None, *, count=1, account=None, region=None):
    """The next `count` successful calls of `operation` leave the image (or version) CREATING, UPDATING or
    DELETING until `release`."""
    return control_of(server).add_outcome(
        operation, "hold", image_name=image_name, count=count, account=account, region=region
    )


def release(server, image_name, *, account=None, region=None):
    """Lets the held transitions of `image_name` and its versions finish now: `{"released": n}`."""
    return control_of(server).release(image_name, account=account, region=region)


def inject_fault(
    server,
    operation=None,
    *,
    code="ServiceUnavailable",
    status_code=None,
    message=None,
    count=None,
    probability=None,
    region=None,
):
    """Makes calls of `operation` (of every operation when None) fail with the AWS error `code` before they
    do anything: the next `count` of them, or every one (`probability`, 0..1, of them) until the next reset
    or `clear_faults`."""
    error = {"code": code}
    if status_code is not None:
        error["statusCode"] = status_code
    if message is not None:
        error["message"] = message
    rule = {"service": "sagemaker", "error": error}
    for key, value in (("operation", operation), ("count", count), ("probability", probability), ("region", region)):
        if value is not None:
            rule[key] = value
    return control_of(server).add_faults([rule])


def throttle(server, operation=None, *, count=None, probability=None, region=None):
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


def clear_faults(server):
    return control_of(server).clear_faults()


def reset(server):
    """Empties the server (and loads the initial state again, for a server or fixture that has one)."""
    if isinstance(server, _server._Endpoint):
        return server.reset()
    return control_of(server).reset()


def load_state(server, document):
    """Creates what an initial-state document describes; what exists already is kept."""
    return control_of(server).load_state(document)


def get_state(server):
    """Everything the server holds, in the shape `load_state` takes."""
    return control_of(server).state()
