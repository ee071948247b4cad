"""`python -m services.sessions.worker`: sessions' relay and its consumer of enrolment events."""

from services.common.worker import main
from services.sessions.handlers import handlers

if __name__ == "__main__":
    main("sessions", consumes=["enrolment"], handlers_factory=handlers)
