"""`python -m services.notifications.worker`: notifications' relay and consumer."""

from services.common.worker import main
from services.notifications.handlers import handlers

if __name__ == "__main__":
    main("notifications", consumes=["enrolment", "sessions"], handlers_factory=handlers)
