"""Private infrastructure for fault tests: servers of the test's own, on free ports and in
temporary directories, that the test may kill, restart, freeze and cut off. The machine's own
Redis (6379), MariaDB (3306) and RabbitMQ (5672) are never touched.

`PrivateRedis`:

    with PrivateRedis(tmp_path) as redis:       # started, answering PING
        redis.kill(); redis.start()             # SIGKILL, then the same port again
        redis.pause(); redis.resume()           # SIGSTOP / SIGCONT: a frozen server
        with redis.cut(): ...                   # clients go through `redis.proxy_url`

`PrivateMariaDB` and `PrivateRabbitMQ` each run from their own temporary directory (MariaDB: its
datadir and socket; RabbitMQ: node name, AMQP, distribution and epmd ports, mnesia and log
directories, and an Erlang cookie in its own HOME). Their data outlives `kill()`: `start()`
again is the same server coming back with its data; `remove()` stops it and deletes it all.
Start-up waits follow the process (`testing.processes.wait_until_ready`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from rechat_shared.testing.processes import free_port, wait_until_ready

# the packaged servers; /usr/sbin/rabbitmq-server would switch to the system's user
MARIADBD = os.environ.get("TEST_MARIADBD", "/usr/sbin/mariadbd")
MARIADB_INSTALL_DB = os.environ.get("TEST_MARIADB_INSTALL_DB", "/usr/bin/mariadb-install-db")
RABBITMQ_BIN = Path(os.environ.get("TEST_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


class PrivateRedis:
    """One redis-server process; `persistent` keeps its data in an AOF (fsync always) across
    restarts, otherwise every start is empty."""

    def __init__(self, directory: Path, *, persistent: bool = False) -> None:
        self.directory = directory
        self.persistent = persistent
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.proxy = TcpCut(self.port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def proxy_url(self) -> str:
        """The same server through a relay that `cut` can sever."""
        return f"redis://127.0.0.1:{self.proxy.port}/0"

    def start(self, *, empty: bool = False) -> None:
        """Start on the same port; `empty`: without the data a persistent server kept."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        if empty or not self.persistent:
            shutil.rmtree(self.directory / "data", ignore_errors=True)
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else []
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - the machine's redis-server
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory / "data"),
                "--save",
                "",
                *persistence,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        assert self.process is not None
        wait_until_ready(
            self.process,
            lambda: _ping(self.port),
            name="redis-server",
            log_tail=lambda: _tail(self.directory / "redis.log"),
        )

    def kill(self) -> None:
        """SIGKILL: every connection drops, nothing is saved beyond what the AOF has."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # a frozen server must die too
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP: the server keeps its sockets but answers nothing."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    @contextlib.contextmanager
    def cut(self) -> Iterator[None]:
        """Sever every connection made through `proxy_url` and refuse new ones for the block."""
        self.proxy.cut()
        try:
            yield
        finally:
            self.proxy.restore()

    def __enter__(self) -> PrivateRedis:
        self.start()
        self.proxy.restore()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.proxy.close()
        self.kill()


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class TcpCut:
    """A TCP relay on a thread of its own: `cut` closes every relayed connection and stops
    listening (clients see their connections drop and new ones refused), `restore` listens on
    the same port again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=3)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._sockets.update({client, upstream})
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


# -- MariaDB and RabbitMQ ----------------------------------------------------------------------


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(process: subprocess.Popen[bytes] | None, sig: int, timeout: float = 60) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


class _PrivateServer:
    """A server process in its own session (so a kill takes its children too), logging to
    `root/<log>`; ready when its port accepts connections."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None
    log_name: str

    @property
    def log_path(self) -> Path:
        return self.root / self.log_name

    def _spawn(self, command: list[str], env: dict[str, str] | None = None) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - the packaged server
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_until_ready(
            self.process,
            lambda: _accepts(self.port),
            name=f"private {Path(command[0]).name}",
            log_tail=lambda: _tail(self.log_path),
        )

    def kill(self) -> None:
        """SIGKILL the server and its children; its data stays for the next `start()`."""
        _stop(self.process, signal.SIGKILL)

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)

    def start(self) -> None:
        raise NotImplementedError

    def remove(self) -> None:
        raise NotImplementedError

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[Self]:
        """Started for the block, then removed with its data."""
        server = cls()
        server.start()
        try:
            yield server
        finally:
            server.remove()


@dataclass
class PrivateMariaDB(_PrivateServer):
    """`mariadbd` on its own datadir and port; root without a password (grant tables off)."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rechat-mariadb-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_name: str = "mariadbd.log"

    @property
    def admin_url(self) -> str:
        return f"mysql+aiomysql://root@127.0.0.1:{self.port}/"

    def url(self, database: str) -> str:
        return f"{self.admin_url}{database}?charset=utf8mb4"

    def install(self) -> None:
        (self.root / "data").mkdir(exist_ok=True)
        subprocess.run(  # noqa: S603 - the packaged installer
            [
                MARIADB_INSTALL_DB,
                "--no-defaults",
                f"--datadir={self.root / 'data'}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--user=root",
            ],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        if not (self.root / "data" / "mysql").exists():
            self.install()
        self._spawn(
            [
                MARIADBD,
                "--no-defaults",
                f"--datadir={self.root / 'data'}",
                f"--socket={self.root / 'mariadbd.sock'}",
                f"--pid-file={self.root / 'mariadbd.pid'}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                "--skip-grant-tables",
                "--skip-name-resolve",
                "--user=root",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
                "--max-connections=500",
            ]
        )

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class PrivateRabbitMQ(_PrivateServer):
    """A RabbitMQ node of its own: name, AMQP/distribution/epmd ports, mnesia, logs, cookie."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rechat-rabbit-")))
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    epmd_port: int = field(default_factory=free_port)
    name: str = field(default_factory=lambda: f"rechat-test-{uuid.uuid4().hex[:8]}@localhost")
    process: subprocess.Popen[bytes] | None = None
    log_name: str = "server.log"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def env(self) -> dict[str, str]:
        for name in ("home", "mnesia", "log"):
            (self.root / name).mkdir(exist_ok=True)
        (self.root / "rabbitmq-env.conf").touch()
        (self.root / "enabled_plugins").write_text("[].\n")
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            "disk_free_limit.absolute = 1MB\n"
        )
        keep = ("PATH", "LANG", "LC_ALL", "TMPDIR")
        return {
            **{key: os.environ[key] for key in keep if key in os.environ},
            "HOME": str(self.root / "home"),  # the node's Erlang cookie lives here
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_SERVER_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def start(self) -> None:
        # the AMQP listener opens last, once the node has booted
        self._spawn([str(RABBITMQ_BIN / "rabbitmq-server")], self.env)

    def remove(self) -> None:
        self.kill()
        # the epmd this node started on its own port outlives the node; it refuses to stop
        # until it has noticed that the killed node is gone
        epmd = shutil.which("epmd") or "/usr/bin/epmd"
        for _ in range(100):
            answer = subprocess.run(  # noqa: S603 - the packaged epmd, our private port only
                [epmd, "-port", str(self.epmd_port), "-kill"],
                capture_output=True,
                text=True,
                check=False,
            )
            said = (answer.stdout + answer.stderr).lower()
            if "killed" in said or "cannot connect" in said:
                break
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
