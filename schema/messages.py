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
    "FORBIDDEN": {
        "nl": "U heeft geen toestemming voor deze handeling.",
        "en": "You are not allowed to do this.",
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
    "INVALID_FILTER": {
        "nl": "Dit filter is onvolledig of dubbelzinnig: geef precies één voorwaarde op.",
        "en": "This filter is incomplete or ambiguous: give exactly one condition.",
    },
    "INVALID_DATE_RANGE": {
        "nl": "De begindatum ligt na de einddatum.",
        "en": "The start date is after the end date.",
    },
    "BSN_INVALID": {
        "nl": "Dit is geen geldig burgerservicenummer (BSN).",
        "en": "This is not a valid citizen service number (BSN).",
    },
    "TOO_MANY_ATTEMPTS": {
        "nl": "Te veel mislukte pogingen. Wacht even en probeer het dan opnieuw.",
        "en": "Too many failed attempts. Wait a moment and try again.",
    },
    "ACCOUNT_LOCKED": {
        "nl": "Uw account is tijdelijk geblokkeerd na te veel mislukte pogingen. "
        "Probeer het over een kwartier opnieuw, of stel uw wachtwoord opnieuw in.",
        "en": "Your account is temporarily locked after too many failed attempts. "
        "Try again in a quarter of an hour, or reset your password.",
    },
    "INVALID_TWO_FACTOR_CODE": {
        "nl": "De code is onjuist of al gebruikt. Voer de nieuwste code uit uw app in.",
        "en": "The code is incorrect or was used already. Enter the newest code from your app.",
    },
    "TWO_FACTOR_CODE_REQUIRED": {
        "nl": "Voer een code in uit de app op uw huidige telefoon.",
        "en": "Enter a code from the app on your current phone.",
    },
    "TWO_FACTOR_NOT_STARTED": {
        "nl": "Start eerst de registratie van uw apparaat.",
        "en": "Start registering your device first.",
    },
    "TWO_FACTOR_CHALLENGE_INVALID": {
        "nl": "Deze inlogpoging is verlopen. Log opnieuw in.",
        "en": "This login attempt has expired. Please log in again.",
    },
    "TWO_FACTOR_REGISTRATION_REQUIRED": {
        "nl": "Registreer eerst een authenticatie-app; tweestapsverificatie is verplicht.",
        "en": "Register an authenticator app first; two-step verification is required.",
    },
    "INVALID_CREDENTIALS": {
        "nl": "Het e-mailadres of het wachtwoord is onjuist.",
        "en": "The e-mail address or the password is incorrect.",
    },
    "VALUE_REQUIRED": {
        "nl": "Vul dit veld in.",
        "en": "Please fill in this field.",
    },
    "VALUE_TOO_LONG": {
        "nl": "Dit veld mag ten hoogste {maximum} tekens bevatten.",
        "en": "This field may hold at most {maximum} characters.",
    },
    "EMAIL_INVALID": {
        "nl": "Dit is geen geldig e-mailadres.",
        "en": "This is not a valid e-mail address.",
    },
    "EMAIL_FREE_MAIL_DOMAIN": {
        "nl": "Gebruik het e-mailadres van uw organisatie. Adressen van gratis e-maildiensten en "
        "internetproviders (zoals {domain}) worden niet geaccepteerd.",
        "en": "Use your organisation's e-mail address. Addresses of free e-mail services and "
        "internet providers (such as {domain}) are not accepted.",
    },
    "EMAIL_NOT_PERSONAL": {
        "nl": "Gebruik uw persoonlijke e-mailadres, niet dat van een afdeling of functie "
        "(zoals info@, hr@ of salarisadministratie@).",
        "en": "Use your personal e-mail address, not that of a department or role "
        "(such as info@, hr@ or payroll@).",
    },
    "EMAIL_IN_USE": {
        "nl": "Er bestaat al een account met dit e-mailadres.",
        "en": "An account with this e-mail address already exists.",
    },
    "ACCOUNT_REQUEST_DECIDED": {
        "nl": "Over deze aanvraag is al beslist.",
        "en": "This request has already been decided.",
    },
    "COLLECTIVITY_MISMATCH": {
        "nl": "Het klantnummer en het collectiviteitsnummer van deze aanvraag horen niet bij "
        "elkaar. Wijs de aanvraag af.",
        "en": "The customer number and the collectivity number of this request do not belong "
        "together. Reject the request.",
    },
    "MAIN_USER_EXISTS": {
        "nl": "Deze collectiviteit heeft al een hoofdgebruiker.",
        "en": "This collectivity already has a main user.",
    },
    "PASSWORD_TOO_SHORT": {
        "nl": "Kies een wachtwoord van ten minste {minimum} tekens. Een zin van een paar woorden "
        "is sterk en goed te onthouden.",
        "en": "Choose a password of at least {minimum} characters. A sentence of a few words is "
        "strong and easy to remember.",
    },
    "PASSWORD_TOO_LONG": {
        "nl": "Kies een wachtwoord van ten hoogste {maximum} tekens.",
        "en": "Choose a password of at most {maximum} characters.",
    },
    "PASSWORD_TOO_COMMON": {
        "nl": "Dit wachtwoord wordt veel gebruikt of is bekend uit datalekken. Kies een ander.",
        "en": "This password is commonly used or known from data breaches. Choose another.",
    },
    "PASSWORD_CONTAINS_EMAIL": {
        "nl": "Het wachtwoord mag uw e-mailadres (het deel voor de @) niet bevatten.",
        "en": "The password must not contain your e-mail address (the part before the @).",
    },
    "CURRENT_PASSWORD_INCORRECT": {
        "nl": "Uw huidige wachtwoord is onjuist.",
        "en": "Your current password is incorrect.",
    },
    "TOKEN_INVALID": {
        "nl": "Deze link is ongeldig, verlopen of al gebruikt. Vraag een nieuwe aan.",
        "en": "This link is invalid, has expired or has been used already. Please ask for a new one.",
    },
    "CANNOT_DEACTIVATE_SELF": {
        "nl": "U kunt uw eigen account niet deactiveren.",
        "en": "You cannot deactivate your own account.",
    },
    "CANNOT_DEACTIVATE_MAIN_USER": {
        "nl": "Alleen gebruikers (collega's) kunnen worden gedeactiveerd, geen hoofdgebruiker.",
        "en": "Only colleagues can be deactivated, not a main user.",
    },
    "USER_ALREADY_DEACTIVATED": {
        "nl": "Deze gebruiker is al gedeactiveerd.",
        "en": "This user has already been deactivated.",
    },
    "LANGUAGE_NOT_SUPPORTED": {
        "nl": "Kies nl (Nederlands) of en (Engels).",
        "en": "Choose nl (Dutch) or en (English).",
    },
    "LINK_TARGET_NOT_FOUND": {
        "nl": "Er is geen collectiviteit met dit klantnummer en collectiviteitsnummer.",
        "en": "There is no collectivity with this customer number and collectivity number.",
    },
    "CANNOT_LINK_TO_SELF": {
        "nl": "U kunt een collectiviteit niet aan zichzelf koppelen.",
        "en": "A collectivity cannot be linked to itself.",
    },
    "ALREADY_LINKED": {
        "nl": "Dit contract is al gekoppeld of de koppeling wacht op goedkeuring.",
        "en": "This contract is already linked, or the link is awaiting approval.",
    },
    "LINK_NOT_PENDING": {
        "nl": "Deze koppeling wacht niet (meer) op goedkeuring.",
        "en": "This link is not awaiting approval.",
    },
    "JOB_FAILED": {
        "nl": "Het maken van dit bestand is mislukt. Probeer het later opnieuw.",
        "en": "Making this file failed. Please try again later.",
    },
    "LINK_EXPIRED": {
        "nl": "Deze downloadlink is verlopen. Vraag het bestand opnieuw op.",
        "en": "This download link has expired. Please ask for the file again.",
    },
    "DETAILS_NEED_SALARY_DEDUCTION": {
        "nl": "Details van verzekerden zijn alleen beschikbaar bij collectiviteiten met "
        "inhouding op het salaris.",
        "en": "Details of insured persons are only available for collectivities with salary "
        "deduction.",
    },
    "CONCURRENT_CHANGE": {
        "nl": "Deze verzekerde is zojuist door iemand anders gewijzigd. Er is niets aangepast; "
        "bekijk de gegevens opnieuw en probeer het nog eens.",
        "en": "Someone else changed this insured person a moment ago. Nothing was changed; "
        "reload the details and try again.",
    },
    "END_DATE_BEFORE_START": {
        "nl": "De einddatum ligt vóór het begin van het lidmaatschap ({start_date}).",
        "en": "The end date is before the start of the membership ({start_date}).",
    },
    "END_DATE_OUT_OF_RANGE": {
        "nl": "Kies een einddatum van {earliest} tot en met {latest}.",
        "en": "Choose an end date from {earliest} up to and including {latest}.",
    },
    "ALREADY_DEREGISTERED": {
        "nl": "Deze verzekerde is al afgemeld uit de collectiviteit (einddatum {end_date}).",
        "en": "This insured person has already been deregistered from the collectivity "
        "(end date {end_date}).",
    },
    "MEMBERSHIP_ENDED": {
        "nl": "Het lidmaatschap van deze verzekerde is beëindigd op {end_date}.",
        "en": "This insured person's membership ended on {end_date}.",
    },
    "EMPLOYEE_NUMBER_NOT_TODAY": {
        "nl": "Een personeelsnummer kan alleen met ingang van vandaag ({today}) worden vastgelegd.",
        "en": "An employee number can only be recorded with effect from today ({today}).",
    },
    "EMPLOYEE_NUMBER_ONLY_FOR_POLICYHOLDER": {
        "nl": "Alleen een verzekeringnemer heeft een personeelsnummer, geen medeverzekerde.",
        "en": "Only a policyholder has an employee number, not a co-insured family member.",
    },
    "EMPLOYEE_NUMBER_INVALID": {
        "nl": "Een personeelsnummer bestaat uit letters, cijfers en eventueel . - / _ en begint "
        "met een letter of cijfer.",
        "en": "An employee number consists of letters, digits and optionally . - / _, and "
        "starts with a letter or digit.",
    },
    "EMPLOYEE_NUMBER_UNCHANGED": {
        "nl": "Dit is al het personeelsnummer van deze verzekerde.",
        "en": "This already is the insured person's employee number.",
    },
    "EMPLOYEE_NUMBER_TAKEN": {
        "nl": "Dit personeelsnummer is al in gebruik bij een ander actief lid van de "
        "collectiviteit.",
        "en": "This employee number is already used by another active member of the collectivity.",
    },
    "MOVE_NEEDS_SALARY_DEDUCTION": {
        "nl": "Overzetten kan alleen tussen collectiviteiten die allebei inhouding op het "
        "salaris hebben.",
        "en": "Moving is only possible between collectivities that both use salary deduction.",
    },
    "MOVE_TO_SAME_COLLECTIVITY": {
        "nl": "Kies een andere collectiviteit dan de huidige.",
        "en": "Choose a collectivity other than the current one.",
    },
    "EFFECTIVE_DATE_OUT_OF_RANGE": {
        "nl": "Kies een ingangsdatum van {earliest} tot en met {latest}.",
        "en": "Choose an effective date from {earliest} up to and including {latest}.",
    },
    "EFFECTIVE_DATE_BEFORE_START": {
        "nl": "De ingangsdatum moet na het begin van het lidmaatschap ({start_date}) liggen.",
        "en": "The effective date must be after the start of the membership ({start_date}).",
    },
    "ALREADY_IN_COLLECTIVITY": {
        "nl": "Deze verzekerde is in die periode al lid van de andere collectiviteit.",
        "en": "This insured person is already a member of the other collectivity in that period.",
    },
    # Premiums (D2-D6).
    "INVALID_MONTH": {
        "nl": "Geef een maand op als JJJJ-MM, bijvoorbeeld 2026-11.",
        "en": "Give a month as YYYY-MM, for example 2026-11.",
    },
    "MONTH_OUT_OF_RANGE": {
        "nl": "Deze maand ligt te ver in de toekomst: kies uiterlijk de komende maand.",
        "en": "This month is too far ahead: choose the coming month at the latest.",
    },
    "MONTH_BEFORE_CONTRACT": {
        "nl": "Deze maand ligt vóór het eerste contract van de collectiviteit.",
        "en": "This month is before the collectivity's first contract.",
    },
    "MONTH_WITHOUT_CONTRACT": {
        "nl": "De collectiviteit heeft voor deze maand geen contract.",
        "en": "The collectivity has no contract for this month.",
    },
    "TARIFF_MISSING": {
        "nl": "Voor product {product} is nog geen tarief voor {year} vastgelegd.",
        "en": "No tariff for {year} has been recorded for product {product} yet.",
    },
    "INVALID_COLUMN": {
        "nl": "Kies elke kolom één keer uit de aangeboden kolommen; {column} kan niet.",
        "en": "Choose each column once from the offered columns; {column} cannot be used.",
    },
    # Borderels and invoices (D3-D8).
    "BORDEREL_NEEDS_SALARY_DEDUCTION": {
        "nl": "Borderels zijn er alleen voor collectiviteiten met inhouding op het salaris.",
        "en": "Borderels exist only for collectivities with salary deduction.",
    },
    "BORDEREL_NOT_MADE": {
        "nl": "Voor deze maand is (nog) geen borderel gemaakt.",
        "en": "No borderel has been made for this month (yet).",
    },
    "PAYMENT_NOT_POSITIVE": {
        "nl": "Een betaling moet meer dan € 0,00 zijn.",
        "en": "A payment must be more than €0.00.",
    },
    "PAYMENT_EXCEEDS_BALANCE": {
        "nl": "De betaling is hoger dan het openstaande bedrag ({balance}).",
        "en": "The payment is more than the balance due ({balance}).",
    },
    "PAYMENT_DATE_IN_FUTURE": {
        "nl": "De betaaldatum mag niet in de toekomst liggen.",
        "en": "The payment date cannot be in the future.",
    },
    # Payroll exports (E1-E3).
    "EXPORTER_UNKNOWN": {
        "nl": "Er is geen exportformaat {exporter}. Kies een van de formaten uit exporters.",
        "en": "There is no export format {exporter}. Choose one of the formats in exporters.",
    },
    "EXPORT_OPTIONS_INVALID": {
        "nl": "Exportformaat {exporter}, optie {option}: {reason}",
        "en": "Export format {exporter}, option {option}: {reason}",
    },
    "EXPORT_FAILED": {
        "nl": "Het exportformaat {exporter} kon het bestand niet maken; er is niets opgeslagen. "
        "Probeer het later opnieuw of kies een ander formaat.",
        "en": "The export format {exporter} could not make the file; nothing was stored. "
        "Try again later or choose another format.",
    },
    "EMPLOYEE_NUMBER_MISSING": {
        "nl": "{name} (polis {policy_number}) heeft geen werknemersnummer; vul het aan en "
        "exporteer opnieuw.",
        "en": "{name} (policy {policy_number}) has no employee number; add it and export again.",
    },
    "EXPORT_PROBLEM": {
        "nl": "Exportformaat {exporter} kan dit borderel niet exporteren: {detail}",
        "en": "Export format {exporter} cannot export this borderel: {detail}",
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
