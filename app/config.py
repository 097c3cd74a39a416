"""Configuration defaults.

Loaded first; the instance folder's ``config.py`` and then the environment override them
(see ``create_app``). Only safe defaults live here: no secret, no debug.
"""
from datetime import timedelta


class Config:
    #: ``production`` (default) refuses to start without a real secret; ``development`` makes one.
    ENV_NAME = "production"
    SECRET_KEY = None
    #: None means "SQLite file in the instance folder" (filled in by create_app).
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    #: A login lasts at most this long (the server-side session's expiry, and the cookie's).
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    #: A session unused this long has ended (checked server-side: services/sessions.py).
    SESSION_IDLE_MINUTES = 60
    #: A new API token's lifetime unless asked otherwise, and the longest one may ask for.
    API_TOKEN_DAYS = 90
    API_TOKEN_MAX_DAYS = 365

    WTF_CSRF_TIME_LIMIT = 3600 * 8
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    #: Uploaded PDFs (report verification) are measured in a child process first
    #: (services/reports/pdf_guard.py): what one stream and all of them may expand to, and
    #: the child's memory and time.
    PDF_MAX_STREAM_BYTES = 64 * 1024 * 1024
    PDF_MAX_EXPANDED_BYTES = 256 * 1024 * 1024
    PDF_INSPECT_MEMORY = 768 * 1024 * 1024
    PDF_INSPECT_SECONDS = 20
    #: JSON bodies of the API: bytes, and levels of nesting (json.loads recurses per level).
    API_MAX_JSON_BYTES = 64 * 1024
    API_MAX_JSON_DEPTH = 20

    #: Flask-Limiter: shared across instances when REDIS_URL is set.
    REDIS_URL = None
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "tripledger"
    #: Redis unreachable: count in this process's memory meanwhile rather than answer 500
    #: (the per-account limit, in the database, holds either way).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    #: Per client IP, on login, registration and password links (Flask-Limiter; its counts are
    #: in this process's memory, or in Redis when REDIS_URL is set: see README, "Limits").
    LOGIN_RATE_LIMIT = "10 per minute"
    #: Per account, in the database (every worker and instance shares it): this many login
    #: attempts in the window, then the account's logins are refused until the window ends.
    LOGIN_ACCOUNT_LIMIT = 10
    LOGIN_ACCOUNT_WINDOW_MINUTES = 15

    #: Argon2id cost. RFC 9106's second recommended option (64 MiB, t=3) is the default.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 4
    PASSWORD_MIN_LENGTH = 12

    #: SMTP for notifications; without MAIL_SERVER messages stay in the outbox (readable by
    #: organisers in the browser).
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_FROM = "TripLedger <no-reply@tripledger.example>"

    LOG_LEVEL = "INFO"

    #: "YYYY-MM-DD" pins the calendar day the app takes as today (a deployment past its last
    #: day closes itself): for tests and demos of a past season. Refused in production.
    TODAY = None

    #: Report signing (see README, "Signing keys"). Certificates of retired signing keys that
    #: verification still trusts: a folder of PEM files, besides instance/signing/keyring/.
    REPORT_SIGNING_KEYRING = None
    #: An RFC 3161 timestamping service; when set, every signature carries a trusted time.
    #: None: reports are signed without one (and signing makes no network call).
    REPORT_TIMESTAMP_URL = None
    REPORT_TIMESTAMP_TIMEOUT = 10
    #: PEM file(s) of the timestamping authority's root certificates (verification trusts
    #: these for timestamps only); None: a timestamp is shown but reported "untrusted".
    REPORT_TIMESTAMP_TRUST = None
