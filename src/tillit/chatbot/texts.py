"""The bot's own sentences for actions, in every language a pack may use (nb, sv, da, en).

Topic answers come from the knowledge base, which the content writers own; these are the sentences that
carry data (a shipment's status, a balance) or explain why an action cannot run, so they live with the
code that fills them in. A missing language falls back to English rather than failing a customer's turn.
"""

from __future__ import annotations

from typing import Any

_TEXTS: dict[str, dict[str, str]] = {
    "restricted": {
        "nb": "Behandlingen av opplysningene dine er begrenset etter ønske fra deg, så chatboten kan ikke "
        "svare nå. Meldingen din er lagret. Du kan oppheve begrensningen i personvernsenteret, eller "
        "kontakte oss på telefon eller brev.",
        "sv": "Behandlingen av dina uppgifter är begränsad på din begäran, så chattboten kan inte svara nu. "
        "Ditt meddelande har sparats. Du kan häva begränsningen i integritetscentret, eller kontakta oss "
        "per telefon eller brev.",
        "da": "Behandlingen af dine oplysninger er begrænset efter dit ønske, så chatbotten kan ikke svare "
        "nu. Din besked er gemt. Du kan ophæve begrænsningen i privatlivscentret, eller kontakte os på "
        "telefon eller brev.",
        "en": "Processing of your data is restricted at your request, so the chatbot cannot answer now. "
        "Your message has been stored. You can lift the restriction in the privacy centre, or contact us "
        "by phone or letter.",
    },
    "track.ask_number": {
        "nb": "Hva er sendingsnummeret? Det står på kvitteringen eller i varselet, f.eks. CP123456785NO.",
        "sv": "Vilket är sändningsnumret? Det finns på kvittot eller i aviseringen, t.ex. CP123456785NO.",
        "da": "Hvad er forsendelsesnummeret? Det står på kvitteringen eller i beskeden, fx CP123456785NO.",
        "en": "What is the shipment number? It is on the receipt or in the notification, e.g. CP123456785NO.",
    },
    "track.invalid": {
        "nb": "Sendingsnummeret {number} ser ikke riktig ut. Kan du sjekke det og skrive det på nytt?",
        "sv": "Sändningsnumret {number} verkar inte stämma. Kan du kontrollera det och skriva det igen?",
        "da": "Forsendelsesnummeret {number} ser ikke rigtigt ud. Kan du tjekke det og skrive det igen?",
        "en": "The shipment number {number} does not look right. Could you check it and type it again?",
    },
    "track.not_found": {
        "nb": "Jeg finner ingen sending med nummeret {number}. Sjekk nummeret, eller prøv igjen senere "
        "hvis sendingen nettopp er registrert.",
        "sv": "Jag hittar ingen försändelse med numret {number}. Kontrollera numret, eller försök igen "
        "senare om försändelsen nyss registrerades.",
        "da": "Jeg kan ikke finde nogen forsendelse med nummeret {number}. Tjek nummeret, eller prøv igen "
        "senere, hvis forsendelsen lige er registreret.",
        "en": "I cannot find a shipment with the number {number}. Please check the number, or try again "
        "later if the shipment was registered just now.",
    },
    "track.status": {
        "nb": "Sending {number}: {status}{where}{when}.",
        "sv": "Försändelse {number}: {status}{where}{when}.",
        "da": "Forsendelse {number}: {status}{where}{when}.",
        "en": "Shipment {number}: {status}{where}{when}.",
    },
    "track.where": {"nb": " ({place})", "sv": " ({place})", "da": " ({place})", "en": " ({place})"},
    "track.when": {"nb": ", {date}", "sv": ", {date}", "da": ", {date}", "en": ", {date}"},
    "login.needed": {
        "nb": "For å {what} må du logge inn i chatten først. Vil du logge inn?",
        "sv": "För att {what} behöver du logga in i chatten först. Vill du logga in?",
        "da": "For at {what} skal du først logge ind i chatten. Vil du logge ind?",
        "en": "To {what} you need to log in to the chat first. Would you like to log in?",
    },
    "login.what.card_block": {
        "nb": "sperre kortet ditt",
        "sv": "spärra ditt kort",
        "da": "spærre dit kort",
        "en": "block your card",
    },
    "login.what.balance": {
        "nb": "se saldoen din",
        "sv": "se ditt saldo",
        "da": "se din saldo",
        "en": "see your balance",
    },
    "login.what.human": {
        "nb": "chatte med en rådgiver",
        "sv": "chatta med en rådgivare",
        "da": "chatte med en rådgiver",
        "en": "chat with an advisor",
    },
    "card.none": {
        "nb": "Jeg finner ingen aktive kort på deg. Ring oss hvis kortet er misbrukt.",
        "sv": "Jag hittar inga aktiva kort hos dig. Ring oss om kortet har missbrukats.",
        "da": "Jeg kan ikke finde nogen aktive kort. Ring til os, hvis kortet er misbrugt.",
        "en": "I cannot find any active cards of yours. Please call us if the card has been misused.",
    },
    "card.which": {
        "nb": "Du har flere kort: {cards}. Hvilket vil du sperre? Skriv de fire siste sifrene.",
        "sv": "Du har flera kort: {cards}. Vilket vill du spärra? Skriv de fyra sista siffrorna.",
        "da": "Du har flere kort: {cards}. Hvilket vil du spærre? Skriv de sidste fire cifre.",
        "en": "You have several cards: {cards}. Which one should be blocked? Type its last four digits.",
    },
    "card.blocked": {
        "nb": "Sperringen av kortet {card} er registrert. Kortet kan ikke brukes etter at sperringen er "
        "gjennomført. Bestill nytt kort i nettbanken.",
        "sv": "Spärren av kortet {card} är registrerad. Kortet kan inte användas när spärren är genomförd. "
        "Beställ ett nytt kort i internetbanken.",
        "da": "Spærringen af kortet {card} er registreret. Kortet kan ikke bruges, når spærringen er "
        "gennemført. Bestil et nyt kort i netbanken.",
        "en": "The block of card {card} is registered. The card cannot be used once the block is in "
        "place. Order a new card in the online bank.",
    },
    "card.already": {
        "nb": "Kortet {card} er allerede sperret.",
        "sv": "Kortet {card} är redan spärrat.",
        "da": "Kortet {card} er allerede spærret.",
        "en": "The card {card} is already blocked.",
    },
    "balance.none": {
        "nb": "Jeg finner ingen åpne kontoer på deg.",
        "sv": "Jag hittar inga öppna konton hos dig.",
        "da": "Jeg kan ikke finde nogen åbne konti.",
        "en": "I cannot find any open accounts of yours.",
    },
    "balance.list": {
        "nb": "Saldo: {accounts}.",
        "sv": "Saldo: {accounts}.",
        "da": "Saldo: {accounts}.",
        "en": "Balance: {accounts}.",
    },
    "action.unavailable": {
        "nb": "Beklager, jeg får ikke hentet opplysningene akkurat nå. Prøv igjen om litt.",
        "sv": "Tyvärr kan jag inte hämta uppgifterna just nu. Försök igen om en stund.",
        "da": "Beklager, jeg kan ikke hente oplysningerne lige nu. Prøv igen om lidt.",
        "en": "Sorry, I cannot fetch that information right now. Please try again in a moment.",
    },
}

