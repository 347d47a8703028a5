"""Shared words of the domain: task statuses and user roles (stored values and their Vietnamese labels)."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

# Task statuses as stored; "quá hạn" is derived from the due date, never stored.
TODO = "chưa làm"
IN_PROGRESS = "đang làm"
DONE = "hoàn thành"
STATUSES = (TODO, IN_PROGRESS, DONE)
OVERDUE = "quá hạn"

# User roles, from least to most privileged.
OFFICIAL = "official"
LEADER = "leader"
ADMIN = "admin"
ROLES = (OFFICIAL, LEADER, ADMIN)
ROLE_LABELS = {OFFICIAL: "công chức", LEADER: "lãnh đạo", ADMIN: "quản trị viên"}
