"""Notifications: WeChat subscribe messages and the in-app message list, written to an outbox in the
same transaction as the change that causes them and delivered by the worker."""
