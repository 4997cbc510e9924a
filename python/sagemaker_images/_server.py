"""Starting, stopping and talking to `sagemaker-images serve` processes, and attaching to a running server."""
import atexit
import json
import os
import queue
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time

from ._binary import binary_path
from .control import DEFAULT_REGION, Control, ControlError, parse_admin_key

LISTENING_LINE = re.compile(r"^sagemaker-images listening on (http://\S+)\s*$")
# The built-in key of a server started without a credentials file.
TEST_KEY = ("test", "test")

# Admin keys of the servers this process knows, by URL, so that a helper handed a bare URL signs its calls.
_admin_keys = {}
_running = set()


class ServerStartError(RuntimeError):
    """The server did not come up; the message carries what it wrote to standard error."""


def admin_key_for(url):
    return _admin_keys.get(url.rstrip("/"))


def _format_delay(delay):
    if delay is None or isinstance(delay, str):
        return delay
    return f"{round(float(delay) * 1000)}ms"  # a number is seconds


def _admin_key_of_credentials_file(path):
    """The first `admin = true` key of a credentials file, so that `Server(credentials=...)` can sign its
    own control calls. Needs tomllib (Python 3.11+); elsewhere pass admin_key."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python < 3.11
        return None
    try:
        with open(path, "rb") as f:
            document = tomllib.load(f)
    except (OSError, ValueError):
        return None  # the server will say what is wrong with it
    for entry in document.get("credentials", []):
        if entry.get("admin") is True and entry.get("access_key_id") and entry.get("secret_access_key"):
            return entry["access_key_id"], entry["secret_access_key"]
    return None


_boto3_session = None


def _session():
    # One boto3 session for every client the package makes: it loads SageMaker's (large) model once.
    global _boto3_session
    if _boto3_session is None:
        try:
            import boto3
        except ImportError as error:
            raise RuntimeError("a boto3 client of the server needs boto3: pip install boto3") from error
        _boto3_session = boto3.session.Session()
    return _boto3_session


class _Endpoint:
    """What a started server and an attached one have in common."""

    region = DEFAULT_REGION

    def __init__(self, admin_key=None, init_state=None):
        self.url = None
        self.admin_key = parse_admin_key(admin_key)
        self._init_state = init_state
        self._init_document = None
        self._control = None
        # (time.perf_counter() at the start of the reset, seconds it took), in order.
        self.reset_timings = []

    @property
    def endpoint(self):
        return self.url

    @property
    def control(self):
        """The server's control plane (signed with the admin key, if any)."""
        if self._control is None:
            if self.url is None:
                raise RuntimeError("the server is not started")
            self._control = Control(self.url, admin_key=self.admin_key, region=self.region)
        return self._control

    @property
    def credentials(self):
        """(access key id, secret) that clients sign with: the admin key if there is one, else the built-in
        `test`/`test`."""
        return self.admin_key or TEST_KEY

    def _initial_document(self):
        if self._init_state is None:
            return None
        if self._init_document is None:
            if isinstance(self._init_state, dict):
                self._init_document = self._init_state
            else:
                with open(self._init_state, "rb") as f:
                    self._init_document = json.load(f)
        return self._init_document

    def reset(self):
        """Empties the server, then loads its initial state again (if it has one)."""
        started = time.perf_counter()
        self.control.reset()
        document = self._initial_document()
        if document is not None:
            self.control.load_state(document)
        self.reset_timings.append((started, time.perf_counter() - started))

    def state(self):
        return self.control.state()

    def load_state(self, document):
        return self.control.load_state(document)

    def client(self, service_name="sagemaker", **kwargs):
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

    def aws_env(self):
        """The environment variables that point the standard AWS SDKs (boto3, sagemaker-core, the AWS CLI)
        at this server."""
        key_id, secret = self.credentials
        return {
            "AWS_ENDPOINT_URL_SAGEMAKER": self.url,
            "AWS_ACCESS_KEY_ID": key_id,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class Server(_Endpoint):
    """A `sagemaker-images serve` process on a free loopback port, with its own data directory.

        with sagemaker_images.Server() as server:
            sm = boto3.client("sagemaker", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")

    `transition_delay` ("500ms", "2s", or seconds as a number), `init_state` (a file or a dict: loaded at
    start, and again by `reset()`), `database_url` (PostgreSQL instead of the embedded store),
    `credentials` (a credentials file; its first admin key signs the control calls unless `admin_key` is
    given) and `args` (any other `serve` flags) configure it. Without `data_dir` the data lives in a
    temporary directory removed by `stop()`; the server's standard error goes to `log_path` (by default
    beside the data). The server stops when this process exits, even when it is killed
    (`--exit-with-parent`).
    """

    def __init__(
        self,
        *,
        transition_delay=None,
        init_state=None,
        database_url=None,
        credentials=None,
        admin_key=None,
        data_dir=None,
        log_path=None,
        args=(),
        binary=None,
        env=None,
        startup_timeout=60.0,
        exit_with_parent=True,
    ):
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
        self.start_seconds = None
        self._temp_home = None
        self._log = None
        self._cleanups = []

    @property
    def pid(self):
        return None if self.process is None else self.process.pid

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def add_cleanup(self, function):
        """Calls `function()` after the server has stopped (the plugin drops a server's database so)."""
        self._cleanups.append(function)

    def _command(self, binary, data_dir, init_state_path):
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

    def _environment(self):
        # The server reads SAGEMAKER_IMAGES_* variables as flags: only what this object says may configure it.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_IMAGES_")}
        env["NO_COLOR"] = "1"
        env.update(self.env)
        return env

    def start(self):
        if self.process is not None:
            raise RuntimeError("the server was started already")
        try:
            binary = self.binary or binary_path()
        except FileNotFoundError as error:
            raise ServerStartError(f"sagemaker-images could not start: {error}") from None
        if self.data_dir is None or self.log_path is None or isinstance(self._init_state, dict):
            self._temp_home = tempfile.mkdtemp(prefix="sagemaker-images-")
        home = self._temp_home
        data_dir = self.data_dir or os.path.join(home, "data")
        self.log_path = self.log_path or os.path.join(home or os.path.dirname(os.path.abspath(data_dir)), "server.log")
        init_state_path = self._init_state
        if isinstance(self._init_state, dict):
            init_state_path = os.path.join(home, "init-state.json")
            with open(init_state_path, "w") as f:
                json.dump(self._init_state, f)
        elif init_state_path is not None:
            init_state_path = str(init_state_path)
        self.command = self._command(binary, data_dir, init_state_path)

        started = time.perf_counter()
        self._log = open(self.log_path, "wb")
        try:
            self.process = subprocess.Popen(
                self.command,
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
            raise ServerStartError(f"sagemaker-images could not start: `{shlex.join(self.command)}`: {error}") from None
        _running.add(self)
        lines = queue.Queue()
        threading.Thread(target=_drain, args=(self.process.stdout, lines), daemon=True).start()
        try:
            first = lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            self._fail_start(f"printed no address within {self.startup_timeout:g} s")
        if first is None:
            try:
                status = self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                status = "unknown"
            self._fail_start(f"exited with status {status} before it listened")
        match = LISTENING_LINE.match(first.decode("utf-8", "replace"))
        if not match:
            self._fail_start(f"printed {first!r} where its address was expected")
        self.url = match.group(1)
        self.start_seconds = time.perf_counter() - started
        if self.admin_key:
            _admin_keys[self.url] = self.admin_key
        return self

    def _fail_start(self, what):
        self._end_process()
        log = self.stderr()
        where = "" if self._temp_home else f" ({self.log_path})"
        self.stop()
        raise ServerStartError(
            f"sagemaker-images could not start: `{shlex.join(self.command)}` {what}.\n"
            f"Its standard error{where}:\n{log}"
        )

    def stderr(self, limit=4000):
        """The end of what the server wrote to standard error."""
        if self._log is not None and not self._log.closed:
            self._log.flush()
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""
        return text[-limit:]

    def stop(self):
        """Stops the server (SIGTERM, then SIGKILL after 5 s) and removes what it made temporarily."""
        _running.discard(self)
        self._end_process()
        if self._log is not None:
            self._log.close()
        if self.url is not None:
            _admin_keys.pop(self.url, None)
        cleanups, self._cleanups = self._cleanups, []
        for cleanup in cleanups:
            cleanup()
        if self._temp_home is not None:
            shutil.rmtree(self._temp_home, ignore_errors=True)
            self._temp_home = None

    def _end_process(self):
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

    def reset(self):
        try:
            super().reset()
        except OSError as error:  # urllib's URLError and the connection errors are OSErrors
            if not self.running:
                raise ServerStartError(
                    f"the sagemaker-images server (pid {self.pid}) has exited with status "
                    f"{self.process.returncode}; its standard error ({self.log_path}):\n{self.stderr()}"
                ) from error
            raise

    def __repr__(self):
        return f"<sagemaker_images.Server {self.url or 'not started'} pid={self.pid}>"


def _drain(stream, lines):
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

    def __init__(self, url, admin_key=None, init_state=None):
        super().__init__(admin_key=admin_key, init_state=init_state)
        self.url = url.rstrip("/")
        self.pid = None
        self.start_seconds = None

    def start(self):
        try:
            self.control.health()
        except (OSError, ControlError, ValueError) as error:
            raise ServerStartError(f"no sagemaker-images server answers at {self.url}: {error}") from error
        if self.admin_key:
            _admin_keys[self.url] = self.admin_key
        return self

    def stop(self):
        pass

    def __repr__(self):
        return f"<sagemaker_images.RemoteServer {self.url}>"


@atexit.register
def _stop_all():
    for server in list(_running):
        server.stop()
