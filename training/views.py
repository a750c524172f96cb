"""Read models: training tables and rule results shaped into API responses."""

from __future__ import annotations

from decimal import Decimal

from kernel.money import from_fen, yuan_text
from training import rules
from training.models import Course, Enrolment, TrainingProvider
from training.schemas import (
    CourseOut,
    CourseRatesOut,
    EnrolmentOut,
    OutcomeBatchOut,
    OutcomeResultOut,
    ProviderOut,
    ProviderRatesOut,
    RatesOut,
    RowProblemOut,
    SubsidyOut,
)
from training.services import BatchResult, CourseReport


def provider_out(provider: TrainingProvider) -> ProviderOut:
    assert provider.id is not None
    return ProviderOut(id=provider.id, name=provider.name, contact=provider.contact)


def course_out(course: Course, taken: int, trades: dict[str, rules.Trade]) -> CourseOut:
    assert course.id is not None
    trade = trades.get(course.trade)
    return CourseOut(
        **course.model_dump(
            exclude={"cost_per_trainee_fen", "subsidy_per_trainee_fen", "created_by", "created_at"}
        ),
        trade_label=trade.label if trade else course.trade,
        seats_taken=taken,
        cost_per_trainee=yuan_text(from_fen(course.cost_per_trainee_fen)),
        subsidy_per_trainee=yuan_text(from_fen(course.subsidy_per_trainee_fen)),
    )


def enrolment_out(enrolment: Enrolment) -> EnrolmentOut:
    assert enrolment.id is not None
    income = enrolment.monthly_income_fen
    return EnrolmentOut(
        **enrolment.model_dump(exclude={"monthly_income_fen", "enrolled_by", "updated_at"}),
        monthly_income=None if income is None else yuan_text(from_fen(income)),
    )


def batch_out(batch: BatchResult) -> OutcomeBatchOut:
    return OutcomeBatchOut(
        accepted=batch.count("accepted"),
        replayed=batch.count("replayed"),
        rejected=batch.count("rejected"),
        results=[
            OutcomeResultOut(
                row=r.row,
                report_id=r.report_id,
                status=r.status,  # type: ignore[arg-type]
                enrolment_id=r.enrolment_id,
                enrolment_status=r.enrolment_status,
                problems=[RowProblemOut(**p.as_dict()) for p in r.problems],
            )
            for r in batch.results
        ],
    )


def _pct(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1")))


def rates_out(result: rules.Rates) -> RatesOut:
    plain = result.as_dict()
    counts = result.counts
    return RatesOut(
        **counts.__dict__,
        completion_rate_percent=plain["completion_rate_percent"],
        certification_rate_percent=plain["certification_rate_percent"],
        placement_rate_percent=plain["placement_rate_percent"],
        placed_of_enrolled_percent=_pct(counts.placed, counts.enrolled),
        accountability_review=plain["accountability_review"],
        reward=plain["reward"],
        flag=result.flags.text if result.flags else None,
        denominator=rules.PLACEMENT_DENOMINATOR,
        parameter_version=result.parameter_version,
    )


def course_rates_out(report: CourseReport) -> CourseRatesOut:
    course = report.course
    assert course.id is not None
    return CourseRatesOut(
        course_id=course.id,
        provider_id=course.provider_id,
        trade=course.trade,
        title=course.title,
        ended=report.ended,
        rates=rates_out(report.rates),
        subsidy=SubsidyOut(**report.subsidy.as_dict()),
    )


def provider_rates_out(
    provider: TrainingProvider, total: rules.Rates, reports: list[CourseReport]
) -> ProviderRatesOut:
    assert provider.id is not None
    payable = sum((r.subsidy.payable for r in reports), Decimal(0))
    return ProviderRatesOut(
        provider_id=provider.id,
        name=provider.name,
        rates=rates_out(total),
        subsidy_payable=yuan_text(payable),
        courses=[course_rates_out(r) for r in reports],
    )
