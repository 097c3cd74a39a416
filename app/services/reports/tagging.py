"""One structure tree for a report merged from tagged parts.

WeasyPrint tags each part on its own: a ``/StructTreeRoot`` whose ``/K`` is one Document
element, a ``/ParentTree`` number tree keyed from 0 (each page's ``/StructParents``, then its
annotations' ``/StructParent``) and table header ids made from its own object numbers. Pages
appended with pikepdf bring none of that along, so a merged file would be untagged. ``merge``
appends the pages and grafts every part's structure under the first part's Document element,
in page order, with the parent-tree keys renumbered so they stay unique, and the parts' id
trees joined.

``tidy`` runs in the render worker, once per part, so its cost is spread over the workers. It
prefixes the part's element ids (two parts can both have an object 57, hence an id "57-0-0")
and lists them in an ``/IDTree``, which the standard asks for and WeasyPrint leaves out. A
``<pre>`` of the listing is tagged by WeasyPrint as a NonStruct holding one Span per line
(130,000 Spans in a 50,000-line report); it becomes one P whose kids are the lines' marked
content ids: the same reading order, with one object per block instead of one per line. And
WeasyPrint marks the running headers and footers (page margin boxes) as Spans that it keeps
out of the tree, though the parent tree still names them: ``tidy`` turns them into artifacts,
as the stamped "Page n of m" is (furniture.py).
"""
from __future__ import annotations

import re
from io import BytesIO

import pikepdf

_Name = pikepdf.Name


