import pytest

from webapp.settings import Settings, sqlalchemy_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://postgres@127.0.0.1/sms", "postgresql+psycopg://postgres@127.0.0.1/sms"),
        ("postgres://u:p@db/sms", "postgresql+psycopg://u:p@db/sms"),
        ("postgresql+psycopg://x/y", "postgresql+psycopg://x/y"),
        ("sqlite:///instance/x.db", "sqlite:///instance/x.db"),
    ],
)
def test_database_urls_use_psycopg3(url, expected):
    assert sqlalchemy_url(url) == expected


def test_settings_are_typed_and_read_from_env():
    s = Settings.from_env(
        {"PASSWORD_MAX_AGE_DAYS": "45", "SESSION_COOKIE_SECURE": "yes", "REDIS_URL": "redis://r:6379/2"}
    )
    assert s.password_max_age_days == 45
    assert s.session_cookie_secure is True
    assert s.redis_url == "redis://r:6379/2"
    assert Settings.from_env({}).database_url.startswith("sqlite:///")
    with pytest.raises(ValueError):
        Settings.from_env({"PASSWORD_MAX_AGE_DAYS": "thirty"})
