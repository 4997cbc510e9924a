"""Calls to the server's test control plane (/_sagemaker-images/..., /_localstack/...), unsigned or SigV4-signed,
through the package's Control (python/sagemaker_images/control.py). Its `call` raises ControlError on a refusal, as
users see it; the tests that check a refusal's raw answer use `request`, which returns a Response whatever its status."""
from sagemaker_images.control import Control as PackageControl
from sagemaker_images.control import Response  # noqa: F401 (the tests' answers)

from conftest import REGION


class Control(PackageControl):
    """The control plane of the server at `endpoint`.

    With `key` = (access key id, secret), every call is SigV4-signed (service "sagemaker", `region`) as an admin
    client would sign it; without, calls are unsigned (what the built-in test/test key allows a local caller).
    """

    def __init__(self, endpoint, key=None, region=REGION):
        super().__init__(endpoint, admin_key=key, region=region)
        self.endpoint = endpoint

    def ok(self, method, path, body=None, headers=None):
        """The call's JSON answer, after checking that it is a 200."""
        response = self.request(method, path, body, headers)
        assert response.status == 200, f"{method} {path} -> {response!r}"
        return response.body

    # --- the documented calls ------------------------------------------------------------------------------

    def reset(self, **scope):
        return self.ok("POST", "/_sagemaker-images/reset", scope or None)

    def state(self):
        return self.ok("GET", "/_sagemaker-images/state")

    def apply_state(self, document):
        """The raw answer: the tests check refused documents too."""
        return self.request("POST", "/_sagemaker-images/state", document)

    def add_outcome(self, operation, action, image_name=None, **extra):
        rule = {"operation": operation, "action": action, **extra}
        if image_name is not None:
            rule["imageName"] = image_name
        return self.ok("POST", "/_sagemaker-images/outcomes", rule)

    def outcomes(self):
        return self.ok("GET", "/_sagemaker-images/outcomes")["outcomes"]

    def release(self, image_name, **scope):
        return self.ok("POST", "/_sagemaker-images/outcomes/release", {"imageName": image_name, **scope})

    def set_faults(self, *rules):
        """Replaces the fault rules with `rules`."""
        return self.ok("POST", "/_sagemaker-images/faults", list(rules))

    def clear_faults(self):
        return self.ok("DELETE", "/_sagemaker-images/faults")


def throttling(operation, **extra):
    """A fault rule that answers `operation` with ThrottlingException."""
    return {"service": "sagemaker", "operation": operation, "error": {"statusCode": 400, "code": "ThrottlingException"}, **extra}
