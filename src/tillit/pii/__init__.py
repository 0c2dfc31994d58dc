"""Detection and masking of personal data in free text, Nordic first."""
