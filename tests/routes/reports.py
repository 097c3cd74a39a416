"""Routes of the reports area: disclosure PDFs, past reports, verification, statements."""
import hashlib
from io import BytesIO
from pathlib import Path

import pikepdf
from flask import current_app

from app.extensions import db
from app.models import Deployment, Report, ReportScope, ReportStatus

from . import VOL, only, staff_read


def world(app, base: dict) -> dict:
    """A finished report with its stored file, for the download and progress routes."""
    with BytesIO() as out:
        with pikepdf.new() as pdf:
            pdf.add_blank_page()
            pdf.save(out)
        data = out.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(current_app.instance_path) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{digest}.pdf").write_bytes(data)
    deployment = db.session.scalar(db.select(Deployment).where(Deployment.slug == base["slug"]))
    report = Report(deployment_id=deployment.id, scope=ReportScope.DEPLOYMENT,
                    scope_label="Whole deployment", status=ReportStatus.DONE, progress=100,
                    stage="Done", sha256=digest, file_path=f"reports/{digest}.pdf",
                    fingerprint="0" * 64)
    db.session.add(report)
    db.session.flush()
    return {"report_id": report.id}


ROUTES = {
    "reports.index": ("GET", "/deployments/{slug}/reports/", staff_read()),
    "reports.generate": ("POST", "/deployments/{slug}/reports/", staff_read(ok=302)),
    "reports.disclosure_pdf": ("GET", "/deployments/{slug}/reports/disclosure.pdf",
                               staff_read(ok=200)),
    "reports.download": ("GET", "/deployments/{slug}/reports/{report_id}.pdf", staff_read()),
    "reports.progress": ("GET", "/deployments/{slug}/reports/{report_id}/progress",
                         staff_read()),
    "reports.verify": ("GET", "/deployments/{slug}/reports/verify", staff_read()),
    # The matrix's volunteer is not in the deployment: no statement there (404), theirs only.
    "statements.index": ("GET", "/me/statements/", only(VOL)),
    "statements.download": ("GET", "/me/statements/{slug}.pdf", only(VOL, ok=404)),
    "statements.verify": ("GET", "/me/statements/verify", only(VOL)),
}
