"""Reading a published site back: its pages parsed, its links, and the accessibility rules it keeps."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag

from governance.i18n import SUPPORTED_LOCALES


@dataclass
class Page(HTMLParser):
    """One HTML page, parsed: its tags with attributes in order, and its visible text."""

    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # element id -> text inside it
    _open: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if "id" in values and tag not in ("img", "br", "meta", "link"):
            self._open.append((tag, values["id"]))
            self.ids[values["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _tag, ident in self._open:
            self.ids[ident] += data

    @property
    def plain(self) -> str:
        """The page's text with whitespace collapsed."""
        return " ".join(" ".join(self.text).split())

    def all(self, tag: str) -> list[dict[str, str]]:
        """The attributes of every ``tag`` element, in document order."""
        return [attrs for name, attrs in self.tags if name == tag]


def read(path: Path) -> Page:
    """Parse one page of the site."""
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def local_links(site: Path, path: Path, page: Page) -> list[Path]:
    """Every page-relative link and image of a page, resolved to the file it names inside the site."""
    targets = []
    for attrs in [*page.all("a"), *page.all("link"), *page.all("img")]:
        ref = attrs.get("href") or attrs.get("src") or ""
        ref, _fragment = urldefrag(ref)
        if not ref or ref.startswith(("http://", "https://", "mailto:")):
            continue
        targets.append((path.parent / ref).resolve())
    return targets


def accessibility_problems(page: Page) -> list[str]:
    """What a page does against the site's accessibility rules (empty when it keeps them all)."""
    problems = []
    html = page.all("html")
    if not html or html[0].get("lang") not in SUPPORTED_LOCALES:
        problems.append("the <html> element has no lang govbot speaks")
    levels = [
        int(name[1]) for name, _ in page.tags if len(name) == 2 and name[0] == "h" and name[1].isdigit()
    ]
    if not levels or levels[0] != 1 or levels.count(1) != 1:
        problems.append(f"headings must start with one h1: {levels}")
    for before, after in itertools.pairwise(levels):
        if after > before + 1:
            problems.append(f"heading level jumps from h{before} to h{after}")
    for img in page.all("img"):
        if not img.get("alt", "").strip():
            problems.append(f"image {img.get('src')} has no alt text")
    skip = [a for a in page.all("a") if a.get("class") == "skip"]
    if not skip or skip[0].get("href") != "#main" or "main" not in page.ids:
        problems.append("no skip link to #main")
    tables = sum(1 for name, _ in page.tags if name == "table")
    captions = sum(1 for name, _ in page.tags if name == "caption")
    if captions != tables:
        problems.append(f"{tables} tables but {captions} captions")
    if any("scope" not in attrs for attrs in page.all("th")):
        problems.append("a table header without scope")
    if page.all("script"):
        problems.append("the page has a script")
    return problems


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour written #rrggbb."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio between two colours."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)
