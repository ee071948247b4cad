"""What every progadmin service shares: the event kit and the HTTP kit."""
