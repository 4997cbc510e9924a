"""The pytest plugin (entry point `pytest11: sagemaker_images`): a sagemaker-images server for the tests that
ask for one.

Fixtures (function-scoped; each resets the server before the test):

- `sagemaker_images_server`: the server (`.url`, `.control`, `.client()`, `.reset()`, `.pid`);
- `sagemaker_images_endpoint`: its URL;
- `sagemaker_images_client`: a boto3 SageMaker client of it (us-east-1, test credentials);
- `sagemaker_images_env`: sets AWS_ENDPOINT_URL_SAGEMAKER and the credential variables for the test, so
  that code building its own clients (sagemaker-core included) reaches the server;
- `sagemaker_images_start_server`: starts extra servers (`transition_delay=`, `init_state=`,
  `credentials=`, `args=`), stopped after the test;
- `sagemaker_images_servers` (session): every server of this process, for servers shared across tests.

One server per process (per pytest-xdist worker), started on a free port the first time a test asks for
it, with its data in pytest's temporary directory, and stopped at the end of the run; it also stops by
itself if pytest is killed. Nothing starts for a run whose tests use none of these fixtures.
"""
from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NoReturn, Optional, TypedDict, Union

import pytest

from . import _postgres
from ._server import Delay, InitState, PathArg, RemoteServer, Server, ServerStartError
from .control import AdminKey, AdminKeyInput, ControlError, parse_admin_key

KEEP_STATE_MARKER = "sagemaker_images_keep_state"
ADMIN_KEY_ENV = "SAGEMAKER_IMAGES_ADMIN_KEY"

# name -> (metavar, help); each is a command-line option --sagemaker-images-NAME and an ini key
# sagemaker_images_NAME; the command line wins.
OPTIONS = {
    "transition_delay": (
        "DELAY",
        "how long images and versions stay CREATING, UPDATING, DELETING on the plugin's server (500ms, 2s); default 0s",
    ),
    "init_state": (
        "FILE",
        "initial-state document (the shape of GET /_sagemaker-images/state) loaded at start and again after each reset",
    ),
    "database_url": (
        "URL",
        "PostgreSQL server (postgres://user@host:5432/postgres) on which each server the plugin starts gets "
        "a fresh database of its own, dropped at the end; needs pg8000",
    ),
    "url": (
        "URL",
        "URL of an already running sagemaker-images server to use instead of starting one",
    ),
    "admin_key": (
        "KEY:SECRET",
        f"admin key (access key id:secret) of that server, when it has a credentials file; also ${ADMIN_KEY_ENV}",
    ),
}


class Settings:
    """The plugin's options, resolved: command line, then ini file (paths relative to it)."""

    transition_delay: Optional[str]
    init_state: Optional[str]
    database_url: Optional[str]
    url: Optional[str]
    admin_key: Optional[AdminKey]

    def __init__(self, config: pytest.Config) -> None:
        values: dict[str, Optional[str]] = {}
        for name in OPTIONS:
            value = config.getoption(f"sagemaker_images_{name}")
            base = config.invocation_params.dir
            if value is None:
                value = config.getini(f"sagemaker_images_{name}") or None
                base = config.inipath.parent if config.inipath else config.rootpath
            if value is not None and name == "init_state":
                value = os.path.join(str(base), os.path.expanduser(value))
            values[name] = value
        self.transition_delay = values["transition_delay"]
        self.init_state = values["init_state"]
        self.database_url = values["database_url"]
        self.url = values["url"]
        admin_key = values["admin_key"] or os.environ.get(ADMIN_KEY_ENV) or None
        try:
            self.admin_key = parse_admin_key(admin_key)
        except ValueError as error:
            raise pytest.UsageError(f"--sagemaker-images-admin-key: {error}") from None
        if self.url:
            for name in ("transition_delay", "database_url"):
                if values[name]:
                    flag = "--sagemaker-images-" + name.replace("_", "-")
                    raise pytest.UsageError(
                        f"{flag} configures a server the plugin starts; with --sagemaker-images-url, "
                        f"start that server with it instead"
                    )


# A server the plugin gives: one it started, or the one of --sagemaker-images-url.
AnyServer = Union[Server, RemoteServer]


class RunFigures(TypedDict):
    """Seconds each server took to start, and each reset took, in one pytest process."""

    starts: list[float]
    resets: list[float]


