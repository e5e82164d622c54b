"""docs/import-format.md shows exactly the column spec in silian.io.columns."""

from __future__ import annotations

from pathlib import Path

from silian.io.columns import KINDS, marker, render_markdown, update_docs

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"


def test_docs_tables_match_the_column_spec() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind in KINDS:
        start, end = marker(kind)
        assert f"{start}\n{render_markdown(kind)}\n{end}" in text, (
            f"docs/import-format.md is out of date for {kind}; "
            "run: python -m silian.io.columns docs/import-format.md"
        )
    assert update_docs(text) == text


def test_every_column_has_meaning_and_example() -> None:
    from silian.io.columns import columns_for

    for kind in KINDS:
        for col in columns_for(kind):
            assert col.meaning and col.example and col.accepted(), col.header
