"""Calls to the server's test control plane (/_sagemaker-images/..., /_localstack/...), unsigned or SigV4-signed."""
import json
import urllib.error
import urllib.parse
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import REGION


class Response:
    def __init__(self, status, body):
        self.status = status
        self.body = body

    @property
    def error_type(self):
        return self.body.get("__type") if isinstance(self.body, dict) else None

    @property
    def error_message(self):
        if not isinstance(self.body, dict):
            return None
        return self.body.get("message", self.body.get("Message"))

    def __repr__(self):
        return f"Response({self.status}, {self.body!r})"


class Control:
    """The control plane of the server at `endpoint`.

    With `key` = (access key id, secret), every call is SigV4-signed (service "sagemaker", `region`) as an admin
    client would sign it; without, calls are unsigned (what the built-in test/test key allows a local caller).
    """

    def __init__(self, endpoint, key=None, region=REGION):
        self.endpoint = endpoint
        self.key = key
        self.region = region

    def call(self, method, path, body=None, headers=None):
        url = self.endpoint + path
        data = None if body is None else json.dumps(body).encode()
        headers = dict(headers or {})
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.key:
            request = AWSRequest(method=method, url=url, data=data or b"", headers=headers)
            SigV4Auth(Credentials(*self.key), "sagemaker", self.region).add_auth(request)
            headers = dict(request.headers.items())
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return Response(status, json.loads(raw) if raw.strip() else None)

    def ok(self, method, path, body=None, headers=None):
        """The call's JSON answer, after checking that it is a 200."""
        response = self.call(method, path, body, headers)
        assert response.status == 200, f"{method} {path} -> {response!r}"
        return response.body

    # --- the documented calls ------------------------------------------------------------------------------

    def health(self):
        return self.call("GET", "/_sagemaker-images/health")

    def reset(self, **scope):
        return self.ok("POST", "/_sagemaker-images/reset", scope or None)

    def state(self):
        return self.ok("GET", "/_sagemaker-images/state")

    def apply_state(self, document):
        return self.call("POST", "/_sagemaker-images/state", document)

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
