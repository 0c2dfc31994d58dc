"""Pure rules for subjects: how identifiers are shown to people who should not see them whole."""

from __future__ import annotations

MASK_CHAR = "•"
NATIONAL_ID_VISIBLE = 2


def mask_national_id(canonical: str) -> str:
    """Show only the last two characters of a national ID number: `01019012345` -> `•••••••••45`.

    Why the last digits and not the birth date: in every Nordic scheme the leading part *is* the birth
    date (and the following digits encode sex), which is personal data in its own right and, together
    with a name, nearly identifies a person. The last two characters are check digits (NO, SE's last is
    a Luhn digit) or a serial: they tell an advisor nothing about the person yet still let a customer
    confirm "the number ending in 45". The length is kept, which reveals only the country's format.
    """
    visible = canonical[-NATIONAL_ID_VISIBLE:] if len(canonical) > NATIONAL_ID_VISIBLE else ""
    return MASK_CHAR * (len(canonical) - len(visible)) + visible


def mask_identifier(kind: str, canonical: str) -> str:
    """The form of an identifier shown in `SubjectRead`: national IDs masked, other kinds as stored.

    E-mail and phone stay readable because advisors and the privacy centre use them to reach the
    person; their reads are audited by the caller like any other personal data.
    """
    if kind == "national_id":
        return mask_national_id(canonical)
    return canonical