def _kids(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _is_element(obj) -> bool:
    return isinstance(obj, pikepdf.Dictionary) and obj.get("/S") is not None and \
        obj.get("/Type", _Name.StructElem) == _Name.StructElem


def _parent_tree(root) -> dict[int, pikepdf.Object]:
    tree = root.get("/ParentTree")
    if tree is None:
        return {}
    return {int(key): value for key, value in pikepdf.NumberTree(tree).items()}


def tidy(pdf_bytes: bytes, prefix: str = "") -> bytes:
    """Worker side: listing blocks as P elements of marked content, ids given ``prefix``.

    Returns the bytes unchanged when the file has no structure tree.
    """
    with pikepdf.open(BytesIO(pdf_bytes)) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            return pdf_bytes
        by_page = {page.objgen: n for n, page in enumerate(pdf.pages)}
        parents = _parent_tree(root)
        ids = {}
        reached = set()
        stack = _kids(root)
        while stack:
            element = stack.pop()
            if not _is_element(element):
                continue
            reached.add(element.objgen)
            if "/ID" in element:
                element.ID = pikepdf.String(prefix + str(element.ID))
                ids[str(element.ID)] = element
            attributes = element.get("/A")
            if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
                attributes.Headers = pikepdf.Array(
                    [pikepdf.String(prefix + str(h)) for h in attributes.Headers])
            kids = _kids(element)
            if element.S == _Name.NonStruct and kids and _collapse(element, kids, parents,
                                                                   by_page, pdf):
                continue
            stack.extend(kids)
        for page in pdf.pages:
            _margins_as_artifacts(page, parents, reached)
        if ids:
            # Element ids must be in the tree's /IDTree (WeasyPrint gives the ids only).
            tree = pikepdf.NameTree.new(pdf)
            for key in sorted(ids):
                tree[key] = ids[key]
            root.IDTree = tree.obj
        out = BytesIO()
        pdf.save(out)
        return out.getvalue()


def _collapse(element, kids, parents, by_page, pdf) -> bool:
    """NonStruct → P when every kid is a Span holding one marked-content id on its page."""
    page = element.get("/Pg")
    if page is None or page.objgen not in by_page:
        return False
    mcids = []
    for kid in kids:
        if not (_is_element(kid) and kid.S == _Name.Span and "/Pg" in kid
                and kid.Pg.objgen == page.objgen):
            return False
        inner = _kids(kid)
        if len(inner) != 1 or not isinstance(inner[0], int):
            return False
        mcids.append(int(inner[0]))
    key = int(pdf.pages[by_page[page.objgen]].obj.get("/StructParents", -1))
    row = parents.get(key)
    if not isinstance(row, pikepdf.Array) or any(
            m >= len(row) or row[m].objgen != kid.objgen for m, kid in zip(mcids, kids)):
        return False
    for mcid in mcids:
        row[mcid] = element
    element.S = _Name.P
    element.K = pikepdf.Array(mcids)
    return True


_MARKED = re.compile(rb"/(\w+)\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def _margins_as_artifacts(page, parents, reached) -> None:
    """Marked content whose parent-tree element is not in the tree → a pagination artifact."""
    key = page.obj.get("/StructParents")
    row = parents.get(int(key)) if key is not None else None
    if not isinstance(row, pikepdf.Array):
        return
    stray = {n for n, element in enumerate(row)
             if element is not None and element.objgen not in reached}
    if not stray:
        return
    contents = page.obj.Contents
    for stream in contents if isinstance(contents, pikepdf.Array) else [contents]:
        data = stream.read_bytes()
        # Untyped, as WeasyPrint marks its own artifacts: the one pagination artifact of a
        # page is its stamped number.
        changed = _MARKED.sub(lambda m: b"/Artifact BMC" if int(m.group(2)) in stray
                              else m.group(0), data)
        if changed != data:
            stream.write(changed)
    # They are the last ids of the page (the margins are drawn last): drop them; any other
    # becomes null, which keeps the other ids' places in the row.
    while len(row) and len(row) - 1 in stray:
        stray.discard(len(row) - 1)
        del row[len(row) - 1]
    for n in stray:
        row[n] = None


def merge(pdfs: list[bytes]) -> bytes:
    """Append every part's pages to the first part (which carries the PDF/A catalogue) and
    join their structure trees into the first part's, in page order.

    :raises ValueError: a part is not tagged, or two parts map a role differently
    """
    sources = [pikepdf.open(BytesIO(data)) for data in pdfs]
    try:
        base = sources[0]
        root = base.Root.get("/StructTreeRoot")
        if root is None:
            raise ValueError("part 1 of the report has no structure tree")
        document = _document(root, 1)
        rows: list[pikepdf.Object] = []
        _renumber(base, base.pages, _parent_tree(root), rows)
        role_map = dict(root.get("/RoleMap", {}).items())
        class_map = dict(root.get("/ClassMap", {}).items())
        ids = dict(pikepdf.NameTree(root.IDTree).items()) if "/IDTree" in root else {}
        for number, other in enumerate(sources[1:], start=2):
            start = len(base.pages)
            # Not pages.extend: this also carries the named destinations their links use.
            base.add_pages_from(other, outlines="ignore")
            theirs = other.Root.get("/StructTreeRoot")
            if theirs is None:
                raise ValueError(f"part {number} of the report has no structure tree")
            # One copy of their whole tree: the pages it points at were just copied, and
            # pikepdf maps those references to the copies rather than copying them again.
            copied = base.copy_foreign(theirs)
            _document(copied, number)
            for kid in _kids(copied.K[0]):
                if _is_element(kid):
                    kid.P = document
                document.K.append(kid)
            _renumber(base, base.pages[start:], _parent_tree(copied), rows)
            for name, table in (("/RoleMap", role_map), ("/ClassMap", class_map)):
                for key, value in copied.get(name, {}).items():
                    if key in table and repr(table[key]) != repr(value):
                        raise ValueError(f"parts map {key} differently in {name}")
                    table[key] = value
            if "/IDTree" in copied:
                ids.update(pikepdf.NameTree(copied.IDTree).items())
        root.ParentTree = base.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(
            [x for n, row in enumerate(rows) for x in (n, row)])))
        root.ParentTreeNextKey = len(rows)
        for name, table in (("/RoleMap", role_map), ("/ClassMap", class_map)):
            if table:
                root[name] = pikepdf.Dictionary(table)
        if ids:
            tree = pikepdf.NameTree.new(base)
            for key in sorted(ids):
                tree[key] = ids[key]
            root.IDTree = tree.obj
        base.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
        base.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
        if not str(base.Root.get("/Lang", "")):
            base.Root.Lang = pikepdf.String("en")
        out = BytesIO()
        base.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()
    finally:
        for source in sources:
            source.close()


def _document(root, number: int):
    kids = _kids(root)
    if len(kids) != 1 or not _is_element(kids[0]) or kids[0].S != _Name.Document:
        raise ValueError(f"part {number} of the report does not have one Document element")
    return kids[0]


def _renumber(pdf, pages, parents: dict[int, pikepdf.Object], rows: list) -> None:
    """Give each page, then each of its annotations, the next parent-tree key."""
    for page in pages:
        owners = [(page.obj, "/StructParents")] + [
            (annotation, "/StructParent") for annotation in page.obj.get("/Annots", [])]
        for owner, key in owners:
            if key not in owner:
                continue
            value = parents.get(int(owner[key]))
            if value is None:
                raise ValueError(f"{key} {int(owner[key])} is not in the part's parent tree")
            rows.append(value)
            owner[key] = len(rows) - 1
