"""A client of the server's test control plane (`/_sagemaker-images/...`, and LocalStack's paths where the
server has them).

Calls are unsigned, which the built-in `test` key lets any local caller make, or, with `admin_key`
(access key id, secret), signed with SigV4 for service `sagemaker` as a server with a credentials file
requires. Bodies and answers are JSON.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Iterable, Mapping, Optional, Union

CONTROL_PREFIX = "/_sagemaker-images/"
DEFAULT_REGION = "us-east-1"

# A JSON document as `json.loads` gives it: the control plane's answers are read by key, as the README shows.
Json = Any
# (access key id, secret)
AdminKey = tuple[str, str]
# What `admin_key=` takes: the pair, a two-item list (a JSON or YAML config), or `ACCESS_KEY_ID:SECRET`.
AdminKeyInput = Union[AdminKey, list[str], str, None]


class Response:
    """One answer of the control plane: its HTTP status and its JSON body (None when empty)."""

    status: int
    body: Json

    def __init__(self, status: int, body: Json) -> None:
        self.status = status
        self.body = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_type(self) -> Optional[str]:
        return self.body.get("__type") if isinstance(self.body, dict) else None

    @property
    def error_message(self) -> Optional[str]:
        if not isinstance(self.body, dict):
            return None
        return self.body.get("message", self.body.get("Message"))

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.body!r})"


class ControlError(Exception):
    """A control call the server refused: `status`, `error_type` (AWS-shaped `__type`) and `error_message`."""

    method: str
    path: str
    response: Response
    status: int
    error_type: Optional[str]
    error_message: Optional[str]

    def __init__(self, method: str, path: str, response: Response) -> None:
        self.method = method
        self.path = path
        self.response = response
        self.status = response.status
        self.error_type = response.error_type
        self.error_message = response.error_message
        detail = f"{self.error_type}: {self.error_message}" if self.error_type else repr(response.body)
        super().__init__(f"{method} {path} answered {self.status} ({detail})")


def parse_admin_key(value: AdminKeyInput) -> Optional[AdminKey]:
    """(access key id, secret) from a tuple or from the `ACCESS_KEY_ID:SECRET` form of the plugin's option."""
    if value is None or isinstance(value, tuple):
        return value
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    key_id, sep, secret = str(value).partition(":")
    if not sep or not key_id or not secret:
        raise ValueError("an admin key is written ACCESS_KEY_ID:SECRET")
    return key_id, secret


