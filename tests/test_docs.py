"""The project documents itself: every relative link in the README, the newcomer's guide and docs/ leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_in_a_clone(page: Path) -> None:
    broken = []
    for link in LINK.findall(page.read_text(encoding="utf-8")):
        path = link.split("#", 1)[0]
        if not path or re.match(r"[a-z]+:", path):  # an anchor on the same page, or a web address
            continue
        if not (page.parent / path).exists():
            broken.append(link)
    assert not broken, f"{page.name} links to what a clone does not have: {broken}"


def test_nothing_points_at_the_founders_notes_outside_the_project() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in PAGES)
    assert "../shared" not in text
