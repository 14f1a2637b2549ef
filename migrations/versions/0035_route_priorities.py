"""Failover and least-cost routing (issue 22).

- routes.priority: the order routes serving the same country are tried in (lower first; 100
  for every route so far, so nothing changes until an operator sets it);
- route_costs: what a route's provider charges us per part, per country ("*": any other
  country): the tie-breaker between routes of one priority (least cost), and the cost side of
  the operators' cost-and-margin report.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 16:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("routes") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="100"))
    op.create_table(
        "route_costs",
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),  # Money: ten-thousandths
        sa.ForeignKeyConstraint(["route_id"], ["routes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("route_id", "country"),
    )


def downgrade():
    op.drop_table("route_costs")
    with op.batch_alter_table("routes") as batch:
        batch.drop_column("priority")
