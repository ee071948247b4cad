"""The director's company report reaches the director (issue 15): the periodic progress mail, as the real SMTP
sink receives it, carries a signed link, and reporting's route opens that company's report from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from services.common.events import Event
from services.reporting.app import create_app
from tests.conftest import Platform
from tests.integration.notifications.conftest import Notifier, SmtpServer
from tests.integration.notifications.programme import Person, Programme
from tests.integration.notifications.test_triggers import html_of, one, text_of
from tests.integration.reporting.support import apply_all

pytestmark = pytest.mark.integration


def test_the_progress_mail_links_the_company_report_and_the_link_opens_it(db_only: Platform, notifier: Notifier,
                                                                          smtp: SmtpServer) -> None:
    # Reporting checks the link's expiry against the wall clock: the mail is sent "now", not in the fixture's past.
    notifier.clock.set(datetime.now(UTC))
    fed: list[Event] = []
    feed = notifier.feed

    def recorded(*args: Any, **kwargs: Any) -> Event:
        fed.append(feed(*args, **kwargs))
        return fed[-1]

    notifier.feed = recorded  # type: ignore[method-assign]
    p = Programme(notifier)
    noord = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    zuid = p.company("Precast Zuid BV", "Zuid", Person("Joost Peters", "joost@precastzuid.nl"))
    for company in (noord, zuid):
        p.admit(company)
    p.delegate(noord, Person("Anna de Jong", "anna@betonnoord.nl"))
    # Reporting follows the same enrolment events (through its own handlers, as its worker would).
    reporting = db_only.settings("reporting")
    with psycopg.connect(reporting.database_url, row_factory=dict_row) as conn, conn.transaction():
        apply_all(conn, reporting, fed)

    notifier.clock.advance(timedelta(days=notifier.settings.mail_digest_days, minutes=1))
    notifier.send()
    digest = one(smtp, "els@betonnoord.nl", "progress_digest")
    base = f"{notifier.settings.public_urls['reporting']}/api/v1/company-reports/"
    [url] = [w for w in text_of(digest).split() if w.startswith(base)]
    assert f'href="{url}"' in html_of(digest)  # clickable in the HTML part too
    assert "bedrijfsrapport" in text_of(digest)

    app = create_app(reporting)
    try:
        client = app.test_client()
        page = client.get(url.removeprefix(notifier.settings.public_urls["reporting"]))
        assert page.status_code == 200 and page.mimetype == "text/html"
        body = page.get_data(as_text=True)
        assert "Betonbouw Noord BV" in body and "Precast Zuid BV" not in body
        # Each director's link opens their own company only; a tampered token opens nothing.
        [other] = [w for w in text_of(one(smtp, "joost@precastzuid.nl", "progress_digest")).split()
                   if w.startswith(base)]
        assert "Precast Zuid BV" in client.get(other.removeprefix(notifier.settings.public_urls["reporting"])
                                               ).get_data(as_text=True)
        assert client.get(url.removeprefix(notifier.settings.public_urls["reporting"])[:-3] + "abc"
                          ).status_code == 404
    finally:
        app.config["POOL"].close()
