"""docs/api.md keeps up with the code: every domain error code is documented (G2)."""

from __future__ import annotations

from pathlib import Path

from resolvers.errors import ErrorCode

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_g2_every_error_code_is_documented() -> None:
    text = API_DOC.read_text(encoding="utf-8")
    missing = [code.value for code in ErrorCode if f"`{code.value}`" not in text]
    assert missing == [], f"document these codes in docs/api.md: {missing}"
