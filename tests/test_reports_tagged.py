"""Tagged PDF/A at every size: the file as issued (``service.produce``: rendered, merged,
numbered, finished and signed) has one valid structure tree, whether it was rendered whole
or merged from parts — read back with pikepdf, with the structure walked from the root."""
from __future__ import annotations

import io
from collections import Counter

import pikepdf
import pytest

from app.extensions import db
from app.models import ReportScope
from app.services.compliance.scope import Scope
from app.services.reports import pdfa, render, service

from . import synthetic
from .builders import make_election_deployment
from .test_reports_support import pages_text

pytestmark = pytest.mark.xdist_group("reports-tagged")


def _issue(app, runner, disclosure) -> bytes:
    """The report's bytes as ``service.produce`` hands them over, signed with the demo key."""
    made = runner.invoke(args=["keys", "create-demo"])
    assert made.exit_code == 0, made.output
    with app.app_context():
        deployment = make_election_deployment(slug="tagged")
        db.session.commit()
        scope = Scope(ReportScope.DEPLOYMENT, None, "Whole deployment")
        pdf, _, key = service.produce(db.session, deployment, scope, disclosure)
        assert key is not None
        return pdf


@pytest.fixture(scope="module")
def _cache():
    return {}


@pytest.fixture
def whole(app, runner, _cache):
    """Small enough to be rendered in one WeasyPrint run."""
    if "whole" not in _cache:
        disclosure = synthetic.make_disclosure(4, 6, seed=2)
        _cache["whole"] = _issue(app, runner, disclosure)
    return _cache["whole"]


@pytest.fixture
def merged(app, runner, _cache, monkeypatch):
    """Rendered in parts (front, two runs of sheets, method) and merged."""
    if "merged" not in _cache:
        monkeypatch.setattr(render, "WHOLE_MAX_SHEETS", 1)
        monkeypatch.setattr(render, "MIN_PART_SHEETS", 1)
        disclosure = synthetic.make_disclosure(30, 120, seed=4, nasty=True)
        _cache["merged"] = _issue(app, runner, disclosure)
    return _cache["merged"]


def _elements(root) -> list[pikepdf.Dictionary]:
    """Every structure element under the root, in document order, checking each one's /P."""
    found, stack = [], [(kid, root) for kid in reversed(_kids(root))]
    while stack:
        element, parent = stack.pop()
        if not (isinstance(element, pikepdf.Dictionary) and "/S" in element):
            continue  # a marked-content id, or a marked-content or object reference
        assert element.P.objgen == parent.objgen, f"{element.S}: /P is not its parent"
        found.append(element)
        stack.extend((kid, element) for kid in reversed(_kids(element)))
    return found


