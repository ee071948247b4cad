"""`python -m services.reporting.worker`: relay, consumer of every topic, the external log's sequencer and the
webhook dispatcher.

Any number of these run in one consumer group (up to the partition count). Each runs a sequencer and a
relay too; one of each leads (advisory lock) and the others stand by.
"""

from __future__ import annotations

from services.common.worker import Loop, main, pooled
from services.reporting.handlers import handlers
from services.reporting.sequencer import Sequencer
from services.reporting.settings import ReportingSettings
from services.reporting.webhooks import Dispatcher

CONSUMES = ["enrolment", "sessions", "notifications"]


def loops(settings: ReportingSettings) -> dict[str, Loop]:
    """Reporting's own loops: the external log's sequencer and the webhook dispatcher."""
    return {"sequencer": Sequencer(settings).run,
            "webhooks": pooled(settings, "webhooks", lambda pool: Dispatcher(settings, pool).run)}


if __name__ == "__main__":
    main(ReportingSettings, CONSUMES, handlers, loops)
