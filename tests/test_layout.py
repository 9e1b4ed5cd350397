"""The design card's rules, checked on the tree: the layout, light imports, small modules, one error family
caught by pages, and pages without arithmetic on layer fields."""
import ast
import re
import subprocess
import sys

import pytest

from conftest import ROOT

CORE = {"__init__", "__main__", "spec", "parse", "fmt", "errors", "lazy", "machine", "cost", "connectivity", "terms",
        "equivalence", "ledger", "presets", "cli", "i18n", "lesson", "text", "poll"}
LABS = {"gdc": {"heads", "datasets", "training", "input_size", "plots"},
        "timing": {"harness", "cases", "noise", "roofline", "runs", "worker", "replicate", "plots", "options"},
        "inspector": {"report", "hooks", "onnx_reader", "graph", "flow", "channels", "tensor", "axes", "slim", "diagnose", "plots", "checks", "bounded",
                      "summary", "named"}}
ERROR_FAMILY = {"GConvError", "SpecError", "ONNXError", "BudgetError"}
LAYER_FIELDS = {"C", "N", "G", "K", "H", "W", "stride", "padding", "dilation", "in_per_group", "out_per_group",
                "kernel_size", "kernel_area", "weight_shape", "in_hw", "out_hw", "stride_hw", "padding_hw",
                "dilation_hw", "multiplier"}
PAGE_FILES = sorted((ROOT / "pages").rglob("*.py"))  # the pages and everything they share


def test_gconv_never_imports_streamlit():
    for path in (ROOT / "gconv").rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+streamlit", path.read_text(), re.M), path


def test_import_gconv_does_not_load_torch():
    code = "import sys, gconv; gconv.ConvSpec(C=4, N=4, G=2, K=3, H=8, W=8); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_layout():
    for name in ("app.py", "pages/shared/router.py", "gconv/__init__.py", "tests/conftest.py", "benchmarks",
                 "requirements.txt", "README.md", ".ci/run"):
        assert (ROOT / name).exists(), name
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().split()


def test_core_is_flat_and_each_lab_is_a_subpackage():
    assert {p.stem for p in (ROOT / "gconv").glob("*.py")} == CORE
    assert {p.stem for p in (ROOT / "gconv" / "plots").glob("*.py")} == {"__init__", "style", "connectivity", "cost",
                                                                     "numbers", "mesh3d", "tensor3d", "story", "poll"}
    for lab, modules in LABS.items():
        assert {p.stem for p in (ROOT / "gconv" / lab).glob("*.py")} == {"__init__"} | modules, lab
    assert (ROOT / "gconv" / "inspector" / "zoo" / "__init__.py").exists()


def test_modules_stay_small():
    for path in list((ROOT / "gconv").rglob("*.py")) + list((ROOT / "pages").rglob("*.py")):
        assert len(path.read_text().splitlines()) <= 400, path


@pytest.mark.parametrize("path", [p for p in PAGE_FILES if p.name != "memo.py"], ids=lambda p: p.name)
def test_pages_catch_only_the_error_family(path):  # memo.py reads a shared disk cache: a torn entry is recomputed
    # Anything else a page meets is a bug: it must surface, not be shown as a message.
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ExceptHandler):
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            names = {c.id if isinstance(c, ast.Name) else getattr(c, "attr", None) for c in caught}
            assert names <= ERROR_FAMILY, f"{path.name}:{node.lineno} catches {names}"


ARITHMETIC_CALLS = {"min", "max", "sum", "abs", "round", "divmod", "pow", "range", "int", "float", "floor", "ceil",
                    "sqrt", "log", "log2", "prod", "gcd"}


def _layer_fields_in(node: ast.AST, derived: frozenset = frozenset()) -> set[str]:
    """Layer fields an expression computes with, directly or through a name assigned from them in the same file
    (an f-string only displays them, so it is not entered)."""
    if isinstance(node, ast.JoinedStr):
        return set()
    found = set()
    if isinstance(node, ast.Attribute) and node.attr in LAYER_FIELDS:
        found.add(node.attr)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in LAYER_FIELDS:
        found.add(node.slice.value)
    if isinstance(node, ast.Name) and node.id in derived:
        found.add(node.id)
    return found.union(*(_layer_fields_in(child, derived) for child in ast.iter_child_nodes(node)))


