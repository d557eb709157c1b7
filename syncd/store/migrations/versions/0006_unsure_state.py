"""One state for "outcome unknown, look before trying again": ``unsure``.

Three markers said it before: an inbound job in state ``posting``, a rating in state ``posting``,
and a pending staff notice whose last_error began with "outcome unknown". Each becomes ``unsure``;
the downgrade gives each its old marker back.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The tables as this migration knows them (the code's own schema may change after it).
inbound_jobs = sa.table("inbound_jobs", sa.column("state", sa.String))
issue_ratings = sa.table("issue_ratings", sa.column("state", sa.String))
outbox = sa.table("outbox", sa.column("kind", sa.String), sa.column("state", sa.String),
                  sa.column("last_error", sa.Text))

UNSURE, POSTING = "unsure", "posting"
PENDING, NOTICE = "pending", "okdesk_notice"
OUTCOME_UNKNOWN = "outcome unknown"


def upgrade() -> None:
    op.execute(inbound_jobs.update().where(inbound_jobs.c.state == POSTING).values(state=UNSURE))
    op.execute(issue_ratings.update().where(issue_ratings.c.state == POSTING).values(state=UNSURE))
    op.execute(outbox.update().where(outbox.c.kind == NOTICE, outbox.c.state == PENDING,
                                     outbox.c.last_error.like(f"{OUTCOME_UNKNOWN}%")).values(state=UNSURE))


def downgrade() -> None:
    op.execute(inbound_jobs.update().where(inbound_jobs.c.state == UNSURE).values(state=POSTING))
    op.execute(issue_ratings.update().where(issue_ratings.c.state == UNSURE).values(state=POSTING))
    # The old code read the words: an unsure notice says them again, once.
    unsure = (outbox.c.kind == NOTICE) & (outbox.c.state == UNSURE)
    op.execute(outbox.update().where(unsure, sa.or_(outbox.c.last_error.is_(None),
                                                    ~outbox.c.last_error.like(f"{OUTCOME_UNKNOWN}%")))
               .values(last_error=sa.func.coalesce(f"{OUTCOME_UNKNOWN}: " + outbox.c.last_error,
                                                   f"{OUTCOME_UNKNOWN}: posting")))
    op.execute(outbox.update().where(unsure).values(state=PENDING))
