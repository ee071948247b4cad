"""Issue 12: a coordinator filtering a list on another region gets 403 problem+json, not an empty 200."""

from __future__ import annotations

import pytest

from tests.integration.enrolment.support import Api

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("path", ["/api/v1/companies", "/api/v1/enrolments"])
def test_filtering_on_another_region_is_forbidden(api: Api, path: str) -> None:
    refused = api.get(f"{path}?region=Zuid", role="coordinator", regions=["Noord"])
    assert refused.status_code == 403 and refused.content_type == "application/problem+json"
    assert api.get(f"{path}?region=Noord", role="coordinator", regions=["Noord"]).status_code == 200
    assert api.get(path, role="coordinator", regions=["Noord"]).status_code == 200  # no filter: own regions
    assert api.get(f"{path}?region=Zuid").status_code == 200  # fund_admin
