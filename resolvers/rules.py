"""The deployment's choices that business rules depend on, handed to resolvers as one object.

The server builds it from settings (``server/settings.py``); tests build it directly. Resolvers
never read the environment themselves.
"""

from __future__ import annotations

import dataclasses

from .download_links import DownloadLinks
from .email_policy import EmailPolicy
from .invoicing import BillingTerms
from .mutation_window import MutationWindow
from .password_policy import PasswordPolicy
from .throttling import MailRequestLimit, ThrottlePolicy
from .two_factor import TotpCipher


@dataclasses.dataclass(frozen=True)
class PortalRules:
    # Where the portal frontend lives: links in e-mails point there (A1, A5, A7).
    portal_url: str = "http://127.0.0.1:8080"
    # The product name shown in e-mails and as the TOTP issuer (A6).
    product_name: str = "Collectief werkgeversportaal"
    # A6: every user must use two-factor authentication (registering at first login).
    require_two_factor: bool = False
    # A6: the Fernet key that encrypts TOTP secrets at rest (COLLECTIEF_TOTP_KEY).
    totp_key: bytes | None = None
    # A4: how failed password and two-factor attempts are throttled.
    throttle: ThrottlePolicy = dataclasses.field(default_factory=ThrottlePolicy)
    # A1, A5: anonymous requests that send mail are limited per address and per recipient.
    mail_requests: MailRequestLimit = dataclasses.field(default_factory=MailRequestLimit)
    # A1: the deployment's additions to the e-mail rules (deny and allow lists).
    email_policy: EmailPolicy = dataclasses.field(default_factory=EmailPolicy)
    # A3: the minimum password length (15; lower only when 2FA is required, never below 8).
    password_policy: PasswordPolicy = dataclasses.field(default_factory=PasswordPolicy)
    # C5, C7: how far back and ahead deregistrations and moves may take effect (months).
    mutation_window: MutationWindow = dataclasses.field(default_factory=MutationWindow)
    # D8: when invoices, reminders and demands must be paid.
    billing: BillingTerms = dataclasses.field(default_factory=BillingTerms)

    # C2, F1, G5: sealed, short-lived download links (key from COLLECTIEF_SECRET_KEY).
    download_links: DownloadLinks | None = None

    def downloads(self) -> DownloadLinks:
        if self.download_links is None:
            raise RuntimeError("no secret key configured (COLLECTIEF_SECRET_KEY)")
        return self.download_links

    def totp_cipher(self) -> TotpCipher:
        if self.totp_key is None:
            raise RuntimeError("no TOTP key configured (COLLECTIEF_TOTP_KEY)")
        return TotpCipher(self.totp_key)

    def link(self, path: str, token: str) -> str:
        """A link into the portal carrying a single-use token, e.g. ``/activeren``."""
        return f"{self.portal_url.rstrip('/')}{path}#token={token}"
