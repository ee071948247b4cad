"""With its database away, a service answers 503 problem+json with Retry-After (pages: an HTML page), not 500."""

from __future__ import annotations

import pytest

from deploy.infra import free_port
from services.common.config import Settings
from services.enrolment.app import create_app
from tests.support import bearer

pytestmark = pytest.mark.integration


def test_a_write_and_a_page_with_the_database_away_answer_503_with_retry_after() -> None:
    nowhere = f"postgresql://enrolment:enrolment@127.0.0.1:{free_port()}/progadmin_enrolment"
    settings = Settings.from_env("enrolment", env="test", database_url=nowhere, db_acquire_timeout_s=0.5)
    app = create_app(settings)
    try:
        client = app.test_client()
        body = {"name": "Bouwbedrijf De Vries", "kvk_number": "12345678", "region": "Noord"}
        api = client.post("/api/v1/companies", json=body, headers=bearer(settings, "fund_admin"))
        assert api.status_code == 503 and api.mimetype == "application/problem+json"
        assert api.headers["Retry-After"] == "5" and "nothing was changed" in api.get_json()["detail"]
        page = client.get("/companies", headers={**bearer(settings, "fund_admin"), "Accept": "text/html"})
        assert page.status_code == 503 and page.mimetype == "text/html"
        assert page.headers["Retry-After"] == "5"
    finally:
        app.config["POOL"].close()
