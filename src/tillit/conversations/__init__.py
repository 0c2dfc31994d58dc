"""Conversations: chat, phone, e-mail, letter and social threads, their messages, facts and handoff queue."""
