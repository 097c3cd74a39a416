"""Entry point for the report job consumer (``huey_consumer worker.huey``), as wsgi.py is for
gunicorn: the app is built here, from the same configuration as the web processes, and the
jobs run with it. ``make run`` starts the consumer beside the web app.
"""
from app import create_app
from app.services.reports import jobs

app = create_app()
jobs.bind_app(app)
huey = jobs.get_huey(app.config, app.instance_path)
