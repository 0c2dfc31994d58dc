"""The parcel pack: Nordpost AS, a fictional postal and parcel company whose chatbot is run by a vendor.

It reproduces the Swedish chatbot notice in `shared/seeds/002_*.txt`: only the shipment number is personal
data for the bot, bot chats live one month unless the customer deletes them, advisor chats 1.5 years
(3.5 years for complaints), and the handoff queue asks for name, e-mail and phone on legitimate interests.
"""
