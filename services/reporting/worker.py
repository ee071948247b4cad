"""`python -m services.reporting.worker`: reporting's relay and its consumer of every topic."""

from services.common.worker import main
from services.reporting.handlers import handlers

if __name__ == "__main__":
    main("reporting", consumes=["enrolment", "sessions", "notifications"], handlers_factory=handlers)
