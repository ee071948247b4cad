"""The sessions service's part of a data subject's access request: `GET /api/v1/persons/<id>/export`.

Its own tables only; enrolment's complete export (services.common.privacy.gather) calls this route in every service.
"""

from services.common.privacy import export_blueprint
from services.sessions.privacy_db import EXPORT_QUERIES

blueprint = export_blueprint("sessions", EXPORT_QUERIES)
