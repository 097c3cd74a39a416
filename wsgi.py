"""Entry point for gunicorn (``gunicorn wsgi:app``) and the CLI (``flask --app wsgi …``).

``TRIPLEDGER_INSTANCE_PATH`` puts the instance folder (SQLite file, reports, signing key)
somewhere other than ``instance/`` beside the code.
"""
import os

from app import create_app

app = create_app(instance_path=os.environ.get("TRIPLEDGER_INSTANCE_PATH") or None)
