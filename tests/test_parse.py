"""Parsing untrusted text into specs: round trips and readable refusals."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gconv import ConvSpec, SpecError
from gconv.parse import parse_assignments, parse_pair, parse_spec, to_text
from strategies import valid_specs


@settings(max_examples=200, deadline=None)
@given(valid_specs())
def test_round_trip(spec):
    assert parse_spec(to_text(spec)) == spec


@pytest.mark.parametrize("text, value", [
    ("3", 3), (" 7x6 ", (7, 6)), ("7×6", (7, 6)), ("7,6", (7, 6)), ("(7, 6)", (7, 6)), ("5X5", 5),
])
def test_pairs(text, value):
    assert parse_pair("K", text) == value


@pytest.mark.parametrize("values, words", [
    ({"C": "abc"}, "C='abc' is not a whole number"),
    ({"C": "-4"}, "is not a whole number"),
    ({"C": "1e9"}, "is not a whole number"),
    ({"K": "3x"}, "K='3x' is not a size"),
    ({"bias": "maybe"}, "not a yes/no value"),
    ({"Q": "1"}, "unknown field 'Q'"),
    ({"C": "9" * 500}, "is not a whole number"),
    ({"G": "3"}, "valid G: 1, 2, 4"),
])
def test_refusals(values, words):
    base = {"C": "64", "N": "128", "G": "4", "K": "3", "H": "56", "W": "56"}
    with pytest.raises(SpecError) as info:
        parse_spec({**base, **values})
    assert words in str(info.value)
    assert len(str(info.value)) < 200  # hostile long values are cut, not echoed whole


def test_missing_fields_and_defaults():
    with pytest.raises(SpecError, match="missing"):
        parse_spec({"C": "4"})
    spec = parse_spec({"C": "4"}, defaults=dict(N=4, G=1, K=3, H=8, W=8))
    assert spec == ConvSpec(C=4, N=4, G=1, K=3, H=8, W=8)


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=12))
def test_any_text_gives_a_spec_or_a_spec_error(values):
    try:
        parse_spec(values, defaults=dict(C=8, N=8, G=1, K=3, H=8, W=8))
    except SpecError as e:
        assert str(e)


def test_assignments():
    assert parse_assignments(["C=64", "K = 7x6"]) == {"C": "64", "K": "7x6"}
    with pytest.raises(SpecError, match="NAME=VALUE"):
        parse_assignments(["C64"])
