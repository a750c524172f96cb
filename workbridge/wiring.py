"""Connect the contexts: event subscriptions and hooks. Idempotent; called by create_app()."""

from __future__ import annotations

from activation import offices as activation_offices
from activation import services as activation
from activation import sms_replies
from benefits import offices as benefit_offices
from benefits import services as benefits
from benefits.events import ApplicationDecided, HouseholdChanged
from kernel.events import (
    PlacementReported,
    SmsDeliveryChanged,
    SmsOptOutChanged,
    SmsReplyReceived,
    bus,
)
from kernel.visibility import register_resolver


def wire() -> None:
    bus.subscribe(SmsReplyReceived, sms_replies.on_sms_reply)
    bus.subscribe(SmsDeliveryChanged, sms_replies.on_sms_delivery)
    bus.subscribe(SmsOptOutChanged, sms_replies.on_sms_opt_out)
    bus.subscribe(ApplicationDecided, sms_replies.on_application_decided)
    bus.subscribe(HouseholdChanged, activation.on_household_changed)
    bus.subscribe(PlacementReported, activation.on_placement_reported)
    benefits.register_approval_check(activation.approval_check)
    for parameter, resolver in {
        **benefit_offices.RESOLVERS,
        **activation_offices.RESOLVERS,
    }.items():
        register_resolver(parameter, resolver)
