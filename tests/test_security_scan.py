"""``scripts/security-scan`` reads its scanners' output right: a finding is never lost in the
summary, and the one finding the local scan causes by design is named as such.

The scan itself (about 15 minutes) is run by hand; its latest result is in bench/RESULTS.md.
"""
import json
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scan():
    loader = SourceFileLoader("security_scan", str(ROOT / "scripts" / "security-scan"))
    module = module_from_spec(spec_from_loader("security_scan", loader))
    sys.modules["security_scan"] = module  # its dataclasses look their module up
    try:
        loader.exec_module(module)
        yield module
    finally:
        del sys.modules["security_scan"]


CLEAN_SQLMAP = """\
[01:00:01] [INFO] testing if GET parameter 'category' is dynamic
[01:00:02] [WARNING] GET parameter 'category' does not seem to be injectable
[01:00:03] [INFO] testing if GET parameter 'page' is dynamic
[01:00:04] [WARNING] GET parameter 'page' does not seem to be injectable
[01:00:05] [CRITICAL] all tested parameters do not appear to be injectable. Try to increase
[01:00:05] [WARNING] HTTP error codes detected during run:
400 (Bad Request) - 2005 times
"""

VULNERABLE_SQLMAP = """\
[01:00:01] [INFO] heuristic (basic) test shows that GET parameter 'q' might be injectable
[01:00:01] [INFO] heuristic (XSS) test shows that GET parameter 'q' might be vulnerable to \
cross-site scripting (XSS) attacks
[01:00:09] [INFO] GET parameter 'q' is 'SQLite AND boolean-based blind' injectable
GET parameter 'q' is vulnerable. Do you want to keep testing the others (if any)? [y/N] N
"""


def test_sqlmap_clean_run_counts_its_parameters(scan, tmp_path):
    target = scan.Target("ledger", "http://127.0.0.1:1/x?category=A&page=1", "organiser")
    result = scan.parse_sqlmap(target, CLEAN_SQLMAP, tmp_path, 3.0, False)
    assert result["tested"] == ["category", "page"]
    assert result["not_injectable"] and not result["injectable"] and not result["xss"]
    text, failed = scan.summarise(_meta(), [result], [], (1, []))
    assert not failed and "not injectable" in text


def test_sqlmap_injection_and_xss_fail_the_scan(scan, tmp_path):
    target = scan.Target("search", "http://127.0.0.1:1/s?q=a", None)
    result = scan.parse_sqlmap(target, VULNERABLE_SQLMAP, tmp_path, 9.0, False)
    assert result["injectable"] == ["q"] and result["xss"] == ["q"]
    text, failed = scan.summarise(_meta(), [result], [], (1, []))
    assert failed and "INJECTABLE q" in text and "XSS heuristic: q" in text


def _wapiti_report(path: Path, vulnerabilities: dict) -> Path:
    path.write_text(json.dumps({"vulnerabilities": vulnerabilities, "anomalies": {},
                                "additionals": {}, "infos": {"crawled_pages_nbr": 12}}))
    return path


def _item(info, path="/", parameter=""):
    return {"method": "GET", "path": path, "parameter": parameter, "info": info,
            "module": "x"}


def test_wapiti_secure_flag_on_the_session_cookie_is_expected_not_a_finding(scan, tmp_path):
    report = _wapiti_report(tmp_path / "r.json", {
        "Secure Flag cookie": [_item("Secure flag is not set in the cookie : session")],
        "Cross Site Scripting": [], "Clickjacking Protection": []})
    result = scan.parse_wapiti("organiser", report, "", 10.0, 0)
    assert result["crawled"] == 12
    assert [e["category"] for e in result["expected"]] == ["Secure Flag cookie"]
    text, failed = scan.summarise(_meta(), [], [result], (1, []))
    assert not failed and "expected: Secure is relaxed" in text


@pytest.mark.parametrize("category, kind", [
    ("Cross Site Scripting", "injection"),
    ("Stored Cross Site Scripting", "injection"),
    ("SQL Injection", "injection"),
    ("Clickjacking Protection", "headers"),
    ("Content Security Policy Configuration", "headers"),
    ("HttpOnly Flag cookie", "headers"),
    ("Secure Flag cookie", "headers"),   # on any cookie but the session's
    ("Something New", "other"),
])
def test_wapiti_findings_fail_the_scan(scan, tmp_path, category, kind):
    report = _wapiti_report(tmp_path / "r.json", {
        category: [_item("found it in the cookie : remember_token", "/me/", "q")]})
    result = scan.parse_wapiti("volunteer", report, "", 10.0, 0)
    assert len(result[kind]) == 1
    text, failed = scan.summarise(_meta(), [], [result], (1, []))
    assert failed and category in text


def test_a_missing_report_or_header_fails_the_scan(scan, tmp_path):
    result = scan.parse_wapiti("admin", tmp_path / "none.json", "Traceback\nboom", 1.0, 1)
    assert "boom" in result["error"]
    assert scan.summarise(_meta(), [], [result], (1, []))[1]
    missing = ["/me/ (volunteer, HTTP 200): X-Frame-Options missing"]
    text, failed = scan.summarise(_meta(), [], [], (1, missing))
    assert failed and "X-Frame-Options missing" in text


def _meta():
    return dict(finished="now", cores=2, python="3", versions={"sqlmap": "1", "wapiti3": "3"},
                base="http://127.0.0.1:1", workers=2, slug="us-2028-general", level=2,
                total=1.0, sqlmap_seconds=0.5, wapiti_seconds=0.5)
