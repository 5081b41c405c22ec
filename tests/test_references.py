"""Every pointer to a section of the README or of docs/ leads somewhere: in the scripts, common.py,
the notebook, the paper's and slides' sources and the other README files, a reference such as
`docs/real-footage.md, "The recipe"` (or `README, 'Shipped weights'`, `README's *...*`, LaTeX's
``...'') names a heading that the page has, and the Markdown links of the notebook and of the
README files under paper/, weights/ and models/ resolve. Sections move (the README's long parts
went to docs/); this test is what keeps the pointers to them from dangling.
"""

import json
import re

import pytest
from conftest import ROOT
from test_links import SCHEME, anchors, broken_links, links, slug

# A page, optionally "'s" and a comma, optionally "section", then the section's name in quotes:
# "...", '...', *...* (Markdown), ``...'' (LaTeX) or “...”. \texttt{docs/x.md} counts as the page.
REFERENCE = re.compile(
    r"(README(?:\.md)?|(?:\.\./)?docs/[\w-]+\.md)\}?(?:'s)?,?\s+(?:sections?\s+)?"
    r"(?:\"([^\"\n]{2,80}?)\"|'([^'\n]{2,80}?)'|\*([^*\n]{2,80}?)\*|``([^'\n]{2,80}?)''|“([^”\n]{2,80}?)”)")

SOURCES = sorted([*ROOT.glob("0*.py"), ROOT / "common.py", *ROOT.glob("benchmarks/*.py"), *ROOT.glob("paper/*.py"),
                  *ROOT.glob("paper/*.tex"), *ROOT.glob("slides/*.tex"), *ROOT.glob("notebooks/*.ipynb"),
                  *ROOT.glob("*/README.md")])
OTHER_PAGES = sorted(ROOT.glob("*/README.md"))


def text_of(path) -> str:
    """The file's text, lines joined (a reference may break across lines of a docstring or a comment);
    for a notebook, its cells' sources."""
    if path.suffix == ".ipynb":
        text = "\n".join("".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"])
    else:
        text = path.read_text(encoding="utf-8")
    return re.sub(r"\s*\n\s*(?:#+\s*|%+\s*)?", " ", text)


def dangling(path, root=ROOT) -> list[str]:
    """'file: page, "section"' for every reference in the file to a section its page does not have."""
    problems = []
    for m in REFERENCE.finditer(text_of(path)):
        page = root / ("README.md" if m.group(1).startswith("README") else m.group(1).lstrip("./"))
        section = next(g for g in m.groups()[1:] if g)
        if not page.is_file():
            problems.append(f"{path.relative_to(root)}: {m.group(1)} (no such page)")
        elif slug(section) not in anchors(page):
            problems.append(f"{path.relative_to(root)}: {m.group(1)}, {section!r} (no such heading)")
    return problems


def test_a_dangling_reference_is_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# Top\n\n## Shipped weights\n")
    (tmp_path / "docs" / "real-footage.md").write_text("# Real footage\n\n## The recipe\n")
    script = tmp_path / "05_x.py"
    script.write_text('"""See docs/real-footage.md, "The recipe", the README\'s "Real\n    footage" and README, '
                      "'Shipped weights'.\"\"\"\n# docs/real-footage.md, 'Choosing by\n# transfer'\n")
    tex = tmp_path / "paper.tex"
    tex.write_text("as measured (\\texttt{docs/real-footage.md}, ``The first recipe'') and docs/gone.md, 'X Y'\n")
    assert dangling(script, tmp_path) == ["05_x.py: README, 'Real footage' (no such heading)",
                                          "05_x.py: docs/real-footage.md, 'Choosing by transfer' (no such heading)"]
    assert dangling(tex, tmp_path) == ["paper.tex: docs/real-footage.md, 'The first recipe' (no such heading)",
                                       "paper.tex: docs/gone.md (no such page)"]


def test_there_are_references_to_check():
    found = sum(len(REFERENCE.findall(text_of(p))) for p in SOURCES)
    assert found >= 10, found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_references_name_sections_that_exist(path):
    problems = dangling(path)
    assert not problems, "references to sections that do not exist:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", OTHER_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_of_the_other_readmes_resolve(page):
    problems = broken_links(page)
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_links_of_the_notebook_resolve(tmp_path):
    """Its Markdown cells' links, relative to notebooks/ (a web address is not followed)."""
    notebook = ROOT / "notebooks" / "deepfake_dynamics.ipynb"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    page = tmp_path / "notebook.md"
    page.write_text("\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"), encoding="utf-8")
    problems = []
    for _, target in links(page):
        if SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        destination = (notebook.parent / file_part).resolve() if file_part else None
        if destination is None or not destination.exists():
            problems.append(f"{target} (no such file)")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            problems.append(f"{target} (no heading of {destination.name} has the anchor #{anchor})")
    assert not problems, "broken links of the notebook:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------- where the code is

SCRIPTS = sorted(ROOT.glob("0*.py"))


def defined_names() -> set[str]:
    """Every function, class and module-level constant of common.py and the numbered scripts."""
    names = set()
    for path in [ROOT / "common.py", *SCRIPTS]:
        text = path.read_text(encoding="utf-8")
        names.update(re.findall(r"^\s*(?:def|class)\s+(\w+)", text, flags=re.M))
        names.update(re.findall(r"^([A-Z_][A-Z0-9_]*)\s*=", text, flags=re.M))
    return names


def test_reading_the_code_names_what_exists():
    page = (ROOT / "docs" / "reading-the-code.md").read_text(encoding="utf-8")
    named = {m.removesuffix("()") for m in re.findall(r"`([^`\s]+)`", page)}
    names = {n for n in named if re.fullmatch(r"[A-Za-z_]\w*", n)} - {"common"}
    missing = sorted(names - defined_names())
    assert len(names) > 40 and not missing, f"docs/reading-the-code.md names what the code does not define: {missing}"
    sections = re.findall(r"^# \d+\. (.+)$", (ROOT / "common.py").read_text(encoding="utf-8"), flags=re.M)
    assert len(sections) == 10 and all(s.split(":")[0].split(" (")[0] in page for s in sections), sections


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_script_says_where_its_code_is(script):
    """Its docstring points to docs/reading-the-code.md, and every `class X` or `common.x` it names exists."""
    import ast

    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    assert "The code:" in doc and "docs/reading-the-code.md" in doc
    named = set(re.findall(r"class (\w+)", doc)) | (set(re.findall(r"common\.(\w+)", doc)) - {"py"})
    assert named and not named - defined_names(), sorted(named - defined_names())
    if script.name.startswith(("03", "04")):  # the model the script trains, where it is defined
        assert re.search(r"the model is common\.py, class (CNNLSTM|C3D) \(section 7 \"Models\"", " ".join(doc.split()))
