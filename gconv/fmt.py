"""How numbers and values are written for people: one style for the ledger, the pages and the CLI."""
from __future__ import annotations


def number(x: int | float) -> str:
    """Thousands separators for ints, 4 significant digits for floats.

    >>> number(1234567), number(0.333333), number(2.0)
    ('1,234,567', '0.3333', '2')
    """
    return f"{x:,}" if isinstance(x, int) else f"{x:,.4g}"


def value(x) -> str:
    """Any summary value: numbers as number(), lists as a shape (128 × 16 × 3 × 3), the rest as str.

    >>> value([128, 16, 3, 3]), value(True), value(18432)
    ('128 × 16 × 3 × 3', 'True', '18,432')
    """
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return " × ".join(map(str, x)) if isinstance(x, (list, tuple)) else str(x)
    return number(x)
