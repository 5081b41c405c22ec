"""Every relative link and every #anchor of README.md and docs/*.md resolves.

A link to a file must name a file or folder of the repository (one that git does not ignore, so that
a fresh clone has it too); an anchor (`#the-recipe`, or `real-footage.md#the-recipe`) must be the
slug that GitHub gives one of the headings of that page: lowercase, spaces to '-', punctuation other
than '-' and '_' removed, and a second heading with the same slug gets '-1', a third '-2'. Links to
web addresses are not followed (the tests run offline).
"""

import re
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
INLINE_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_LINK = re.compile(r"""<(?:a|img)\s[^>]*?(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
HTML_ANCHOR = re.compile(r"""<a\s[^>]*?(?:name|id)\s*=\s*["']([^"']+)["']""", re.I)
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*:|//)", re.I)


def prose_lines(text: str):
    """(line number, line) of the lines outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def heading_text(markdown: str) -> str:
    """The text a heading shows: code spans without backticks, links and images by their text, no HTML."""
    text = CODE_SPAN.sub(lambda m: m.group(2).strip(), markdown)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    return text.strip()


def slug(heading: str) -> str:
    """GitHub's anchor for a heading (as github-slugger makes it), before duplicates are numbered."""
    kept = "".join(c for c in heading_text(heading).lower()
                   if c.isalnum() or c in " -_" or unicodedata.category(c).startswith("M"))
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor of a page: its headings' slugs, numbered as GitHub numbers repeats, and HTML anchors."""
    seen: dict[str, int] = {}
    found = set()
    previous = ""
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        heading = None
        if m := ATX_HEADING.match(line):
            heading = m.group(2)
        elif SETEXT_UNDERLINE.match(line) and previous.strip() and not ATX_HEADING.match(previous) \
                and not previous.lstrip().startswith(("|", "-", "*", ">")):
            heading = previous
        if heading is not None:
            base = slug(heading)
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        found.update(HTML_ANCHOR.findall(line))
        previous = line
    return found


def links(path: Path):
    """(line number, target) of every link of a page outside code blocks and code spans."""
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        line = CODE_SPAN.sub("", line)
        targets = [m.group(2) for m in INLINE_LINK.finditer(line)]
        targets += REFERENCE_DEFINITION.findall(line) + HTML_LINK.findall(line)
        for target in targets:
            yield number, target.strip("<>")


def ignored_by_git(path: Path) -> bool:
    """Whether git ignores the path (so that a fresh clone would not have it); False without git."""
    try:
        result = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, capture_output=True)
    except OSError:
        return False
    return result.returncode == 0


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """'page:line: target (why)' for every relative link or anchor of the page that does not resolve."""
    problems = []
    for number, target in links(page):
        if SCHEME.match(target):
            continue  # a web address, mailto: and the like
        file_part, _, anchor = target.partition("#")
        file_part = unquote(file_part.split("?")[0])
        if file_part:
            base = root if file_part.startswith("/") else page.parent
            destination = (base / file_part.lstrip("/")).resolve()
        else:
            destination = page
        where = f"{page.relative_to(root)}:{number}: {target}"
        if root.resolve() not in (destination, *destination.parents):
            problems.append(f"{where} (outside the repository)")
        elif not destination.exists():
            problems.append(f"{where} (no such file)")
        elif ignored_by_git(destination):
            problems.append(f"{where} (git ignores it: a fresh clone does not have it)")
        elif anchor and destination.suffix == ".md" and unquote(anchor) not in anchors(destination):
            problems.append(f"{where} (no heading of {destination.name} has the anchor #{anchor})")
    return problems


def test_slugs_are_githubs():
    assert slug("Quickstart") == "quickstart"
    assert slug("01: faces") == "01-faces"
    assert slug("03 and 04: training") == "03-and-04-training"
    assert slug("Celeb-DF (v1, v2)") == "celeb-df-v1-v2"
    assert slug("Cross-dataset: train on one, test on another") == "cross-dataset-train-on-one-test-on-another"
    assert slug("`--pseudo-fakes` and *snake_case*") == "--pseudo-fakes-and-snake_case"
    assert slug("[Real footage](docs/real-footage.md)!") == "real-footage"
    assert slug("Ünïcode façade") == "ünïcode-façade"


def test_repeated_headings_are_numbered(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Results\n\n## Results\n\n```\n# not a heading\n```\n\n### Results\n\nSetext\n------\n")
    assert anchors(page) == {"results", "results-1", "results-2", "setext"}


def test_a_broken_link_is_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## A part\n")
    page = tmp_path / "README.md"
    page.write_text("# Top\n\n"
                    "[fine](docs/other.md) [fine](docs/other.md#a-part) [fine](#top) [web](https://example.org/x)\n"
                    "[gone](docs/missing.md) [no anchor](docs/other.md#b-part) [no anchor here](#bottom)\n"
                    "`[in code](nowhere.md)`\n\n```\n[in a block](nowhere.md)\n```\n"
                    "[ref]: docs/absent.md\n")
    assert broken_links(page, root=tmp_path) == [
        "README.md:4: docs/missing.md (no such file)",
        "README.md:4: docs/other.md#b-part (no heading of other.md has the anchor #b-part)",
        "README.md:4: #bottom (no heading of README.md has the anchor #bottom)",
        "README.md:10: docs/absent.md (no such file)",
    ]


def test_there_are_docs_to_check():
    assert len(PAGES) > 1 and all(page.is_file() for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve(page):
    problems = broken_links(page)
    assert not problems, "broken links:\n" + "\n".join(problems)
