"""The root Mutation type: every mutation takes one ``input`` and returns a payload (G2)."""

from __future__ import annotations

import strawberry

from .mutations import colleagues, contract_links, session, two_factor


@strawberry.type
class Mutation:
    login: session.LoginPayload = strawberry.mutation(
        resolver=session.login,
        description="Log in with e-mail and password (A4). Wrong e-mail and wrong password give "
        "the same INVALID_CREDENTIALS.",
    )
    logout: session.LogoutPayload = strawberry.mutation(
        resolver=session.logout, description="End the current session (A8)."
    )
    invite_colleague: colleagues.InviteColleaguePayload = strawberry.mutation(
        resolver=colleagues.invite_colleague,
        description="Main user: invite a colleague by e-mail (activation link valid 7 days, A7).",
    )
    deactivate_user: colleagues.DeactivateUserPayload = strawberry.mutation(
        resolver=colleagues.deactivate_user,
        description="Main user: deactivate a colleague; their sessions end at once (A7).",
    )
    link_contract: contract_links.LinkContractPayload = strawberry.mutation(
        resolver=contract_links.link_contract,
        description="Main user: link a collectivity by customer and collectivity number (B2).",
    )
    approve_contract_link: contract_links.ApproveContractLinkPayload = strawberry.mutation(
        resolver=contract_links.approve_contract_link,
        description="Main user of the linked collectivity: approve a pending link (B2).",
    )
    unlink_contract: contract_links.UnlinkContractPayload = strawberry.mutation(
        resolver=contract_links.unlink_contract,
        description="Main user of either collectivity: remove a link; access ends at once (B2).",
    )
    verify_two_factor: session.VerifyTwoFactorPayload = strawberry.mutation(
        resolver=session.verify_two_factor,
        description="Complete a login with a code from the authenticator app (A6). Each code "
        "is accepted once; attempts are throttled like passwords (A4).",
    )
    start_two_factor_registration: two_factor.StartTwoFactorRegistrationPayload = (
        strawberry.mutation(
            resolver=two_factor.start_two_factor_registration,
            description="Register an authenticator app: returns the otpauth URI and a QR code (A6).",
        )
    )
    confirm_two_factor_registration: two_factor.ConfirmTwoFactorRegistrationPayload = (
        strawberry.mutation(
            resolver=two_factor.confirm_two_factor_registration,
            description="Confirm the app with a valid code; it replaces a previous phone (A6).",
        )
    )
    reset_two_factor: two_factor.ResetTwoFactorPayload = strawberry.mutation(
        resolver=two_factor.reset_two_factor,
        description="Staff: remove a user's authenticator when the phone is lost (A6, B4). "
        "Audited; the user is told by e-mail.",
    )
