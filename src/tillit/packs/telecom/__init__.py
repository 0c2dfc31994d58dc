"""The telecom pack: Nordtel A/S, a fictional Danish mobile operator.

It reproduces the Danish notice in `shared/seeds/004_*.txt`: data given by the customer, collected by the
network and obtained from credit bureaus; statutory logging of location data for one year, seen only by
security-cleared staff and disclosed to the police only on a court order; marketing only with consent,
consents documented until two years after their last use; service messages that survive an opt-out.
"""
