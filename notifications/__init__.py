"""Notifications context: SMS templates, gateways, the outbox, delivery receipts and replies.

A leaf context: it imports only ``kernel``. Other contexts queue messages with
``notifications.services.enqueue`` inside their own transaction, and hear back through the
kernel events ``SmsReplyReceived``, ``SmsOptOutChanged`` and ``SmsDeliveryChanged``.
"""
