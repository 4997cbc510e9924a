"""Starting, stopping and talking to `sagemaker-images serve` processes, and attaching to a running server."""
from __future__ import annotations

import abc
import atexit
import json
import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO, Any, Callable, Iterable, Mapping, NoReturn, Optional, TypeVar, Union

from ._binary import binary_path
from .control import DEFAULT_REGION, AdminKey, AdminKeyInput, Control, ControlError, Json, parse_admin_key

LISTENING_LINE = re.compile(r"^sagemaker-images listening on (http://\S+)\s*$")
# The built-in key of a server started without a credentials file.
TEST_KEY: AdminKey = ("test", "test")

# A file's path, as a string or a pathlib.Path.
PathArg = Union[str, "os.PathLike[str]"]
# An initial-state document: a JSON file, or the document itself.
InitState = Union[PathArg, dict[str, Any], None]
# "500ms", "2s", or seconds as a number.
Delay = Union[str, float, None]

_running: set[Server] = set()


class ServerStartError(RuntimeError):
    """The server did not come up; the message carries what it wrote to standard error."""


def _format_delay(delay: Delay) -> Optional[str]:
    if delay is None or isinstance(delay, str):
        return delay
    return f"{round(float(delay) * 1000)}ms"  # a number is seconds


def _admin_key_of_credentials_file(path: PathArg) -> Optional[AdminKey]:
    """The first `admin = true` key of a credentials file, so that `Server(credentials=...)` can sign its
    own control calls. Reads TOML with tomllib (Python 3.11+) or tomli (which pytest installs before 3.11);
    without either it raises rather than leave the calls unsigned."""
    try:
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib
    except ImportError:
        raise RuntimeError(
            f"reading the admin key of the credentials file {os.fspath(path)} needs tomllib (Python 3.11+) or "
            "tomli (pip install tomli); or pass admin_key=(ACCESS_KEY_ID, SECRET) with credentials="
        ) from None
    try:
        with open(path, "rb") as f:
            document = tomllib.load(f)
    except (OSError, ValueError):
        return None  # the server will say what is wrong with it
    for entry in document.get("credentials", []):
        key_id, secret = entry.get("access_key_id"), entry.get("secret_access_key")
        if entry.get("admin") is True and isinstance(key_id, str) and key_id and isinstance(secret, str) and secret:
            return key_id, secret
    return None


_boto3_session: Any = None


def _session() -> Any:
    # One boto3 session for every client the package makes: it loads SageMaker's (large) model once.
    global _boto3_session
    if _boto3_session is None:
        try:
            import boto3
        except ImportError as error:
            raise RuntimeError("a boto3 client of the server needs boto3: pip install boto3") from error
        _boto3_session = boto3.session.Session()
    return _boto3_session


_Self = TypeVar("_Self", bound="_Endpoint")


