"""The final report's programme, end to end through notifications.

Twelve concrete-sector companies in three regions (one more is declined),
nine regional dialogue sessions and six intervision sessions (Zuid's
online), two withdrawals (one for understaffing), a rescheduled and a
cancelled session, a waiting list, a participant absent twice, a session
below its minimum, the "skills boosters" drip campaign and the directors'
progress digests. The events of enrolment and sessions go through the real
Kafka topics into the real worker (relay + consumer); the sender runs against
a real SMTP server on a clock the test moves through the programme's three
months. Afterwards the SMTP server holds exactly the mails each participant,
director, facilitator and coordinator should get, each once, in Dutch, and
the delivery log accounts for every one of them.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from tests.integration.conftest import smtp  # noqa: F401 (fixture)
from tests.integration.notifications.conftest import (  # noqa: F401 (fixtures)
    START,
    Notifier,
    SmtpServer,
    kafka_notifier,
)
from tests.integration.notifications.programme import Company, Person, Programme, Session, staff
from tests.support import bearer

pytestmark = pytest.mark.e2e

REGIONS = ("Noord", "Midden", "Zuid")
FACILITATOR = {"Noord": "fac-1", "Midden": "fac-2", "Zuid": "fac-3"}
END = START + timedelta(days=90)
WITHDRAWN_ON = START + timedelta(days=35)


def day(n: float) -> datetime:
    return START + timedelta(days=n)


@dataclass
class Run:
    n: Notifier
    p: Programme
    expected: Counter[tuple[str, str]] = field(default_factory=Counter)
    companies: dict[str, list[Company]] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)
    _agenda: list[tuple[datetime, int, Callable[[], object]]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def expect(self, address: str, kind: str, times: int = 1) -> None:
        self.expected[(address, kind)] += times

    def at(self, when: datetime, action: Callable[[], object]) -> None:
        heapq.heappush(self._agenda, (when, next(self._seq), action))

    def play(self) -> None:
        """Move the clock from one planned event or due mail to the next, sending what is due."""
        while True:
            due = self.n.rows("SELECT min(send_after) AS t FROM deliveries WHERE status = 'scheduled'")[0]["t"]
            candidates = [t for t in (due, self._agenda[0][0] if self._agenda else None) if t is not None]
            upcoming = min(candidates) if candidates else None
            if upcoming is None or upcoming > END:
                return
            self.n.clock.set(max(upcoming, self.n.clock.now()))
            while self._agenda and self._agenda[0][0] <= self.n.clock.now():
                heapq.heappop(self._agenda)[2]()
            self.n.send()

    def active(self, c: Company, when: datetime) -> bool:
        return c.company_id not in self.withdrawn or when < WITHDRAWN_ON


def scenario(run: Run) -> None:  # noqa: C901 (one story, told in order)
    n, p = run.n, run.p
    for region in REGIONS:
        staff(n, f"coord-{region}", "coordinator", f"Coördinator {region}", f"coord.{region.lower()}@fonds.nl",
              [region])
        staff(n, FACILITATOR[region], "facilitator", f"Begeleider {region}", f"{FACILITATOR[region]}@begeleiding.nl")
    staff(n, "fac-4", "facilitator", "Tweede begeleider online", "fac-4@begeleiding.nl")
    boosters = {"name": "skills boosters", "job_levels": ["manager"], "steps": [
        {"offset_days": 7 * i, "subject": {"nl": f"Skills booster {i + 1}"},
         "body": {"nl": f"Tip {i + 1} en drie oefenopdrachten."}} for i in range(4)]}
    created = n.app.test_client().post("/api/v1/campaigns", json=boosters, headers=bearer(n.settings, "fund_admin"))
    assert created.status_code == 201

    # -- day 0: intakes, admission (one company declined), delegation ----------------------------
    for region in REGIONS:
        run.companies[region] = []
        for i in range(1, 5):
            director = Person(f"Directeur {region} {i}", f"directeur.{region.lower()}{i}@beton.nl")
            c = p.company(f"Betonbedrijf {region} {i}", region, director)
            p.intake(c, day(0.2))
            p.intake_held(c)
            p.admit(c)
            run.expect(director.email, "intake_invitation")
            run.expect(director.email, "intake_confirmation")
            run.expect(director.email, "admission")
            for k, level in enumerate(("manager", "supervisor" if i % 2 else "foreman")):
                person = Person(f"Deelnemer {region} {i}{'ab'[k]}", f"{region.lower()}{i}{'ab'[k]}@beton.nl")
                p.delegate(c, person, level)
                if level == "manager":
                    run.expect(person.email, "drip", 4)
            run.companies[region].append(c)
    declined = p.company("Prefab Twijfel BV", "Zuid", Person("Directeur Twijfel", "directeur@twijfel.nl"))
    p.intake(declined, day(0.2))
    p.intake_held(declined, ok=False)
    p.decline(declined)
    for kind in ("intake_invitation", "intake_confirmation", "decline"):
        run.expect("directeur@twijfel.nl", kind)

    z2, m3 = run.companies["Zuid"][1], run.companies["Midden"][2]
    run.withdrawn = {z2.company_id, m3.company_id}
    for region in REGIONS:
        for c in run.companies[region]:
            digests = sum(1 for k in range(1, 7) if run.active(c, day(14 * k)))
            run.expect(c.director.email, "progress_digest", digests)

    def withdraw() -> None:
        for c in (z2, m3):
            p.withdraw(c)
    run.at(WITHDRAWN_ON, withdraw)

    # -- the sessions ------------------------------------------------------------------------------
    n1 = run.companies["Noord"][0]
    absentee = n1.delegates[1]
    z1, z4 = run.companies["Zuid"][0], run.companies["Zuid"][3]

    def plan_session(region: str, when: datetime, type_: str, number: int) -> None:
        online = region == "Zuid" and type_ == "intervision"
        facilitators = [FACILITATOR[region], "fac-4"] if online else [FACILITATOR[region]]
        rescheduled = region == "Noord" and type_ == "dialogue" and number == 2
        final_start = when + timedelta(days=2) if rescheduled else when
        holder: dict[str, Session] = {}

        def schedule() -> None:
            s = p.session(region, when, facilitators, type_, "online" if online else "regional_venue",
                          hours=1.5 if online else 3)
            holder["s"] = s
            for f in facilitators:
                address = f"{f}@begeleiding.nl"
                run.expect(address, "facilitator_assignment")
                run.expect(address, "session_reminder")
                if rescheduled:
                    run.expect(address, "session_rescheduled")
            for c in run.companies[region]:
                if not run.active(c, run.n.clock.now()):
                    continue
                for person in c.delegates:
                    p.invite(s, c, person)
                    run.expect(person.email, "session_invitation")
                    if rescheduled:
                        run.expect(person.email, "session_rescheduled")
                    waitlisted = region == "Zuid" and number == 1 and type_ == "dialogue" and person is z4.delegates[1]
                    if waitlisted:
                        p.waitlist(s, c, person)
                        run.expect(person.email, "waitlist_placement")
                        continue
                    p.register(s, c, person)
                    cancels_in_time = region == "Zuid" and number == 1 and type_ == "dialogue" \
                        and person is z1.delegates[1]
                    if not cancels_in_time and run.active(c, final_start - timedelta(hours=48)):
                        run.expect(person.email, "session_reminder")
        run.at(when - timedelta(days=10), schedule)

        if rescheduled:
            run.at(when - timedelta(days=8), lambda: p.reschedule(holder["s"], final_start))
        if region == "Zuid" and number == 1 and type_ == "dialogue":
            def swap() -> None:  # one cancels in time, the first on the waiting list moves up
                p.unregister(holder["s"], z1, z1.delegates[1])
                p.promote(holder["s"], z4, z4.delegates[1])
            run.at(when - timedelta(days=5), swap)
            run.expect(z1.delegates[1].email, "registration_cancelled")
            run.expect(z4.delegates[1].email, "waitlist_promotion")
            run.expect(z4.delegates[1].email, "session_reminder")
        if region == "Midden" and type_ == "intervision" and number == 1:
            run.at(when - timedelta(days=7), lambda: p.below_minimum(holder["s"], registered=3))
            run.expect("coord.midden@fonds.nl", "alert_below_minimum")
        late_cancel = region == "Noord" and type_ == "dialogue" and number == 3
        if late_cancel:
            run.at(when - timedelta(days=1), lambda: p.unregister(holder["s"], n1, absentee, late=True))
            run.expect(absentee.email, "registration_cancelled")

        def afterwards() -> None:
            s = holder["s"]
            attended = 0
            for c in run.companies[region]:
                if not run.active(c, final_start):
                    continue
                for person in c.delegates:
                    if region == "Zuid" and number == 1 and type_ == "dialogue" and person is z1.delegates[1]:
                        continue
                    if person is absentee and late_cancel:
                        continue
                    if person is absentee and type_ == "dialogue" and number in (1, 2):
                        p.attendance(s, c, person, "no_show")
                        continue
                    p.attendance(s, c, person, "attended")
                    run.expect(person.email, "evaluation_request")
                    attended += 1
            p.held(s, attended)
            if person_absent_twice := (region == "Noord" and type_ == "dialogue" and number == 2):
                assert person_absent_twice
                p.repeated_no_show(n1, absentee, [sessions_of_noord[0], s])
            if region == "Noord" and type_ == "dialogue" and number == 1:
                sessions_of_noord.append(s)
        run.at(final_start + timedelta(hours=4), afterwards)

    sessions_of_noord: list[Session] = []
    for region in REGIONS:
        for number, d in enumerate((14, 28, 42), start=1):
            plan_session(region, day(d), "dialogue", number)
        for number, d in enumerate((63, 77), start=1):
            plan_session(region, day(d), "intervision", number)
    run.expect("coord.noord@fonds.nl", "alert_repeated_no_show")
    run.expect("coord.noord@fonds.nl", "alert_company_at_risk")  # two no-shows and a late cancellation

    # A Noord workshop is scheduled, then cancelled before its reminder.
    workshop: dict[str, Session] = {}

    def schedule_workshop() -> None:
        s = p.session("Noord", day(50), ["fac-1"], "workshop")
        workshop["s"] = s
        run.expect("fac-1@begeleiding.nl", "facilitator_assignment")
        run.expect("fac-1@begeleiding.nl", "session_cancelled")
        for c in run.companies["Noord"]:
            for person in c.delegates:
                p.invite(s, c, person)
                p.register(s, c, person)
                run.expect(person.email, "session_invitation")
                run.expect(person.email, "session_cancelled")
    run.at(day(40), schedule_workshop)
    run.at(day(45), lambda: p.cancel(workshop["s"], "Te weinig aanmeldingen"))


def test_the_final_reports_programme_sends_every_mail_once_in_dutch(kafka_notifier: Notifier,  # noqa: F811
                                                                    smtp: SmtpServer) -> None:  # noqa: F811
    n = kafka_notifier
    run = Run(n, Programme(n))
    scenario(run)
    run.play()

    received = Counter((str(m["To"]).split("<")[-1].rstrip(">"), str(m["X-Progadmin-Kind"]))
                       for m in smtp.messages())
    missing, extra = run.expected - received, received - run.expected
    assert not missing and not extra, {"missing": dict(missing), "extra": dict(extra)}
    assert sum(received.values()) > 500

    messages = smtp.messages()
    assert all(m["Content-Language"] == "nl" for m in messages)
    assert not [m["Subject"] for m in messages if str(m["Subject"]).startswith(("Invitation", "Reminder", "Dear"))]
    ids = [str(m["Message-ID"]) for m in messages]
    assert len(set(ids)) == len(ids)  # each mail once

    log = n.rows("SELECT * FROM deliveries")
    sent = {f"<{r['id']}@progadmin.notifications>" for r in log if r["status"] == "sent"}
    assert sent == set(ids)  # every mail has its sent delivery, and every sent delivery arrived
    statuses = Counter(r["status"] for r in log)
    assert set(statuses) <= {"sent", "cancelled", "scheduled"}, statuses  # nothing failed or lost
    assert all(r["send_after"] > END for r in log if r["status"] == "scheduled")  # only the future is left
    reasons = Counter(r["last_error"] for r in log if r["status"] == "cancelled")
    # "invitee answered": the reminders to answer of everyone who registered or joined the waiting list in time.
    assert set(reasons) <= {"session cancelled", "company withdrew", "registration cancelled",
                            "invitee answered"}, reasons
    assert n.outbox_types().count("progadmin.notifications.NotificationSent.v1") == len(ids)

    invitations = [m for m in messages if m["X-Progadmin-Kind"] in ("session_invitation", "session_rescheduled",
                                                                   "session_cancelled", "waitlist_promotion")]
    assert all(any(part.get_content_type() == "text/calendar" for part in m.iter_attachments())
               for m in invitations)
