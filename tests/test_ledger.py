"""The cost ledger: every substituted formula evaluates to its value; CSV and the MAC/FLOP filter."""
import csv
import io

import pytest
import torch.nn as nn

from gconv import ConvSpec, cost, ledger, valid_groups

SPECS = [ConvSpec(C=64, N=128, G=4, K=3, H=56, W=56, padding=1, bias=True),
         ConvSpec(C=32, N=32, G=32, K=(7, 6), H=7, W=6), ConvSpec(C=96, N=256, G=2, K=5, H=27, W=27, padding=2)]


def arithmetic(text: str) -> float:
    """Evaluate a substituted formula ('128·(64/4)·3·3', '1,234 + 5') as plain arithmetic."""
    expr = text.replace(",", "").replace("·", "*").replace("−", "-")
    assert set(expr) <= set("0123456789+-*/() ."), text
    return eval(expr)  # our own digits and operators only, checked above


@pytest.mark.parametrize("spec", SPECS)
def test_substituted_formulas_evaluate_to_the_values(spec):
    for row in ledger.rows(spec, "fp16", 3):
        if "×" in row.substituted:  # "Ho×Wo" is a size, not a product to evaluate
            continue
        assert arithmetic(row.substituted) == pytest.approx(row.value, rel=1e-12), row.quantity


@pytest.mark.parametrize("spec", SPECS)
def test_values_match_torch(spec):
    by_name = {r.quantity: r.value for r in ledger.rows(spec)}
    layer = nn.Conv2d(spec.C, spec.N, spec.K, groups=spec.G, bias=spec.bias, device="meta")
    assert by_name["params"] == sum(p.numel() for p in layer.parameters())
    dense = nn.Conv2d(spec.C, spec.N, spec.K, bias=spec.bias, device="meta")
    assert by_name["dense (G=1) params"] == sum(p.numel() for p in dense.parameters())
    assert by_name["FLOPs per sample"] == 2 * by_name["MACs per sample"] == cost.flops(spec)


def test_visible_and_csv():
    rows = ledger.rows(SPECS[0])
    macs_only = {r.quantity for r in ledger.visible(rows, "MAC")}
    assert "MACs per sample" in macs_only and "FLOPs per sample" not in macs_only
    assert "arithmetic intensity" in macs_only  # FLOP/byte stays whatever the toggle
    parsed = list(csv.DictReader(io.StringIO(ledger.to_csv(rows))))
    assert len(parsed) == len(rows) and parsed[0]["quantity"] == "weights"
    assert float(parsed[0]["value"]) == rows[0].value


def test_group_sweep_covers_every_valid_group():
    sweep = ledger.group_sweep(SPECS[2])
    assert [r["G"] for r in sweep] == valid_groups(96, 256)
    for r in sweep:
        layer = nn.Conv2d(96, 256, 5, groups=r["G"], bias=False, device="meta")
        assert r["params"] == layer.weight.numel()
    from gconv.fmt import number
    assert number(1234567) == "1,234,567" and number(0.25) == "0.25"
