"""Operator commands for the report tallies (services/report_tallies.py):
`flask reports check-tallies` and `flask reports recount-tallies`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from webapp.extensions import db


def reports_commands() -> AppGroup:
    reports_cli = AppGroup("reports", help="The tallies that All reports and the dashboard read (PostgreSQL).")

    @reports_cli.command("check-tallies")
    def check_tallies():
        """Recount every message and compare with the tallies; exit 1 where they differ."""
        from webapp.services import report_tallies

        if not report_tallies.tallied(db.session):
            click.echo("this database (not PostgreSQL) keeps no tallies: the reports read the messages")
            return
        differences = report_tallies.differences(db.session)
        db.session.rollback()
        for d in differences[:50]:
            key = " ".join(f"{k}={d[k]}" for k in report_tallies.KEYS)
            sums = ", ".join(f"{s} {d[f'counted_{s}']} counted != {d[f'kept_{s}']} kept" for s in report_tallies.SUMS)
            click.echo(f"{key}: {sums}", err=True)
        if differences:
            click.echo(f"{len(differences)} keys differ; `flask reports recount-tallies` rebuilds them", err=True)
            sys.exit(1)
        click.echo("tallies ok: they equal a recount of the messages")

    @reports_cli.command("recount-tallies")
    def recount_tallies():
        """Rebuild the tallies from the messages (holds off new messages while it runs)."""
        from webapp.services import report_tallies

        if not report_tallies.tallied(db.session):
            click.echo("this database (not PostgreSQL) keeps no tallies: nothing to do")
            return
        rows = report_tallies.recount(db.session)
        db.session.commit()
        click.echo(f"tallies rebuilt: {rows} rows")

    return reports_cli
