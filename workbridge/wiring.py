"""Connect the contexts: event subscriptions and hooks. Idempotent; called by create_app()."""

from __future__ import annotations

from activation import services as activation
from activation import sms as activation_sms
from benefits import services as benefits
from benefits.events import ApplicationDecided, HouseholdChanged
from kernel.events import (
    PlacementReported,
    SmsDeliveryChanged,
    SmsOptOutChanged,
    SmsReplyReceived,
    bus,
)


def wire() -> None:
    bus.subscribe(SmsReplyReceived, activation_sms.on_sms_reply)
    bus.subscribe(SmsDeliveryChanged, activation_sms.on_sms_delivery)
    bus.subscribe(SmsOptOutChanged, activation_sms.on_sms_opt_out)
    bus.subscribe(ApplicationDecided, activation_sms.on_application_decided)
    bus.subscribe(HouseholdChanged, activation.on_household_changed)
    bus.subscribe(PlacementReported, activation.on_placement_reported)
    benefits.register_approval_check(activation.approval_check)
