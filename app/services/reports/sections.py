"""The report's sections, in order: the one list of their numbers and titles.

The context (section headings, the summary's table of parts, the cover's contents), the print
template (headings, running headers) and the renderer (the outline of a merged report) all
read it. A new section, or a renamed one, is an entry here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportSection:
    key: str
    number: int
    name: str
    #: For the running header and the outline's neighbours, when the name is too long.
    short: str = ""
    #: The cover's contents line, when it says more than the name.
    contents: str = ""

    @property
    def title(self) -> str:
        """The heading, and the outline's entry: "3. Volunteer roles" (the cover: "Cover")."""
        return self.name if self.number == 1 else f"{self.number}. {self.name}"

    @property
    def header(self) -> str:
        """The running header at the top right of its pages."""
        return self.name if self.number == 1 else f"{self.number}. {self.short or self.name}"

    def as_json(self) -> dict:
        return {"key": self.key, "number": self.number, "title": self.title,
                "header": self.header, "contents": self.contents or self.name}


COVER = ReportSection("cover", 1, "Cover")
SUMMARY = ReportSection("summary", 2, "Summary", contents="Summary: spots, volunteers, totals "
                        "by payer kind and by finding code")
ROLES = ReportSection("roles", 3, "Volunteer roles")
COMPENSATION = ReportSection("compensation", 4, "Things of value that look like compensation "
                             "or a prohibited contribution",
                             short="Compensation or prohibited contribution")
OTHER = ReportSection("other", 5, "Other things of value")
QUESTIONS = ReportSection("questions", 6, "Open questions and reviews", short="Open questions")
METHOD = ReportSection("method", 7, "Method", contents="Method: every rule with its citation")

SECTIONS = [COVER, SUMMARY, ROLES, COMPENSATION, OTHER, QUESTIONS, METHOD]
