"""Issue 12: the evaluation request says which session it is about: programme, local start time, format and place."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.notifications.conftest import START, Notifier, SmtpServer
from tests.integration.notifications.programme import admitted_with_delegate

pytestmark = pytest.mark.integration


def _request_text(smtp: SmtpServer, address: str) -> tuple[str, str]:
    [msg] = [m for m in smtp.to(address) if m["X-Progadmin-Kind"] == "evaluation_request"]
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    return str(msg["Subject"]), str(body.get_content())


@pytest.mark.parametrize("language", ["nl", "en"])
def test_two_sessions_on_one_day_are_told_apart(notifier: Notifier, smtp: SmtpServer, language: str) -> None:
    p, c, anna = admitted_with_delegate(notifier)
    if language == "en":
        anna.language = "en"
        p.delegate(c, anna)
    morning = p.session("Noord", START + timedelta(days=7), [])  # 08:00 UTC: 09:00 in Amsterdam (CET)
    evening = p.session("Noord", START + timedelta(days=7, hours=9), [], format_="online", hours=2)  # 18:00 CET
    for s in (morning, evening):
        p.register(s, c, anna)
    notifier.clock.set(START + timedelta(days=7, hours=13))
    p.attendance(morning, c, anna, "attended")
    notifier.send()
    subject, text = _request_text(smtp, "anna@betonnoord.nl")
    assert "09:00" in text and "Betonweg 1, Zwolle" in text and "Vanzelfsprekend Gezond en Veilig" in text
    assert ("maandag 9 maart 2026" if language == "nl" else "Monday 9 March 2026") in text
    assert "09:00" in subject
    p.attendance(evening, c, anna, "attended")
    notifier.send()
    bodies = [m.get_body(preferencelist=("plain",)) for m in smtp.to("anna@betonnoord.nl")
              if m["X-Progadmin-Kind"] == "evaluation_request"]
    texts = [str(b.get_content()) for b in bodies if b is not None]
    [online] = [t for t in texts if "18:00" in t]
    assert "online" in online and "Betonweg" not in online