class ServerPool:
    """The servers of this pytest process (one xdist worker): the default one the fixtures use, shared ones
    by configuration, and extra ones."""

    settings: Settings
    # The module whose keep-state tests used the default server last (None: an ordinary test).
    last_scope: Optional[str]

    def __init__(self, config: pytest.Config, watch_parent: bool = False) -> None:
        self._config = config
        self.settings = Settings(config)
        self._watch_parent = watch_parent
        self._tmp_path_factory: Optional[pytest.TempPathFactory] = None
        self._default: Optional[AnyServer] = None
        self._default_error: Optional[ServerStartError] = None
        self._shared: dict[str, Union[Server, ServerStartError]] = {}
        self._servers: list[AnyServer] = []
        self.last_scope = None

    def activate(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp_path_factory = tmp_path_factory
        # Read again now that every pytest_configure has run: a conftest may have set an option there.
        self.settings = Settings(self._config)

    def start(
        self,
        transition_delay: Delay = None,
        init_state: InitState = None,
        credentials: Optional[PathArg] = None,
        admin_key: AdminKeyInput = None,
        args: Iterable[object] = (),
    ) -> Server:
        """A new server (with the database option, on a fresh database of its own); stopped at the end of the
        run unless stopped before."""
        data_dir: Optional[Path] = None
        log_path: Optional[Path] = None
        if self._tmp_path_factory is not None:
            home = self._tmp_path_factory.mktemp("sagemaker-images")
            data_dir, log_path = home / "data", home / "server.log"
        database_url, drop = None, None
        if self.settings.database_url:
            try:
                database_url, drop = _postgres.create_database(self.settings.database_url)
            except Exception as error:  # pg8000 missing, server unreachable, refused
                raise ServerStartError(
                    f"sagemaker-images: could not create a database on {self.settings.database_url}: {error}"
                ) from error
        server = Server(
            transition_delay=transition_delay,
            init_state=init_state,
            database_url=database_url,
            credentials=credentials,
            admin_key=admin_key,
            args=args,
            data_dir=data_dir,
            log_path=log_path,
        )
        if drop is not None:
            server.add_cleanup(drop)
        self._servers.append(server)
        if self._watch_parent:
            self._watch_parent = False
            _start_parent_watch(self)
        server.start()
        return server

    def default(self) -> AnyServer:
        """The server the fixtures give, started (or attached to) the first time; a failure to start is
        remembered, so that every test asking for it reports the same message."""
        if self._default_error is not None:
            raise self._default_error
        if self._default is None:
            try:
                server: AnyServer
                if self.settings.url:
                    server = RemoteServer(
                        self.settings.url, admin_key=self.settings.admin_key, init_state=self.settings.init_state
                    )
                    self._servers.append(server)
                    server.start()
                else:
                    server = self.start(
                        transition_delay=self.settings.transition_delay, init_state=self.settings.init_state
                    )
            except ServerStartError as error:
                self._default_error = error
                raise
            self._default = server
        return self._default

    def shared(self, **options: Any) -> Server:
        """A server of these options (those of `start`), started the first time and kept for the run. The
        caller resets it when it needs to."""
        key = repr(sorted(options.items()))
        found = self._shared.get(key)
        if isinstance(found, ServerStartError):
            raise found
        if found is None:
            try:
                found = self.start(**options)
            except ServerStartError as error:
                self._shared[key] = error
                raise
            self._shared[key] = found
        return found

    def close(self) -> None:
        for server in reversed(self._servers):
            try:
                server.stop()
            except Exception:  # a database that cannot be dropped must not hide the tests' outcome
                pass

    def stats(self) -> RunFigures:
        starts = [s.start_seconds for s in self._servers if s.start_seconds is not None]
        resets = sorted(t for s in self._servers for t in s.reset_timings)
        return {"starts": starts, "resets": [seconds for _, seconds in resets]}


def _start_parent_watch(pool: ServerPool) -> None:
    """In an xdist worker, the servers' parent is the worker, which goes on running its test when the pytest
    process that started it is killed: this thread kills the servers once that process has gone."""
    controller = os.getppid()

    def watch() -> None:
        while os.getppid() == controller:
            time.sleep(0.2)
        for server in list(pool._servers):
            process = getattr(server, "process", None)
            if process is not None and process.poll() is None:
                process.kill()

    threading.Thread(target=watch, name="sagemaker-images-parent-watch", daemon=True).start()


POOL = pytest.StashKey[ServerPool]()
WORKER_STATS = pytest.StashKey[list[RunFigures]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sagemaker-images", "a sagemaker-images server for the tests that use its fixtures")
    for name, (metavar, help) in OPTIONS.items():
        flag = "--sagemaker-images-" + name.replace("_", "-")
        group.addoption(flag, dest=f"sagemaker_images_{name}", metavar=metavar, default=None, help=help)
        parser.addini(f"sagemaker_images_{name}", f"{help} ({flag})", default=None)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{KEEP_STATE_MARKER}: tests of a module with this marker share the sagemaker-images server's state; "
        "it is reset before the first of them only",
    )
    config.stash[POOL] = ServerPool(config, watch_parent=hasattr(config, "workerinput"))
    config.stash[WORKER_STATS] = []


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(POOL, None)
    if pool is not None:
        pool.close()


def _fail(error: object) -> NoReturn:
    pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def sagemaker_images_servers(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerPool]:
    """Every server of this process: `.default()` (the fixtures' one), `.shared(**options)` (one per
    distinct options, kept for the run), `.start(**options)` (a new one)."""
    pool = pytestconfig.stash[POOL]
    pool.activate(tmp_path_factory)
    yield pool
    pool.close()


@pytest.fixture
def sagemaker_images_server(request: pytest.FixtureRequest, sagemaker_images_servers: ServerPool) -> AnyServer:
    """The server of this process, reset before the test (unless the test keeps its module's state)."""
    pool = sagemaker_images_servers
    try:
        server = pool.default()
    except ServerStartError as error:
        _fail(error)
    scope = str(request.node.path) if request.node.get_closest_marker(KEEP_STATE_MARKER) else None
    if scope is None or scope != pool.last_scope:
        try:
            server.reset()
        except (ServerStartError, ControlError, OSError) as error:
            _fail(f"sagemaker-images: could not reset the server at {server.url} before the test: {error}")
    pool.last_scope = scope
    return server


@pytest.fixture
def sagemaker_images_endpoint(sagemaker_images_server: AnyServer) -> str:
    """The server's URL (`http://127.0.0.1:PORT`)."""
    return sagemaker_images_server._started_url()


@pytest.fixture
def sagemaker_images_client(sagemaker_images_server: AnyServer) -> Any:
    """A boto3 SageMaker client of the server: region us-east-1, the built-in test credentials (or the
    admin key given for an already running server)."""
    try:
        return sagemaker_images_server.client()
    except RuntimeError as error:
        _fail(error)


@pytest.fixture
def sagemaker_images_env(
    sagemaker_images_server: AnyServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """Points the environment's AWS SDKs at the server for the test: AWS_ENDPOINT_URL_SAGEMAKER,
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION and AWS_REGION; the profile, session token
    and the shared config and credentials files are taken out of play. Yields the server's URL."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in sagemaker_images_server.aws_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "sagemaker-images-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "sagemaker-images-aws-credentials"))
    _forget_sagemaker_core_clients()
    yield sagemaker_images_server._started_url()
    _forget_sagemaker_core_clients()


def _forget_sagemaker_core_clients() -> None:
    """sagemaker-core caches its boto3 clients process-wide: one built for another endpoint or key would be
    used again. Only if the test's code has imported it (importing it here would cost a second)."""
    import sys

    module = sys.modules.get("sagemaker.core.utils.utils")
    client = getattr(module, "SageMakerClient", None)
    if client is not None and hasattr(client, "reset"):
        client.reset()


@pytest.fixture
def sagemaker_images_start_server(sagemaker_images_servers: ServerPool) -> Iterator[Callable[..., Server]]:
    """`start(transition_delay=None, init_state=None, credentials=None, admin_key=None, args=())` starts
    another server (on a database of its own with the database option) and returns it; each is stopped
    after the test."""
    started: list[Server] = []

    def start(**options: Any) -> Server:
        try:
            server = sagemaker_images_servers.start(**options)
        except ServerStartError as error:
            _fail(error)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


# --- figures for the run's summary: how long starting a server and each reset took ----------------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the figures to the controller
        workeroutput["sagemaker_images"] = config.stash[POOL].stats()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:  # node: xdist's WorkerController
    stats = getattr(node, "workeroutput", {}).get("sagemaker_images")
    if stats:
        node.config.stash[WORKER_STATS].append(stats)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if POOL not in config.stash:
        return
    runs = [config.stash[POOL].stats(), *config.stash[WORKER_STATS]]
    starts = [s for run in runs for s in run["starts"]]
    if not starts and not any(run["resets"] for run in runs):
        return
    write = terminalreporter.write_line
    terminalreporter.section("sagemaker-images")
    if starts:
        write(
            f"server start: {len(starts)} server(s), median {_ms(statistics.median(starts))}, "
            f"slowest {_ms(max(starts))}"
        )
    for index, run in enumerate(r for r in runs if r["resets"]):
        resets = run["resets"]
        tenth = max(1, min(10, len(resets) // 3))
        label = "reset before a test" if len(runs) == 1 else f"reset before a test (process {index + 1})"
        write(
            f"{label}: {len(resets)} resets, median {_ms(statistics.median(resets))}; "
            f"first {tenth} {_ms(statistics.median(resets[:tenth]))}, "
            f"last {tenth} {_ms(statistics.median(resets[-tenth:]))}; slowest {_ms(max(resets))}"
        )
