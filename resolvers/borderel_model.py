"""A stored borderel as the read-only model handed to exporters and written to ``.dat``
(``exporters.borderel``): plain values, no ORM objects (E2, D7)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exporters import borderel as model
from storage import Borderel, BorderelLine, Collectivity, Customer, InsuredPerson, Policy, Product

_BATCH = 5_000


async def borderel_model(db: AsyncSession, borderel: Borderel) -> model.Borderel:
    """The whole borderel, lines in their stored order (family by family)."""
    collectivity = await db.get(Collectivity, borderel.collectivity_id)
    assert collectivity is not None
    customer = await db.get(Customer, collectivity.customer_id)
    assert customer is not None
    statement = (
        select(
            BorderelLine.kind,
            BorderelLine.employee_number,
            Policy.policy_number,
            InsuredPerson.relation,
            InsuredPerson.initials,
            InsuredPerson.first_name,
            InsuredPerson.name_prefix,
            InsuredPerson.last_name,
            InsuredPerson.birth_date,
            Product.code,
            Product.name,
            Product.kind,
            BorderelLine.period,
            BorderelLine.days,
            BorderelLine.gross_premium,
            BorderelLine.discount,
            BorderelLine.premium,
            BorderelLine.employer_contribution,
            BorderelLine.deduction,
        )
        .join(InsuredPerson, InsuredPerson.id == BorderelLine.insured_id)
        .join(Policy, Policy.id == InsuredPerson.policy_id)
        .join(Product, Product.id == BorderelLine.product_id)
        .where(BorderelLine.borderel_id == borderel.id)
        .order_by(BorderelLine.id)
        .execution_options(yield_per=_BATCH)
    )
    lines: list[model.BorderelLine] = []
    result = await db.stream(statement)
    async for partition in result.partitions():
        for (
            kind,
            employee_number,
            policy_number,
            relation,
            initials,
            first_name,
            name_prefix,
            last_name,
            birth_date,
            code,
            name,
            product_kind,
            period,
            days,
            gross,
            discount,
            premium,
            contribution,
            deduction,
        ) in partition:
            lines.append(
                model.BorderelLine(
                    kind=model.LineKind(kind.value),
                    employee_number=employee_number,
                    insured=model.Insured(
                        policy_number=policy_number,
                        relation=model.Relation(relation.value),
                        initials=initials,
                        first_name=first_name or None,
                        name_prefix=name_prefix or None,
                        last_name=last_name,
                        birth_date=birth_date,
                    ),
                    # Every member of a family is on the policyholder's policy.
                    policyholder_policy_number=policy_number,
                    product_code=code,
                    product_name=name,
                    product_kind=model.ProductKind(product_kind.value),
                    period=period,
                    days=days,
                    gross_premium=gross,
                    discount=discount,
                    premium=premium,
                    employer_contribution=contribution,
                    deduction=deduction,
                )
            )
    return model.Borderel(
        customer_number=customer.customer_number,
        customer_name=customer.name,
        collectivity_number=collectivity.collectivity_number,
        collectivity_name=collectivity.name,
        month=borderel.month,
        created_at=borderel.created_at,
        lines=tuple(lines),
    )
