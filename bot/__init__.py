"""Channels: Telegram, Zalo and the terminal chat behind one interface, plus routing and access control."""
