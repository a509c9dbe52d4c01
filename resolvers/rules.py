"""The deployment's choices that business rules depend on, handed to resolvers as one object.

The server builds it from settings (``server/settings.py``); tests build it directly. Resolvers
never read the environment themselves.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class PortalRules:
    # Where the portal frontend lives: links in e-mails point there (A1, A5, A7).
    portal_url: str = "http://127.0.0.1:8080"
    # The product name shown in e-mails and as the TOTP issuer (A6).
    product_name: str = "Collectief werkgeversportaal"
    # A6: every user must use two-factor authentication (registering at first login).
    require_two_factor: bool = False

    def link(self, path: str, token: str) -> str:
        """A link into the portal carrying a single-use token, e.g. ``/activeren``."""
        return f"{self.portal_url.rstrip('/')}{path}#token={token}"