class Control:
    """The control plane of the server at `url` (`http://127.0.0.1:PORT`)."""

    url: str
    admin_key: Optional[AdminKey]
    region: str
    timeout: float

    def __init__(
        self, url: str, admin_key: AdminKeyInput = None, region: str = DEFAULT_REGION, timeout: float = 30
    ) -> None:
        self.url = url.rstrip("/")
        self.admin_key = parse_admin_key(admin_key)
        self.region = region
        self.timeout = timeout

    def request(
        self, method: str, path: str, body: Json = None, headers: Optional[Mapping[str, str]] = None
    ) -> Response:
        """Makes one call and returns its Response whatever its status. `path` is either relative to
        `/_sagemaker-images/` (`"reset"`) or absolute (`"/_localstack/health"`)."""
        if not path.startswith("/"):
            path = CONTROL_PREFIX + path
        url = self.url + path
        data = None if body is None else json.dumps(body).encode()
        headers = dict(headers or {})
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.admin_key:
            headers = self._signed_headers(self.admin_key, method, url, data, headers)
        # Imported here: the plugin is loaded by every pytest run of the environment, and urllib.request
        # (http.client, ssl, email) is the bulk of its import time.
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return Response(status, json.loads(raw) if raw.strip() else None)

    def _signed_headers(
        self, key: AdminKey, method: str, url: str, data: Optional[bytes], headers: Mapping[str, str]
    ) -> dict[str, str]:
        try:
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise RuntimeError("signing control calls with an admin key needs botocore: pip install boto3") from error
        # A signed state-changing call works once (the server refuses a replayed signature), and two equal
        # calls signed in the same second would sign alike: a fresh signed id makes each call its own.
        headers = {**headers, "amz-sdk-invocation-id": str(uuid.uuid4())}
        request = AWSRequest(method=method, url=url, data=data or b"", headers=headers)
        SigV4Auth(Credentials(*key), "sagemaker", self.region).add_auth(request)
        return dict(request.headers.items())

    def call(self, method: str, path: str, body: Json = None, headers: Optional[Mapping[str, str]] = None) -> Json:
        """The JSON answer of a call that succeeded; raises ControlError when the server refused it."""
        response = self.request(method, path, body, headers)
        if not response.ok:
            raise ControlError(method, path if path.startswith("/") else CONTROL_PREFIX + path, response)
        return response.body

    # --- the documented endpoints ------------------------------------------------------------------------

    def health(self) -> Json:
        """`{"services": {"sagemaker": "running"}, "edition": ..., "version": ...}`; raises while the store
        does not answer."""
        return self.call("GET", "health")

    def reset(self, account: Optional[str] = None, region: Optional[str] = None) -> Json:
        """Empties the server (only one account's and/or region's resources when given); the test controls
        (outcomes, holds, faults, latency, delays) go whatever the narrowing."""
        scope = {k: v for k, v in (("account", account), ("region", region)) if v is not None}
        return self.call("POST", "reset", scope or None)

    def state(self) -> Json:
        """Everything the server holds, in the shape `load_state` takes."""
        return self.call("GET", "state")

    def load_state(self, document: Json) -> Json:
        """Creates what an initial-state document describes (settled); what exists already is kept.
        Answers `{"created": [...arns], "existing": [...arns]}`."""
        return self.call("POST", "state", document)

    def add_outcome(
        self,
        operation: str,
        action: str,
        image_name: Optional[str] = None,
        count: Optional[int] = None,
        failure_reason: Optional[str] = None,
        account: Optional[str] = None,
        region: Optional[str] = None,
    ) -> Json:
        """A forced outcome: the next `count` successful calls of `operation` (of `image_name`, or of any
        image) end `*_FAILED` (`action="fail"`) or stay transitional until released (`action="hold"`)."""
        rule: dict[str, object] = {"operation": operation, "action": action}
        for key, value in (
            ("imageName", image_name),
            ("count", count),
            ("failureReason", failure_reason),
            ("account", account),
            ("region", region),
        ):
            if value is not None:
                rule[key] = value
        return self.call("POST", "outcomes", rule)

    def outcomes(self) -> Json:
        return self.call("GET", "outcomes")["outcomes"]

    def clear_outcomes(self) -> Json:
        return self.call("DELETE", "outcomes")

    def release(self, image_name: str, account: Optional[str] = None, region: Optional[str] = None) -> Json:
        """Lets the held transitions of an image (and of its versions) finish now: `{"released": n}`."""
        body: dict[str, str] = {"imageName": image_name}
        body.update({k: v for k, v in (("account", account), ("region", region)) if v is not None})
        return self.call("POST", "outcomes/release", body)

    def faults(self) -> Json:
        return self.call("GET", "faults")

    def add_faults(self, rules: Iterable[Mapping[str, Any]]) -> Json:
        """Adds fault rules (LocalStack's chaos shape) to those in force; answers the rules now in force."""
        return self.call("PATCH", "faults", list(rules))

    def set_faults(self, rules: Iterable[Mapping[str, Any]]) -> Json:
        """Replaces the fault rules."""
        return self.call("POST", "faults", list(rules))

    def clear_faults(self) -> Json:
        return self.call("DELETE", "faults")

    def transition_delays(self) -> Json:
        return self.call("GET", "transition-delays")

    def set_transition_delays(self, delays: Mapping[str, str]) -> Json:
        """`{"CreateImage": "2s", ...}`: per-operation transition delays in this server process."""
        return self.call("POST", "transition-delays", delays)

    def set_latency(self, milliseconds: int) -> Json:
        """Latency added to every API call."""
        return self.call("POST", "effects", {"latency": milliseconds})
