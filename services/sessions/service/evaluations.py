"""Evaluations: a score out of 10 and an optional comment from someone who attended; anonymous summaries."""

from __future__ import annotations

import uuid
from uuid import UUID

from werkzeug.exceptions import NotFound

from services.common import audit
from services.common.db import unit_of_work
from services.common.events import new_event
from services.common.problems import Conflict
from services.sessions import db, domain
from services.sessions.db import Row
from services.sessions.service.base import SERVICE, Context, participant


class Evaluations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def evaluate(self, session_id: UUID, person_id: UUID, score: int, comment: str | None, *,
                 by_participant: bool = False) -> Row:
        now = self.ctx.clock()
        with unit_of_work(self.ctx.pool) as conn:
            s = db.get_session(conn, session_id)
            if s is None:
                raise NotFound("no such session")
            if s["status"] == "cancelled":
                raise Conflict("the session was cancelled", current_state="cancelled", allowed_transitions=[])
            opens, closes = domain.evaluation_window(domain.ends_at(s["starts_at"], s["duration_minutes"]),
                                                     self.ctx.settings.sessions_evaluation_days)
            if not opens <= now <= closes:
                raise Conflict("evaluations are accepted only after the session, until "
                               f"{domain.local(closes):%d-%m-%Y %H:%M}", opens_at=opens.isoformat(),
                               closes_at=closes.isoformat())
            attended = db.attended_registration(conn, s["id"], person_id)
            if attended is None:
                raise Conflict("only participants who attended can evaluate this session")
            if db.is_erased(conn, person_id):
                # A link minted before the erasure must not collect new data about the person.
                raise Conflict("this person's data was erased; no evaluation is taken", current_state="erased",
                               allowed_transitions=[])
            evaluation_id = uuid.uuid4()
            comment = (comment or "").strip() or None
            if not db.insert_evaluation(conn, evaluation_id, s["id"], person_id, attended["company_id"], score,
                                        comment):
                raise Conflict("this session has already been evaluated by this participant",
                               current_state="evaluated", allowed_transitions=[])
            self.ctx.outbox.add(conn, [new_event(SERVICE, "EvaluationSubmitted", str(s["id"]), {
                "session_id": str(s["id"]), "programme_id": str(s["programme_id"]),
                "evaluation_id": str(evaluation_id), "person_id": str(person_id),
                "company_id": str(attended["company_id"]), "score": score, "has_comment": comment is not None,
                "facilitator_ids": list(s["facilitator_ids"])})])
            audit.record(conn, "evaluation.submit", "session", str(s["id"]), {"evaluation_id": str(evaluation_id)},
                         actor=participant(person_id) if by_participant else None)
            return {"id": evaluation_id, "session_id": s["id"], "score": score, "has_comment": comment is not None}

    def summary(self, session_id: UUID) -> Row:
        """Count; average and comments only from the minimum group up (anonymity)."""
        with self.ctx.pool.connection() as conn:
            rows = db.evaluations_of(conn, session_id)
        scores = [r["score"] for r in rows]
        min_group = self.ctx.settings.evaluation_min_group
        average = domain.average(scores, min_group)
        shown = average is not None
        return {"session_id": session_id, "count": len(scores), "average": average, "minimum_group": min_group,
                "comments": [r["comment"] for r in rows if r["comment"]] if shown else []}