class _Endpoint(abc.ABC):
    """What a started server and an attached one have in common."""

    region: str = DEFAULT_REGION
    url: Optional[str]
    admin_key: Optional[AdminKey]
    start_seconds: Optional[float]
    # (time.perf_counter() at the start of the reset, seconds it took), in order.
    reset_timings: list[tuple[float, float]]

    def __init__(self, admin_key: AdminKeyInput = None, init_state: InitState = None) -> None:
        self.url = None
        self.admin_key = parse_admin_key(admin_key)
        self.start_seconds = None
        self._init_state = init_state
        self._init_document: Optional[Json] = None
        self._control: Optional[Control] = None
        self.reset_timings = []

    @abc.abstractmethod
    def start(self: _Self) -> _Self: ...

    @abc.abstractmethod
    def stop(self) -> None: ...

    @property
    def pid(self) -> Optional[int]:
        """The server's process id, when this object started it."""
        return None

    @property
    def endpoint(self) -> Optional[str]:
        return self.url

    def _started_url(self) -> str:
        if self.url is None:
            raise RuntimeError("the server is not started")
        return self.url

    @property
    def control(self) -> Control:
        """The server's control plane (signed with the admin key, if any)."""
        if self._control is None:
            self._control = Control(self._started_url(), admin_key=self.admin_key, region=self.region)
        return self._control

    @property
    def credentials(self) -> AdminKey:
        """(access key id, secret) that clients sign with: the admin key if there is one, else the built-in
        `test`/`test`."""
        return self.admin_key or TEST_KEY

    def _initial_document(self) -> Optional[Json]:
        if self._init_state is None:
            return None
        if self._init_document is None:
            if isinstance(self._init_state, dict):
                self._init_document = self._init_state
            else:
                with open(self._init_state, "rb") as f:
                    self._init_document = json.load(f)
        return self._init_document

    def reset(self) -> Json:
        """Empties the server, then loads its initial state again (if it has one); returns the control
        plane's answer to the reset."""
        started = time.perf_counter()
        answer = self.control.reset()
        document = self._initial_document()
        if document is not None:
            self.control.load_state(document)
        self.reset_timings.append((started, time.perf_counter() - started))
        return answer

    def state(self) -> Json:
        return self.control.state()

    def load_state(self, document: Json) -> Json:
        return self.control.load_state(document)

    def client(self, service_name: str = "sagemaker", **kwargs: Any) -> Any:
        """A boto3 client of the server (region us-east-1, the server's test or admin credentials);
        keyword arguments (`config=`, `region_name=`, ...) go to `boto3.client`."""
        key_id, secret = self.credentials
        params = {
            "endpoint_url": self.url,
            "region_name": self.region,
            "aws_access_key_id": key_id,
            "aws_secret_access_key": secret,
        }
        params.update(kwargs)
        return _session().client(service_name, **params)

    def aws_env(self) -> dict[str, str]:
        """The environment variables that point the standard AWS SDKs (boto3, sagemaker-core, the AWS CLI)
        at this server."""
        key_id, secret = self.credentials
        return {
            "AWS_ENDPOINT_URL_SAGEMAKER": self._started_url(),
            "AWS_ACCESS_KEY_ID": key_id,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def __enter__(self: _Self) -> _Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Server(_Endpoint):
    """A `sagemaker-images serve` process on a free loopback port, with its own data directory.

        with sagemaker_images.Server() as server:
            sm = boto3.client("sagemaker", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")

    `transition_delay` ("500ms", "2s", or seconds as a number), `init_state` (a file or a dict: loaded at
    start, and again by `reset()`), `database_url` (PostgreSQL instead of the embedded store),
    `credentials` (a credentials file; its first admin key signs the control calls unless `admin_key` is
    given; reading it needs tomllib, Python 3.11+, or tomli, and raises RuntimeError without) and `args` (any other `serve` flags) configure it. Without `data_dir` the data lives in a
    temporary directory removed by `stop()`; the server's standard error goes to `log_path` (by default
    beside the data). The server stops when this process exits, even when it is killed
    (`--exit-with-parent`).
    """

    transition_delay: Optional[str]
    database_url: Optional[str]
    credentials_file: Optional[str]
    data_dir: Optional[str]
    log_path: Optional[str]
    args: list[str]
    binary: Optional[str]
    env: dict[str, str]
    startup_timeout: float
    exit_with_parent: bool
    process: Optional[subprocess.Popen[bytes]]
    command: Optional[list[str]]

    def __init__(
        self,
        *,
        transition_delay: Delay = None,
        init_state: InitState = None,
        database_url: Optional[str] = None,
        credentials: Optional[PathArg] = None,
        admin_key: AdminKeyInput = None,
        data_dir: Optional[PathArg] = None,
        log_path: Optional[PathArg] = None,
        args: Iterable[object] = (),
        binary: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        startup_timeout: float = 60.0,
        exit_with_parent: bool = True,
    ) -> None:
        if admin_key is None and credentials is not None:
            admin_key = _admin_key_of_credentials_file(credentials)
        super().__init__(admin_key=admin_key, init_state=init_state)
        self.transition_delay = _format_delay(transition_delay)
        self.database_url = database_url
        self.credentials_file = None if credentials is None else str(credentials)
        self.data_dir = None if data_dir is None else str(data_dir)
        self.log_path = None if log_path is None else str(log_path)
        self.args = [str(a) for a in args]
        self.binary = binary
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.exit_with_parent = exit_with_parent
        self.process = None
        self.command = None
        self._temp_home: Optional[str] = None
        self._log: Optional[IO[bytes]] = None
        self._cleanups: list[Callable[[], object]] = []

    @property
    def pid(self) -> Optional[int]:
        return None if self.process is None else self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def add_cleanup(self, function: Callable[[], object]) -> None:
        """Calls `function()` after the server has stopped (the plugin drops a server's database so)."""
        self._cleanups.append(function)

    def _temp_dir(self) -> str:
        """The temporary directory of what the caller did not place (data, log, a dict's initial state)."""
        if self._temp_home is None:
            self._temp_home = tempfile.mkdtemp(prefix="sagemaker-images-")
        return self._temp_home

    def _command(self, binary: str, data_dir: str, init_state_path: Optional[str]) -> list[str]:
        command = [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir]
        if self.transition_delay is not None:
            command += ["--transition-delay", self.transition_delay]
        if init_state_path is not None:
            command += ["--init-state", init_state_path]
        if self.database_url is not None:
            command += ["--database-url", self.database_url]
        if self.credentials_file is not None:
            command += ["--credentials", self.credentials_file]
        if self.exit_with_parent:
            command += ["--exit-with-parent"]
        return command + self.args

    def _environment(self) -> dict[str, str]:
        # The server reads SAGEMAKER_IMAGES_* variables as flags: only what this object says may configure it.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_IMAGES_")}
        env["NO_COLOR"] = "1"
        env.update(self.env)
        return env

    def start(self) -> Server:
        if self.process is not None:
            raise RuntimeError("the server was started already")
        try:
            binary = self.binary or binary_path()
        except FileNotFoundError as error:
            raise ServerStartError(f"sagemaker-images could not start: {error}") from None
        data_dir = self.data_dir or os.path.join(self._temp_dir(), "data")
        log_path = self.log_path = self.log_path or os.path.join(self._temp_dir(), "server.log")
        init_state_path: Optional[str] = None
        if isinstance(self._init_state, dict):
            init_state_path = os.path.join(self._temp_dir(), "init-state.json")
            with open(init_state_path, "w") as f:
                json.dump(self._init_state, f)
        elif self._init_state is not None:
            init_state_path = str(self._init_state)
        command = self.command = self._command(binary, data_dir, init_state_path)

        started = time.perf_counter()
        self._log = open(log_path, "wb")
        try:
            process = self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._log,
                env=self._environment(),
                # Its own session: a Ctrl-C in the terminal reaches pytest, which stops the server after the
                # tests' teardown, rather than the server in the middle of a test.
                start_new_session=True,
            )
        except OSError as error:
            self.stop()
            raise ServerStartError(f"sagemaker-images could not start: `{shlex.join(command)}`: {error}") from None
        _running.add(self)
        assert process.stdout is not None  # stdout=PIPE
        lines: queue.Queue[Optional[bytes]] = queue.Queue()
        threading.Thread(target=_drain, args=(process.stdout, lines), daemon=True).start()
        try:
            first = lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            self._fail_start(command, f"printed no address within {self.startup_timeout:g} s")
        if first is None:
            status: Union[int, str]
            try:
                status = process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                status = "unknown"
            self._fail_start(command, f"exited with status {status} before it listened")
        match = LISTENING_LINE.match(first.decode("utf-8", "replace"))
        if not match:
            self._fail_start(command, f"printed {first!r} where its address was expected")
        self.url = match.group(1)
        self.start_seconds = time.perf_counter() - started
        return self

    def _fail_start(self, command: list[str], what: str) -> NoReturn:
        self._end_process()
        log = self.stderr()
        where = "" if self._temp_home else f" ({self.log_path})"
        self.stop()
        raise ServerStartError(
            f"sagemaker-images could not start: `{shlex.join(command)}` {what}.\n"
            f"Its standard error{where}:\n{log}"
        )

    def stderr(self, limit: int = 4000) -> str:
        """The end of what the server wrote to standard error."""
        if self._log is not None and not self._log.closed:
            self._log.flush()
        if self.log_path is None:
            return ""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return text[-limit:]

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL after 5 s) and removes what it made temporarily."""
        _running.discard(self)
        self._end_process()
        if self._log is not None:
            self._log.close()
        cleanups, self._cleanups = self._cleanups, []
        for cleanup in cleanups:
            cleanup()
        if self._temp_home is not None:
            shutil.rmtree(self._temp_home, ignore_errors=True)
            self._temp_home = None

    def _end_process(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def reset(self) -> Json:
        try:
            return super().reset()
        except OSError as error:  # urllib's URLError and the connection errors are OSErrors
            if self.process is not None and not self.running:
                raise ServerStartError(
                    f"the sagemaker-images server (pid {self.pid}) has exited with status "
                    f"{self.process.returncode}; its standard error ({self.log_path}):\n{self.stderr()}"
                ) from error
            raise

    def __repr__(self) -> str:
        return f"<sagemaker_images.Server {self.url or 'not started'} pid={self.pid}>"


def _drain(stream: IO[bytes], lines: queue.Queue[Optional[bytes]]) -> None:
    """Hands over the first line of the server's standard output, then keeps reading it, so that the server
    never blocks on (or is broken by) a full or closed pipe."""
    first = True
    try:
        for line in stream:
            if first:
                lines.put(line)
                first = False
    except (OSError, ValueError):
        pass
    if first:
        lines.put(None)


class RemoteServer(_Endpoint):
    """A server that runs already, at `url`; with `admin_key` when it has a credentials file."""

    def __init__(self, url: str, admin_key: AdminKeyInput = None, init_state: InitState = None) -> None:
        super().__init__(admin_key=admin_key, init_state=init_state)
        self.url = url.rstrip("/")

    def start(self) -> RemoteServer:
        try:
            self.control.health()
        except (OSError, ControlError, ValueError) as error:
            raise ServerStartError(f"no sagemaker-images server answers at {self.url}: {error}") from error
        return self

    def stop(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<sagemaker_images.RemoteServer {self.url}>"


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()
