"""The e-mail texts, Dutch and English: template name → language → (subject, body).

Bodies are plain text with ``{placeholders}``. Never put a password, a BSN or other personal data
beyond the recipient's own name in a mail.
"""

from __future__ import annotations

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {}
