import pytest
from pydantic import ValidationError

from training.schemas import OutcomeIn

BASE = {"course_id": 1, "member_id": 1, "kind": "enrolled", "on": "2026-03-01"}


@pytest.mark.parametrize("report_id", ["R-1", "2026/03:R0042", "a.b_c"])
def test_report_ids_in_the_allowed_alphabet(report_id: str) -> None:
    assert OutcomeIn.model_validate({**BASE, "report_id": report_id}).report_id == report_id


@pytest.mark.parametrize("report_id", ["with space", "报告1", "x;drop", ""])
def test_other_report_ids_are_refused(report_id: str) -> None:
    with pytest.raises(ValidationError):
        OutcomeIn.model_validate({**BASE, "report_id": report_id})
