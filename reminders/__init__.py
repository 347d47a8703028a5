"""Reminders: policy, planner, ledger and scheduler; deliveries go through the ``Notifier`` port."""
