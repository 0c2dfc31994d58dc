"""Context words: what the writer says a number is, and which language the message is in.

A valid fødselsnummer is also a valid account number, a Danish phone number can be any eight digits, and
an order number can pass a Luhn check. The digits cannot settle these; the words just before them can.
One regex finds every context word of every class in a single pass; each number then asks for the
nearest one that precedes it within a short window.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import StrEnum


class Ctx(StrEnum):
    PHONE = "phone"
    NATID = "natid"
    CPR = "cpr"
    ACCOUNT = "account"
    CARD = "card"
    TRACKING = "tracking"
    SE_HINT = "se_hint"
    DK_HINT = "dk_hint"
    NEG = "neg"  # the number is something else: order, invoice, KID, organisation, amount, date...


# A trailing "*" lets the word continue (kontonummer -> kontonummeret); otherwise it must end there.
_WORDS: dict[Ctx, str] = {
    Ctx.PHONE: """telefon* tlf* tel tel. mobil* mobile* phone* cell* cellphone ring ringe* ringa*
        ringer ringt*
        call* sms* text whatsapp nåes nås reach* kontaktnummer* mobiltelefon* mobilnr* telefonnr* fastnett*
        landline puhelin* numero* tlf.nr""",
    Ctx.NATID: """fødselsnummer* fødselsnr* fodselsnummer* fnr* f.nr* personnummer* personnr* pnr* personal
        person-nr* personnumret* d-nummer* dnummer* d-nr samordningsnummer* samordningsnr* personbeteckning*
        födelsenummer* ssn social identity* identitetsnummer* id-nummer* id-nr* idnummer* national hetu
        henkilötunnu* henkilötunnus* sotu syntymä* born birth""",
    Ctx.CPR: """cpr* cpr-nr* cpr-nummer* cprnr* cpr.nr* personnummeret""",
    Ctx.ACCOUNT: """konto* kontonummer* kontonr* bankkonto* kontoen account* acct* overfør* overføre* betal
        innbetal* utbetal* lønnskonto* sparekonto* brukskonto* kontot* kontonumret* clearing* reg.nr
        registreringsnummer* bankgiro* bank""",
    Ctx.CARD: """kort kortet kortnummer* kortnr* card* kredittkort* kreditkort* kredit* credit* debit* visa*
        mastercard* master bankkort* betalkort* betalingskort* dankort* amex* maestro* kortets kortnumret""",
    Ctx.TRACKING: """sporing* sporings* sendingsnummer* sending* sendingen pakke* pakken kolli*
        tracking* track*
        shipment* parcel* package* försändelse* spårning* spårnings* sändning* sändnings* forsendelse*
        pakkenummer* stregkode* sscc* consignment* kollinummer* paket* paketet* leveranse* levering*""",
    Ctx.SE_HINT: "svensk* swedish sverige* sweden",
    Ctx.DK_HINT: "dansk* danish danmark* denmark",
    Ctx.NEG: """ordre* ordrenummer* ordrenr* order* ordernummer* ordernr* bestilling* bestillings*
        beställning*
        bestilling* faktura* fakturanummer* fakturanr* invoice* kid kid-nr* kid-nummer* kidnummer*
        ocr* ocr-nummer*
        referanse* referansenummer* ref ref. ref.nr reference* referens* referencenummer*
        saksnummer* sak saken
        saksnr* ärende* ärendenummer* case* ticket* kundenummer* kundenr* kundnummer* kundnr* customer*
        medlemsnummer* medlemsnr* avtalenummer* avtalenr* polise* polisenummer* policy* forsikringsnummer*
        org org. org.nr* orgnr* org-nr* organisasjonsnummer* organisationsnummer* organisationsnr*
        cvr* cvr-nr*
        se-nr momsnummer* momsnr* vat* y-tunnus* företag* beløp* belopp* beløb* amount* sum summen total*
        pris* price* kostnad* kostar koster costs versjon* version* artikkelnummer* art.nr* varenummer* vare*
        serienummer* serial* lisens* license* licens* booking* reservasjon* bookingnummer* rom
        room* flight* fly
        postnummer* postnr* pin pin-kode* kode koden code* engangskode* otp passord* password* lösenord*
        bilag* kvittering* kvitto* receipt* transaksjon* transaction* bestillingsnummer* ordrenummeret""",
}


def _pattern(words: str) -> str:
    alts = []
    for word in sorted(set(words.split()), key=len, reverse=True):
        if word.endswith("*"):
            alts.append(re.escape(word[:-1]) + r"[\w-]*")
        else:
            alts.append(re.escape(word))
    return "|".join(alts)


_CTX_RE = re.compile(
    r"(?<![\w])(?:" + "|".join(f"(?P<{c.name}>{_pattern(w)})" for c, w in _WORDS.items()) + r")(?![\w])",
    re.IGNORECASE,
)

#: How far back (in characters) a context word still speaks for a number.
WINDOW = 48


@dataclass(slots=True)
class ContextIndex:
    """Positions of context words in one text, for nearest-preceding lookups."""

    ends: list[int]
    classes: list[Ctx]
    starts: list[int]

    @classmethod
    def build(cls, text: str) -> ContextIndex:
        ends: list[int] = []
        classes: list[Ctx] = []
        starts: list[int] = []
        for m in _CTX_RE.finditer(text):
            name = m.lastgroup
            if name is not None:
                ends.append(m.end())
                starts.append(m.start())
                classes.append(Ctx[name])
        return cls(ends, classes, starts)

    def after(self, pos: int, window: int = 24) -> Ctx | None:
        """The first context word starting after `pos` within `window` ("240378-1794 er mit cpr-nummer")."""
        i = bisect.bisect_left(self.starts, pos)
        while i < len(self.starts) and self.starts[i] - pos <= window:
            if self.classes[i] not in (Ctx.SE_HINT, Ctx.DK_HINT, Ctx.NEG):
                return self.classes[i]
            i += 1
        return None

    def country_hint(self, pos: int, window: int = WINDOW) -> Ctx | None:
        i = bisect.bisect_right(self.ends, pos) - 1
        while i >= 0 and pos - self.ends[i] <= window:
            if self.classes[i] in (Ctx.SE_HINT, Ctx.DK_HINT):
                return self.classes[i]
            i -= 1
        return None

    def before(self, pos: int, window: int = WINDOW, since: int = 0) -> Ctx | None:
        """The class of the nearest context word ending at or before `pos`, within `window` characters.

        A word that ends before `since` (the end of the previous number) spoke for that number, not this one.
        """
        i = bisect.bisect_right(self.ends, pos) - 1
        while i >= 0 and self.classes[i] in (Ctx.SE_HINT, Ctx.DK_HINT):
            i -= 1
        if i < 0 or pos - self.ends[i] > window or self.ends[i] <= since:
            return None
        return self.classes[i]

    def any_before(self, pos: int, wanted: Ctx, window: int = WINDOW) -> bool:
        i = bisect.bisect_right(self.ends, pos) - 1
        while i >= 0 and pos - self.ends[i] <= window:
            if self.classes[i] is wanted:
                return True
            i -= 1
        return False


_LANG_WORDS: dict[str, frozenset[str]] = {
    "nb": frozenset(
        [
            "jeg",
            "ikke",
            "hei",
            "mitt",
            "heter",
            "hva",
            "hvordan",
            "noen",
            "gjøre",
            "veldig",
            "mye",
            "takk",
            "kan",
            "dere",
            "ønsker",
            "trenger",
            "fått",
            "hvorfor",
            "eller",
            "også",
            "nå",
            "bare",
            "mvh",
            "hilsen",
            "vennlig",
            "skal",
            "kortet",
            "kontoen",
            "pakken",
            "min",
            "meg",
        ]
    ),
    "sv": frozenset(
        [
            "jag",
            "inte",
            "hej",
            "mitt",
            "heter",
            "vad",
            "hur",
            "någon",
            "göra",
            "mycket",
            "tack",
            "kan",
            "ni",
            "vill",
            "behöver",
            "fått",
            "varför",
            "eller",
            "också",
            "nu",
            "bara",
            "hälsningar",
            "vänliga",
            "ska",
            "kortet",
            "kontot",
            "paketet",
            "min",
            "mig",
            "och",
            "är",
        ]
    ),
    "da": frozenset(
        [
            "jeg",
            "ikke",
            "hej",
            "mit",
            "hedder",
            "hvad",
            "hvordan",
            "nogen",
            "gøre",
            "meget",
            "tak",
            "kan",
            "jer",
            "ønsker",
            "har",
            "fået",
            "hvorfor",
            "eller",
            "også",
            "nu",
            "bare",
            "venlig",
            "hilsen",
            "skal",
            "kortet",
            "kontoen",
            "pakken",
            "min",
            "mig",
            "af",
            "og",
        ]
    ),
    "en": frozenset(
        [
            "i",
            "not",
            "hello",
            "hi",
            "my",
            "name",
            "is",
            "what",
            "how",
            "some",
            "do",
            "very",
            "much",
            "thanks",
            "can",
            "you",
            "want",
            "need",
            "got",
            "why",
            "or",
            "also",
            "now",
            "just",
            "regards",
            "the",
            "and",
            "card",
            "account",
            "parcel",
            "me",
        ]
    ),
}
_WORD_RE = re.compile(r"[^\W\d_]+")


def guess_language(text: str) -> str | None:
    """A cheap guess among nb, sv, da and en by function words; None when nothing stands out."""
    scores = dict.fromkeys(_LANG_WORDS, 0)
    for w in _WORD_RE.findall(text.lower()):
        for lang, words in _LANG_WORDS.items():
            if w in words:
                scores[lang] += 1
    best = max(scores, key=lambda k: scores[k])
    top = scores[best]
    if top == 0 or sum(1 for v in scores.values() if v == top) > 1:
        return None
    return best
