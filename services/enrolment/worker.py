"""`python -m services.enrolment.worker`: enrolment's outbox relay."""

from services.common.worker import main
from services.enrolment.handlers import handlers

if __name__ == "__main__":
    main("enrolment", consumes=[], handlers_factory=handlers)
