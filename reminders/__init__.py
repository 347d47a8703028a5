"""Reminders: task schedule policy, the delivery ledger and the scheduler (the deadline-reminder issue).

Deliveries go through ``bot.sender`` (the out-of-handler send path); the schedule they read is
``knowledge.tasks``.
"""