def _derived_names(tree: ast.AST) -> frozenset:
    """Names bound to an expression of layer fields (kernels = range(spec.N); rows, cols = spec.out_hw), to a fixpoint."""
    derived: frozenset = frozenset()
    while True:
        more = set(derived)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                value = node.value
                if isinstance(value, ast.Call) and _call_name(value) not in ARITHMETIC_CALLS:
                    continue  # a call into gconv with layer fields is how a page should compute
                if _layer_fields_in(value, derived):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    more |= {n.id for t in targets for n in (t.elts if isinstance(t, ast.Tuple) else [t])
                             if isinstance(n, ast.Name)}  # not ss[key] = …: a store, not a derived value
        if more == derived:
            return derived
        derived = frozenset(more)


def _call_name(call: ast.Call) -> str:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


def arithmetic_on_fields(source: str) -> list[str]:
    """Every place a page computes with or decides on layer fields: operators (+ - * / // % ** and unary minus),
    comparisons, indexing and slicing with numbers (range(spec.N)[-1]), and arithmetic builtins (min, max, range)."""
    tree = ast.parse(source)
    derived = _derived_names(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            operands = [node.left, node.right]
        elif isinstance(node, ast.AugAssign):
            operands = [node.target, node.value]
        elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
            operands = [node.operand]
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.Subscript) and (isinstance(node.slice, (ast.Slice, ast.UnaryOp, ast.BinOp))
                                                  or _layer_fields_in(node.slice, derived)):
            operands = [node.value, node.slice]  # a slice, a negative or computed index: arithmetic in disguise
        elif isinstance(node, ast.Call) and _call_name(node) in ARITHMETIC_CALLS:
            operands = [*node.args, *(k.value for k in node.keywords)]
        else:
            continue
        fields = set().union(*(_layer_fields_in(o, derived) for o in operands))
        if fields:
            out.append(f"line {node.lineno}: {type(node).__name__} with {sorted(fields)}")
    return out


def test_the_arithmetic_check_catches_each_disguise():
    for code in ["x = spec.N - 1", "x = -spec.N", "x = range(spec.N)[-1]", "kernels = range(spec.N)\nx = kernels[-1]",
                 "x = max(layer['C'], 4)", "x = spec.weight_shape[1:]", "rows, cols = spec.out_hw\ny = rows * 2",
                 "if spec.G > 1:\n    pass", "x = min(v, len(range(spec.N)))", "n += spec.C"]:
        assert arithmetic_on_fields(code), code  # each is arithmetic (or a decision) on a layer field
    for code in ["x = cost.macs(spec)", "x = f'{spec.N}'", "x = spec.stride_hw[0]", "x = t('k', N=spec.N)", "x = layer['name']",
                 "groups = valid_groups(spec.C, spec.N)\ny = groups[0]", "x = not spec.bias"]:
        assert not arithmetic_on_fields(code), code  # calls into gconv, display and text keys are not


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_hold_no_arithmetic_on_layer_fields(path):
    # Every rule on a layer has its home in gconv/; a page only reads controls, calls gconv and draws.
    assert not arithmetic_on_fields(path.read_text()), path.name


def test_pages_without_torch_do_not_import_it():
    # Home and cost need no torch: a deep link there must not pay its import (the connectivity page
    # imports it inside the cached equivalence function only).
    code = ("import sys; sys.path.insert(0, '.'); import pages.shared.router, pages.shared.sidebar, gconv.plots.cost, "
            "gconv.plots.connectivity, gconv.ledger, pages.shared.bounds, gconv.presets, gconv.gdc, "
            "gconv.inspector; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
    for page in ("home.py", "cost.py", "connectivity.py"):
        text = (ROOT / "pages" / page).read_text()
        assert not re.search(r"^(import|from)\s+torch", text, re.M), page


def test_readme_example_output_is_real():
    # The README's library example, run now, prints exactly the block pasted under it.
    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    printed = re.search(r"prints\n\n```\n(.*?)```", text, re.S).group(1)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == printed


def test_quick_start_has_exactly_two_commands():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick, re.S)
    assert [c.strip() for c in commands] == [
        "python -m pip install -r requirements.txt && python -m streamlit run app.py",
        "python -m pip install -r requirements-dev.txt && python -m pytest"]
    assert "requirements-dev.txt && python -m pytest" in (ROOT / ".ci" / "run").read_text()


def test_pages_use_no_emoji():
    # Debian's chromium has no colour-emoji font: an emoji shows as an empty box there; material icons do not.
    emoji = re.compile("[\U0001F000-\U0001FFFF\u2600-\u26FF\u2B00-\u2BFF\uFE0F]")
    for path in [*(ROOT / "pages").rglob("*.py"), *(ROOT / "gconv" / "plots").glob("*.py")]:
        found = emoji.findall(path.read_text())
        assert not found, (path, found)