def _kids(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _mcids(page) -> set[int]:
    found = set()
    for operands, operator in pikepdf.parse_content_stream(page, "BDC"):
        if isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
            assert int(operands[1].MCID) not in found, "an MCID drawn twice"
            found.add(int(operands[1].MCID))
    return found


def _text(element) -> str:
    """The text of an element's own marked content is not in the tree; its type and id are."""
    return str(element.get("/Alt", ""))


@pytest.mark.parametrize("which", ["whole", "merged"])
def test_the_issued_report_has_one_valid_structure_tree(which, request):
    pdf = request.getfixturevalue(which)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        # qpdf's own check of the file's syntax and cross-references (no PDF/A validator
        # is packaged for PyPI or Debian: veraPDF is not).
        assert doc.check_pdf_syntax() == []
        root = doc.Root.StructTreeRoot
        assert doc.Root.MarkInfo.Marked is True
        assert str(doc.Root.Lang) == "en"
        assert doc.Root.ViewerPreferences.DisplayDocTitle is True
        [document] = _kids(root)
        assert document.S == pikepdf.Name.Document
        elements = _elements(root)
        in_tree = {e.objgen for e in elements}
        pages = {page.objgen: n for n, page in enumerate(doc.pages, start=1)}
        for element in elements:
            if "/Pg" in element:
                assert element.Pg.objgen in pages, f"{element.S} on a page not in this file"
        keys = [int(k) for k in root.ParentTree.Nums[::2]] if "/Nums" in root.ParentTree \
            else None
        if keys is not None:
            assert len(keys) == len(set(keys)), "duplicate parent-tree keys"
        tree = dict(pikepdf.NumberTree(root.ParentTree).items())
        used = Counter()
        for page in doc.pages:
            n = pages[page.objgen]
            assert "/StructParents" in page.obj, f"page {n} has no /StructParents"
            key = int(page.obj.StructParents)
            used[key] += 1
            row = tree.get(key)
            assert isinstance(row, pikepdf.Array) and len(row) > 0, f"page {n}: no entry"
            for parent in row:
                if parent is None:
                    continue
                assert parent.Pg.objgen == page.objgen, f"page {n}: entry on another page"
                assert parent.objgen in in_tree, f"page {n}: entry not in the tree"
            # Every marked-content id drawn on the page has its entry, and no entry is idle.
            assert _mcids(page) == {i for i, parent in enumerate(row) if parent is not None}, \
                f"page {n}"
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    used[int(annotation.StructParent)] += 1
                    assert int(annotation.StructParent) in tree
        assert max(used.values()) == 1, "a parent-tree key is used twice"
        assert int(root.ParentTreeNextKey) > max(used)


@pytest.mark.parametrize("which", ["whole", "merged"])
def test_every_part_is_in_the_tree_in_page_order(which, request):
    pdf = request.getfixturevalue(which)
    texts = pages_text(pdf)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        pages = {page.objgen: n for n, page in enumerate(doc.pages, start=1)}
        elements = _elements(doc.Root.StructTreeRoot)
        kinds = Counter(str(e.S) for e in elements)
        # The front (cover and summary), the listing and the method.
        assert kinds["/H1"] >= 6 and kinds["/Table"] >= 4 and kinds["/L"] >= 2
        h1_pages = [pages[e.Pg.objgen] for e in elements if e.S == pikepdf.Name.H1]
        assert h1_pages == sorted(h1_pages), "headings out of page order"
        assert "7. Method" in texts[h1_pages[-1] - 1]
        assert h1_pages[0] == 1 and "DISCLOSURE REPORT" in texts[0]
        # Every page that holds listing text holds tagged content.
        tagged = {pages[e.Pg.objgen] for e in elements if "/Pg" in e}
        assert tagged == set(pages.values())
        # The listing is one P per block of lines, not one element per line.
        listing = [e for e in elements if e.S == pikepdf.Name.P and all(
            isinstance(k, int) for k in _kids(e)) and len(_kids(e)) > 5]
        assert listing
        # Table header ids are unique and all in the id tree.
        ids = [str(e.ID) for e in elements if "/ID" in e]
        assert ids and len(ids) == len(set(ids))
        tree = dict(pikepdf.NameTree(doc.Root.StructTreeRoot.IDTree).items())
        assert sorted(tree) == sorted(ids)
        for element in elements:
            headers = element.get("/A", {}).get("/Headers") if isinstance(
                element.get("/A"), pikepdf.Dictionary) else None
            for header in headers or []:
                assert str(header) in tree


@pytest.mark.parametrize("which", ["whole", "merged"])
def test_charts_are_figures_with_alternative_text(which, request):
    pdf = request.getfixturevalue(which)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        figures = [e for e in _elements(doc.Root.StructTreeRoot) if e.S == pikepdf.Name.Figure]
    alts = [_text(f) for f in figures]
    assert len(figures) == 3
    assert all(alts), alts
    assert any(alt.startswith("Bar chart, spots per state: NC 0 of 9 held") for alt in alts)
    assert any(alt.startswith("Bar chart, Totals by payer kind: ") for alt in alts)
    assert any(alt.startswith("Bar chart, Totals by finding code: ") for alt in alts)


@pytest.mark.parametrize("which", ["whole", "merged"])
def test_page_numbers_stay_artifacts_and_the_file_stays_pdf_a_and_signed(which, request):
    pdf = request.getfixturevalue(which)
    assert pdfa.pdfa_identification(pdf) == ("3", "B")
    texts = pages_text(pdf)
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {len(texts)}" in text
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert "/Sig" in [str(f.get("/FT")) for f in doc.Root.AcroForm.Fields]
        for page in doc.pages:
            depth, in_artifact, stamped = 0, None, False
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op in ("BDC", "BMC"):
                    depth += 1
                    if operands[0] == pikepdf.Name.Artifact and in_artifact is None:
                        in_artifact = depth
                elif op == "EMC":
                    if in_artifact == depth:
                        in_artifact = None
                    depth -= 1
                elif op == "Tf" and operands[0] == pikepdf.Name("/TLPageNo"):
                    stamped = True
                    assert in_artifact is not None, "the page number is not an artifact"
            assert stamped and depth == 0
    if which == "merged":
        with pikepdf.open(io.BytesIO(pdf)) as doc, doc.open_outline() as outline:
            assert [item.title for item in outline.root][-1] == "7. Method"


def test_a_part_without_tags_is_refused_not_merged_silently():
    from app.services.reports import tagging
    tagged, _, _ = render.render_part("<html lang=en><p>One</p>", {"pdf_tags": True})
    plain, _, _ = render.render_part("<html lang=en><p>Two</p>", {})
    with pytest.raises(ValueError, match="part 2 of the report has no structure tree"):
        tagging.merge([tagged, plain])
    merged = tagging.merge([tagged, tagged])
    with pikepdf.open(io.BytesIO(merged)) as doc:
        assert [int(p.obj.StructParents) for p in doc.pages] == [0, 1]
        [document] = _kids(doc.Root.StructTreeRoot)
        assert [str(e.S) for e in _kids(document)] == ["/P", "/P"]


def test_links_keep_their_own_parent_tree_keys_once_merged():
    """Each part numbers its annotations from its page count; merged, every key is unique
    and still leads to the Link element that holds the annotation."""
    from app.services.reports import tagging
    html = '<html lang=en><p id=a>One <a href="#a">back</a></p>'
    part, _, _ = render.render_part(html, {"pdf_tags": True})
    merged = tagging.merge([part, part, part])
    with pikepdf.open(io.BytesIO(merged)) as doc:
        tree = dict(pikepdf.NumberTree(doc.Root.StructTreeRoot.ParentTree).items())
        keys = []
        for page in doc.pages:
            keys.append(int(page.obj.StructParents))
            [annotation] = [a for a in page.obj.Annots if a.Subtype == pikepdf.Name.Link]
            keys.append(int(annotation.StructParent))
            link = tree[int(annotation.StructParent)]
            assert link.S == pikepdf.Name.Link and link.Pg.objgen == page.objgen
            assert any(isinstance(k, pikepdf.Dictionary) and k.get("/Obj") is not None
                       and k.Obj.objgen == annotation.objgen for k in _kids(link))
        assert sorted(keys) == list(range(6)) == sorted(tree)
