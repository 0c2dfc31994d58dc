"""Marketing: campaigns, audiences computed at send time from consent, an outbox, the send log."""
