"""The root Mutation type: every mutation takes one ``input`` and returns a payload (G2)."""

from __future__ import annotations

import strawberry

from .mutations import (
    accounts,
    billing,
    colleagues,
    contract_links,
    exports,
    inbox,
    insured,
    premium_overview,
    session,
    two_factor,
)


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
    request_account: accounts.RequestAccountPayload = strawberry.mutation(
        resolver=accounts.request_account,
        description="Anonymous: ask for a main-user account (A1). The e-mail rules are checked "
        "and reported; whether the numbers match is not (the same answer either way).",
    )
    approve_account_request: accounts.ApproveAccountRequestPayload = strawberry.mutation(
        resolver=accounts.approve_account_request,
        description="Staff: approve a request; the main user is created INVITED and mailed a "
        "single-use activation link valid 7 days (A1). Others: FORBIDDEN.",
    )
    reject_account_request: accounts.RejectAccountRequestPayload = strawberry.mutation(
        resolver=accounts.reject_account_request,
        description="Staff: reject a request; the requester is mailed the reason (A1). Others: "
        "FORBIDDEN.",
    )
    activate_account: accounts.ActivateAccountPayload = strawberry.mutation(
        resolver=accounts.activate_account,
        description="Anonymous: choose the password with the token of an activation or "
        "invitation link (A1, A2, A7); the account becomes ACTIVE. Starts no session.",
    )
    change_password: accounts.ChangePasswordPayload = strawberry.mutation(
        resolver=accounts.change_password,
        description="Replace the own password, proving the current one (A3); the user's other "
        "sessions end.",
    )
    request_password_reset: accounts.RequestPasswordResetPayload = strawberry.mutation(
        resolver=accounts.request_password_reset,
        description="Anonymous: mail a reset link (1 hour) to an active account with this "
        "address (A5). The answer is the same for every address.",
    )
    reset_password: accounts.ResetPasswordPayload = strawberry.mutation(
        resolver=accounts.reset_password,
        description="Anonymous: set a new password with the token of a reset link (A5). Ends "
        "all the user's sessions, logs nobody in, leaves 2FA in force.",
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
    start_two_factor_registration: two_factor.StartTwoFactorRegistrationPayload = strawberry.mutation(
        resolver=two_factor.start_two_factor_registration,
        description="Register an authenticator app: returns the otpauth URI and a QR code (A6).",
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
    deregister_insured: insured.DeregisterInsuredPayload = strawberry.mutation(
        resolver=insured.deregister_insured,
        description="End the membership of an insured and chosen family members (default: the "
        "whole family) on an inclusive end date within the configured window (C5). They stay "
        "insured. Employer users only.",
    )
    change_employee_number: insured.ChangeEmployeeNumberPayload = strawberry.mutation(
        resolver=insured.change_employee_number,
        description="Add or change a policyholder's employee number, in force today only, "
        "unique among the collectivity's active members (C6). Employer users only.",
    )
    move_insured_to_collectivity: insured.MoveInsuredToCollectivityPayload = strawberry.mutation(
        resolver=insured.move_insured_to_collectivity,
        description="Move an insured and family to another collectivity in scope; both must use "
        "salary deduction; the old membership ends the day before (C7). Employer users only.",
    )
    download_insured_overview: inbox.DownloadInsuredOverviewPayload = strawberry.mutation(
        resolver=inbox.download_insured_overview,
        description="A link (5 minutes, this user only) to the insured overview as an Excel "
        "file with the given search, filter and order, every row (C2, G5).",
    )
    request_extended_insured_list: inbox.RequestExtendedInsuredListPayload = strawberry.mutation(
        resolver=inbox.request_extended_insured_list,
        description="Queue the extended insured list (addresses, coverage, tariffs) as a "
        "background job; it lands in the inbox as an Excel document (C3, F1). Employer "
        "users only (staff: FORBIDDEN).",
    )
    mark_document_read: inbox.MarkDocumentReadPayload = strawberry.mutation(
        resolver=inbox.mark_document_read,
        description="Mark an inbox document read (F1). Employer users only (staff: FORBIDDEN).",
    )
    export_premium_overview: premium_overview.ExportPremiumOverviewPayload = strawberry.mutation(
        resolver=premium_overview.export_premium_overview,
        description="A link (5 minutes, this user only) to the premium overview of a month as "
        "an Excel file with the chosen columns, every row (D6, G5). Staff too.",
    )
    run_prolongation: billing.RunProlongationPayload = strawberry.mutation(
        resolver=billing.run_prolongation,
        description="Staff: make the borderels of a month (D3) and, with acceptgiro, their "
        "invoices (D8). Idempotent: a borderel that exists is left as it is. Others: FORBIDDEN.",
    )
    register_payment: billing.RegisterPaymentPayload = strawberry.mutation(
        resolver=billing.register_payment,
        description="Staff: register a (partial) payment of an invoice, at most its balance (D8). "
        "Others: FORBIDDEN.",
    )
    download_borderel: billing.DownloadBorderelPayload = strawberry.mutation(
        resolver=billing.download_borderel,
        description="A link (5 minutes, this user only) to a borderel as a .dat file in the "
        "documented fixed-width layout (D7). Only with salary deduction.",
    )
    export_borderel: exports.ExportBorderelPayload = strawberry.mutation(
        resolver=exports.export_borderel,
        description="Convert a borderel into a payroll system's import file with an exporter "
        "(E1-E3): a link (5 minutes, this user only) and an inbox document of kind EXPORT, or "
        "the problems to fix first (e.g. insured without an employee number). The exporter and "
        "options are remembered for the collectivity. Only with salary deduction.",
    )
