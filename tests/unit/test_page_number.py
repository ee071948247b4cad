"""`?page=` on every list page: nonsense is page 1, a number past the end is the last page, never a 500."""

from __future__ import annotations

import pytest
from flask import Flask

from services.common.pages import MAX_PAGE, page_number


@pytest.mark.parametrize(("given", "page"), [
    (None, 1), ("", 1), ("1", 1), ("7", 7), ("007", 7), ("0", 1), ("000", 1), ("-3", 1), ("+5", 1), (" 5", 1),
    ("5.0", 1), ("abc", 1), ("²", 1), ("٣", 1), ("１２", 1), (str(MAX_PAGE + 1), MAX_PAGE),
    ("9" * 5000, MAX_PAGE), ("0" * 5000, 1), ("0" * 20 + "4", 4),
])
def test_page_number_reads_only_plain_digits(given: str | None, page: int) -> None:
    app = Flask(__name__)
    query = {} if given is None else {"page": given}
    with app.test_request_context("/", query_string=query):
        assert page_number() == page
