"""Column types that keep money exact and times in UTC on SQLite and PostgreSQL alike."""
from datetime import datetime, timezone
from decimal import Decimal, ROUND_HALF_UP

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator


class ScaledDecimal(TypeDecorator):
    """A Decimal stored as a whole number of ``10**-scale`` units (cents for money).

    SQLite has no exact decimal type (SQLAlchemy would go through float), so both databases
    store integers; sums and comparisons in SQL stay exact.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2):
        super().__init__()
        self.scale = scale
        self._unit = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money and rates are Decimal, never float")
        value = Decimal(value)
        quantized = value.quantize(self._unit, rounding=ROUND_HALF_UP)
        if quantized != value:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(quantized.scaleb(self.scale))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # Exact: the stored integer's digits with the column's places (100 -> 1.00).
        return Decimal(int(value)).scaleb(-self.scale)


class UTCDateTime(TypeDecorator):
    """An aware datetime, always stored and returned in UTC; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must be timezone-aware")
        value = value.astimezone(timezone.utc)
        # SQLite stores text; drop the offset so values sort as strings.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def Money() -> ScaledDecimal:
    return ScaledDecimal(2)


def Rate() -> ScaledDecimal:
    return ScaledDecimal(8)