STATUS: dict[str, dict[str, str]] = {
    "REGISTERED": {
        "nb": "registrert av avsender",
        "sv": "registrerad av avsändaren",
        "da": "registreret af afsenderen",
        "en": "registered by the sender",
    },
    "ACCEPTED": {
        "nb": "mottatt av oss",
        "sv": "mottagen av oss",
        "da": "modtaget af os",
        "en": "received by us",
    },
    "ARRIVED_TERMINAL": {
        "nb": "ankommet terminalen",
        "sv": "har anlänt till terminalen",
        "da": "ankommet til terminalen",
        "en": "arrived at the terminal",
    },
    "OUT_FOR_DELIVERY": {
        "nb": "ute for levering",
        "sv": "ute för utdelning",
        "da": "ude til omdeling",
        "en": "out for delivery",
    },
    "READY_FOR_PICKUP": {
        "nb": "klar til henting",
        "sv": "redo att hämtas",
        "da": "klar til afhentning",
        "en": "ready for pickup",
    },
    "DELIVERED": {"nb": "levert", "sv": "utlämnad", "da": "leveret", "en": "delivered"},
    "RETURNED": {
        "nb": "returnert til avsender",
        "sv": "returnerad till avsändaren",
        "da": "returneret til afsenderen",
        "en": "returned to the sender",
    },
    "in_transit": {"nb": "på vei", "sv": "på väg", "da": "på vej", "en": "in transit"},
    "ready_for_pickup": {
        "nb": "klar til henting",
        "sv": "redo att hämtas",
        "da": "klar til afhentning",
        "en": "ready for pickup",
    },
    "delivered": {"nb": "levert", "sv": "utlämnad", "da": "leveret", "en": "delivered"},
    "returned": {
        "nb": "returnert til avsender",
        "sv": "returnerad till avsändaren",
        "da": "returneret til afsenderen",
        "en": "returned to the sender",
    },
}
"""Shipment statuses (the shipment's `status`) and tracking event codes, as the customer reads them."""


def text(key: str, language: str, **values: Any) -> str:
    """The sentence `key` in `language` (English if missing), filled with `values`."""
    variants = _TEXTS[key]
    template = variants.get(language) or variants["en"]
    return template.format(**values) if values else template


def status_text(code: str, language: str) -> str:
    variants = STATUS.get(code)
    if variants is None:
        return code.replace("_", " ").lower()
    return variants.get(language) or variants["en"]
