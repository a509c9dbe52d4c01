"""How Dutch names are shown and sorted ("J. van Dijk"; sorted as "dijk, jan van")."""

from __future__ import annotations


def sort_name(first_name: str, name_prefix: str | None, last_name: str) -> str:
    """The lower-case sort key of a membership row: "lastname, firstname prefix" (C1).

    Dutch lists sort on the last name without its prefix ("tussenvoegsel"): Van Dijk under D.

    >>> sort_name("Jan", "van", "Dijk")
    'dijk, jan van'
    >>> sort_name("Marieke", None, "Jansen")
    'jansen, marieke'
    """
    key = f"{last_name.strip()}, {first_name.strip()}"
    prefix = (name_prefix or "").strip()
    if prefix:
        key = f"{key} {prefix}"
    return key.lower()


def display_name(initials: str, name_prefix: str | None, last_name: str) -> str:
    """Initials, prefix and last name as a letter is addressed: "J. van Dijk", "F. d'Ancona".

    >>> display_name("J.", "van", "Dijk")
    'J. van Dijk'
    >>> display_name("F.H.J.", "d'", "Ancona")
    "F.H.J. d'Ancona"
    """
    prefix = (name_prefix or "").strip()
    if prefix.endswith(("'", "’")):
        surname = prefix + last_name.strip()
    else:
        surname = f"{prefix} {last_name.strip()}".strip()
    return f"{initials.strip()} {surname}".strip()
