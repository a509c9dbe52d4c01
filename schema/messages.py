"""The message catalogue (G6): Dutch by default, English on request. Codes never change with language."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

MESSAGES: dict[str, dict[str, str]] = {
    "UNAUTHENTICATED": {
        "nl": "U bent niet ingelogd of uw sessie is verlopen. Log opnieuw in.",
        "en": "You are not logged in or your session has expired. Please log in again.",
    },
    "NOT_FOUND": {
        "nl": "Niet gevonden.",
        "en": "Not found.",
    },
    "INVALID_CURSOR": {
        "nl": "De cursor is ongeldig. Begin opnieuw bij de eerste pagina.",
        "en": "The cursor is not valid. Start again from the first page.",
    },
    "PAGE_SIZE_OUT_OF_RANGE": {
        "nl": "Vraag tussen 1 en {maximum} regels per pagina op.",
        "en": "Ask for between 1 and {maximum} rows per page.",
    },
    "TOO_MANY_IDS": {
        "nl": "Vraag ten hoogste {maximum} objecten tegelijk op.",
        "en": "Ask for at most {maximum} objects at once.",
    },
    "INVALID_CREDENTIALS": {
        "nl": "Het e-mailadres of het wachtwoord is onjuist.",
        "en": "The e-mail address or the password is incorrect.",
    },
    "INTERNAL_SERVER_ERROR": {
        "nl": "Er ging iets mis aan onze kant. Probeer het later opnieuw (referentie {reference}).",
        "en": "Something went wrong on our side. Please try again later (reference {reference}).",
    },
    "QUERY_TOO_COMPLEX": {
        "nl": "De opdracht is te groot of te diep genest: {detail}",
        "en": "The operation is too large or too deeply nested: {detail}",
    },
    "GRAPHQL_PARSE_FAILED": {
        "nl": "De opdracht is geen geldige GraphQL: {detail}",
        "en": "The operation is not valid GraphQL: {detail}",
    },
    "GRAPHQL_VALIDATION_FAILED": {
        "nl": "De opdracht past niet bij het schema: {detail}",
        "en": "The operation does not match the schema: {detail}",
    },
    "METHOD_NOT_ALLOWED": {
        "nl": "Deze HTTP-methode is hier niet toegestaan: {detail}",
        "en": "This HTTP method is not allowed here: {detail}",
    },
    "REQUEST_TOO_LARGE": {
        "nl": "Het verzoek is te groot.",
        "en": "The request is too large.",
    },
    "ROUTE_NOT_FOUND": {
        "nl": "Dit adres bestaat niet.",
        "en": "There is nothing at this address.",
    },
    "SERVICE_UNAVAILABLE": {
        "nl": "De dienst is tijdelijk niet beschikbaar. Probeer het zo opnieuw (referentie {reference}).",
        "en": "The service is temporarily unavailable. Please try again shortly (reference {reference}).",
    },
    "BAD_REQUEST": {
        "nl": "Het verzoek is ongeldig: {detail}",
        "en": "The request is not valid: {detail}",
    },
}


def message(code: str, language: str, **params: Any) -> str:
    """The text for ``code`` in ``language``; unknown codes fall back to the code itself."""
    texts = MESSAGES.get(code)
    if texts is None:
        return code
    template = texts.get(language) or texts[DEFAULT_LANGUAGE]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


def negotiate_language(accept_language: str | None) -> str:
    """Pick ``nl`` or ``en`` from an Accept-Language header by quality; Dutch when unsure (G6)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        q -= position * 1e-6  # equal quality: the first listed wins
        if q > best_q:
            best, best_q = primary, q
    return best
