"""Flask extensions, created unbound and bound to the app in the factory."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData

# Stable constraint names so Alembic migrations work on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()


# -- Fork safety ------------------------------------------------------------------------------
# A process forked from one that holds database connections (RQ's scheduler, forked by the
# worker; any multiprocessing child) must never use them, nor keep them alive: if the parent is
# killed while a transaction is open, a child still holding the socket keeps PostgreSQL from
# seeing the close, and the transaction's row locks stay taken. So, in every forked child:
# - each inherited PostgreSQL socket is replaced, at the OS level, by /dev/null (dup2). The
#   child's copy of the socket is gone, the fd number stays valid, and nothing the child might
#   still do with the old connection object (PQfinish's Terminate, a pool's ROLLBACK) reaches
#   the parent's session;
# - each engine drops its pool without closing the connections (SQLAlchemy's
#   ``engine.dispose(close=False)``), so the child opens its own when it needs one;
# - SMPP binds inherited from the parent are forgotten the same way (no unbind sent).
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import weakref  # noqa: E402

from sqlalchemy import event  # noqa: E402

_fork_engines: "weakref.WeakSet" = weakref.WeakSet()
_fork_connections: "weakref.WeakSet" = weakref.WeakSet()  # live psycopg connections of this process
_fork_hook_lock = threading.Lock()
_fork_hook_installed = False


def make_fork_safe(engine) -> None:
    """Called once per engine when the app is built: a forked child forgets its connections."""
    global _fork_hook_installed
    with _fork_hook_lock:
        if engine in _fork_engines:
            return
        _fork_engines.add(engine)
        event.listen(engine, "connect", _remember_connection)
        if not _fork_hook_installed:
            os.register_at_fork(after_in_child=forget_inherited_connections)
            _fork_hook_installed = True


def _remember_connection(dbapi_connection, _record) -> None:
    if hasattr(dbapi_connection, "pgconn"):  # psycopg 3; SQLite has no socket to inherit
        _fork_connections.add(dbapi_connection)


def _socket_fd(dbapi_connection) -> int:
    """The connection's socket, or -1 when libpq has none (closed or broken: its fd is gone)."""
    try:
        if dbapi_connection.closed:
            return -1
        return dbapi_connection.pgconn.socket
    except Exception:
        return -1


def forget_inherited_connections() -> None:
    """In a forked child (``os.register_at_fork``): drop the parent's DB connections and SMPP binds."""
    global _fork_hook_lock
    _fork_hook_lock = threading.Lock()  # another thread may have held it at the fork
    fds = [fd for fd in map(_socket_fd, list(_fork_connections)) if fd >= 0]
    _fork_connections.clear()
    if fds:
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            for fd in fds:
                try:
                    os.dup2(devnull, fd)
                except OSError:
                    pass
        finally:
            os.close(devnull)
    for engine in list(_fork_engines):
        try:
            engine.dispose(close=False)
        except Exception:
            pass
    smpp = sys.modules.get("webapp.connectors.smpp")
    if smpp is not None and hasattr(smpp, "forget_after_fork"):
        smpp.forget_after_fork()
