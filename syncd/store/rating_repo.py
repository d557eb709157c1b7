"""The write-ahead record of each issue's rating: one row per issue, exactly once.

Mixed into :class:`syncd.store.Store`. The row is written *before* Okdesk is asked (state
``unsure``: the outcome unknown until answered), so a second tap, a resend after a crash or a
restart finds it; the PRIMARY KEY on the issue makes a second rating of the same issue impossible.
``done`` once Okdesk has the rating. An ``unsure`` row whose request got no answer is resolved by
reading the issue: a rate shown means done, none means nothing was applied and the request may go
again.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from syncd.clock import utcnow
from syncd.store.rows import IssueRating, every, one
from syncd.store.schema import issue_ratings
from syncd.store.states import RATING_DONE, UNSURE

__all__ = ["RATING_DONE", "UNSURE", "RatingStore"]


class RatingStore:
    engine: Engine

    def get_rating(self, okdesk_issue_id: int) -> IssueRating | None:
        with self.engine.connect() as conn:
            return one(IssueRating, conn.execute(select(issue_ratings)
                                                 .where(issue_ratings.c.okdesk_issue_id == okdesk_issue_id)).first())

    def start_rating(self, okdesk_issue_id: int, *, tg_user_id: int, okdesk_contact_id: int, rate: str) -> bool:
        """The row in state ``unsure``; False when the issue has a row already (rated or being rated)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(issue_ratings).values(
                    okdesk_issue_id=okdesk_issue_id, tg_user_id=tg_user_id, okdesk_contact_id=okdesk_contact_id,
                    rate=rate, state=UNSURE, created_at=utcnow(), done_at=None))
        except IntegrityError:
            return False
        return True

    def finish_rating(self, okdesk_issue_id: int, rate: str) -> bool:
        """``unsure`` -> ``done`` with the rate Okdesk shows; False when it was not ``unsure``
        (so whoever gets True tells the client, once)."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(issue_ratings)
                .where(issue_ratings.c.okdesk_issue_id == okdesk_issue_id,
                       issue_ratings.c.state == UNSURE)
                .values(state=RATING_DONE, rate=rate, done_at=utcnow())).rowcount
        return bool(changed)

    def record_rating(self, okdesk_issue_id: int, *, tg_user_id: int, okdesk_contact_id: int, rate: str) -> None:
        """Okdesk shows a rating we did not record (given in the portal, or before a lost row):
        remembered as ``done``, whatever row there was."""
        with self.engine.begin() as conn:
            conn.execute(delete(issue_ratings).where(issue_ratings.c.okdesk_issue_id == okdesk_issue_id))
            conn.execute(insert(issue_ratings).values(
                okdesk_issue_id=okdesk_issue_id, tg_user_id=tg_user_id, okdesk_contact_id=okdesk_contact_id,
                rate=rate, state=RATING_DONE, created_at=utcnow(), done_at=utcnow()))

    def drop_rating(self, okdesk_issue_id: int) -> bool:
        """Okdesk refused the rating for certain: the ``unsure`` row goes, a new choice may be made."""
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(issue_ratings).where(
                issue_ratings.c.okdesk_issue_id == okdesk_issue_id,
                issue_ratings.c.state == UNSURE)).rowcount)

    def ratings_unsure(self) -> list[IssueRating]:
        """Ratings sent without an answer (a crash, a timeout): resolved at start."""
        with self.engine.connect() as conn:
            return every(IssueRating, conn.execute(select(issue_ratings).where(issue_ratings.c.state == UNSURE)
                                                   .order_by(issue_ratings.c.created_at)))
