"""Holds: which purpose keeps which record until when; evaluation of retention rules."""
