"""The e-mail texts, Dutch and English: template name → language → (subject, body).

Bodies are plain text with ``{placeholders}``. Never put a password, a BSN or other personal data
beyond the recipient's own name in a mail.
"""

from __future__ import annotations

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "account_activation": {
        "nl": (
            "Activeer uw account voor het {product}",
            "Beste {name},\n\n"
            "Uw aanvraag voor een account als hoofdgebruiker is goedgekeurd. Kies via deze link\n"
            "uw wachtwoord om uw account te activeren:\n\n{link}\n\n"
            "De link werkt één keer en is {days} dagen geldig. Uw gebruikersnaam is dit\n"
            "e-mailadres.\n\nMet vriendelijke groet,\n{product}",
        ),
        "en": (
            "Activate your account for the {product}",
            "Dear {name},\n\n"
            "Your request for a main-user account has been approved. Choose your password with\n"
            "this link to activate your account:\n\n{link}\n\n"
            "The link works once and is valid for {days} days. Your username is this e-mail\n"
            "address.\n\nKind regards,\n{product}",
        ),
    },
    "account_request_rejected": {
        "nl": (
            "Uw aanvraag voor een account",
            "Beste {name},\n\n"
            "Bedankt voor uw aanvraag voor een account voor het {product}. Helaas kunnen wij\n"
            "deze aanvraag niet goedkeuren. De reden:\n\n{reason}\n\n"
            "Heeft u vragen, of wilt u een nieuwe aanvraag doen met andere gegevens? Neem dan\n"
            "gerust contact met ons op.\n\nMet vriendelijke groet,\n{product}",
        ),
        "en": (
            "Your request for an account",
            "Dear {name},\n\n"
            "Thank you for requesting an account for the {product}. Unfortunately we cannot\n"
            "approve this request. The reason:\n\n{reason}\n\n"
            "If you have questions, or want to make a new request with other details, please\n"
            "contact us.\n\nKind regards,\n{product}",
        ),
    },
    "password_reset": {
        "nl": (
            "Nieuw wachtwoord instellen",
            "Beste {name},\n\n"
            "Er is gevraagd om een nieuw wachtwoord voor uw account. Kies via deze link een\n"
            "nieuw wachtwoord:\n\n{link}\n\n"
            "De link werkt één keer en is {minutes} minuten geldig. Heeft u dit niet gevraagd?\n"
            "Dan kunt u deze e-mail negeren; uw wachtwoord blijft ongewijzigd.\n\n"
            "Met vriendelijke groet,\n{product}",
        ),
        "en": (
            "Set a new password",
            "Dear {name},\n\n"
            "A new password was requested for your account. Choose a new password with this\n"
            "link:\n\n{link}\n\n"
            "The link works once and is valid for {minutes} minutes. Did you not ask for this?\n"
            "Then ignore this e-mail; your password stays as it is.\n\n"
            "Kind regards,\n{product}",
        ),
    },
    "password_changed": {
        "nl": (
            "Uw wachtwoord is gewijzigd",
            "Beste {name},\n\n"
            "Het wachtwoord van uw account is zojuist gewijzigd. U bent op uw andere apparaten\n"
            "uitgelogd.\n\n"
            "Was u dit niet? Stel dan direct een nieuw wachtwoord in via het inlogscherm en\n"
            "neem contact met ons op.\n\nMet vriendelijke groet,\n{product}",
        ),
        "en": (
            "Your password was changed",
            "Dear {name},\n\n"
            "The password of your account was just changed. You have been logged out on your\n"
            "other devices.\n\n"
            "Was this not you? Then set a new password from the login screen at once and\n"
            "contact us.\n\nKind regards,\n{product}",
        ),
    },
    "colleague_invitation": {
        "nl": (
            "Uitnodiging voor het {product_name}",
            "Beste {name},\n\n"
            "{inviter_name} nodigt u uit als gebruiker van collectiviteit {collectivity_number}\n"
            "({collectivity_name}) in het {product_name}.\n\n"
            "Kies via deze link uw wachtwoord om uw account te activeren:\n{link}\n\n"
            "De link is {days} dagen geldig en werkt één keer. Verwachtte u deze uitnodiging\n"
            "niet? Dan kunt u deze e-mail negeren.\n\nMet vriendelijke groet,\n{product_name}",
        ),
        "en": (
            "Invitation to the {product_name}",
            "Dear {name},\n\n"
            "{inviter_name} invites you as a user of collectivity {collectivity_number}\n"
            "({collectivity_name}) in the {product_name}.\n\n"
            "Choose your password through this link to activate your account:\n{link}\n\n"
            "The link is valid for {days} days and works once. Did you not expect this\n"
            "invitation? Then you can ignore this e-mail.\n\nKind regards,\n{product_name}",
        ),
    },
    "contract_link_requested": {
        "nl": (
            "Verzoek om contracten te koppelen",
            "Beste {name},\n\n"
            "{requester_name} ({requester_email}) van collectiviteit {source_number}\n"
            "({source_name}) vraagt om uw collectiviteit {target_number} te koppelen. Na uw\n"
            "goedkeuring zien de gebruikers van {source_number} de verzekerden van\n"
            "{target_number}.\n\n"
            "Keur het verzoek goed of wijs het af onder Koppelen contracten:\n{portal_url}\n\n"
            "Kent u dit verzoek niet? Keur het dan niet goed.\n\n"
            "Met vriendelijke groet,\n{product_name}",
        ),
        "en": (
            "Request to link contracts",
            "Dear {name},\n\n"
            "{requester_name} ({requester_email}) of collectivity {source_number}\n"
            "({source_name}) asks to link your collectivity {target_number}. Once you approve,\n"
            "the users of {source_number} see the insured of {target_number}.\n\n"
            "Approve or reject the request under Link contracts:\n{portal_url}\n\n"
            "Do you not recognise this request? Then do not approve it.\n\n"
            "Kind regards,\n{product_name}",
        ),
    },
    "account_locked": {
        "nl": (
            "Uw account is tijdelijk geblokkeerd",
            "Beste {name},\n\n"
            "Na te veel mislukte inlogpogingen is uw account voor {minutes} minuten geblokkeerd.\n"
            "Was u dit niet? Stel dan uw wachtwoord opnieuw in via het inlogscherm en neem\n"
            "contact met ons op.\n\nMet vriendelijke groet,\n{product}",
        ),
        "en": (
            "Your account is temporarily locked",
            "Dear {name},\n\n"
            "After too many failed login attempts your account is locked for {minutes} minutes.\n"
            "Was this not you? Then reset your password from the login screen and contact us.\n\n"
            "Kind regards,\n{product}",
        ),
    },
    "two_factor_enabled": {
        "nl": (
            "Tweestapsverificatie ingesteld",
            "Beste {name},\n\n"
            "Voor uw account is zojuist een authenticatie-app geregistreerd{replaced}.\n"
            "Was u dit niet? Neem dan direct contact met ons op.\n\n"
            "Met vriendelijke groet,\n{product}",
        ),
        "en": (
            "Two-step verification set up",
            "Dear {name},\n\n"
            "An authenticator app was just registered for your account{replaced}.\n"
            "Was this not you? Then contact us at once.\n\nKind regards,\n{product}",
        ),
    },
    "two_factor_reset": {
        "nl": (
            "Tweestapsverificatie uitgeschakeld",
            "Beste {name},\n\n"
            "Op uw verzoek hebben wij de tweestapsverificatie van uw account uitgeschakeld,\n"
            "omdat u uw telefoon kwijt bent. Registreer na het inloggen uw nieuwe telefoon via\n"
            "Instellingen.\nHeeft u hier niet om gevraagd? Neem dan direct contact met ons op.\n\n"
            "Met vriendelijke groet,\n{product}",
        ),
        "en": (
            "Two-step verification switched off",
            "Dear {name},\n\n"
            "As you asked, we switched off two-step verification for your account because your\n"
            "phone was lost. After logging in, register your new phone in Settings.\n"
            "Did you not ask for this? Then contact us at once.\n\nKind regards,\n{product}",
        ),
    },
}
