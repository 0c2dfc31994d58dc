"""The chatbot: language detection, topic classification over the pack's knowledge base, actions
(track a parcel, block a card, show a balance), fallback and handoff, optional generated answers, and
improvement samples and statistics without personal data. Other domains use `service` and `schemas`."""
