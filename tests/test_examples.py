"""The example notebooks run top to bottom in a real Jupyter kernel (nbclient + ipykernel), as an engineer runs them.

Oracle: the notebook's own assertions, and its outputs: the summary's HTML table, the reach figure (Plotly's mime
type), and the findings before and after the fix.
"""
import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

pytestmark = pytest.mark.slow


def test_debug_a_network_runs_and_shows_the_table_and_the_figure():
    nb = nbformat.read(ROOT / "examples" / "debug_a_network.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("<table>" in h and "never mix" in h for h in html)  # the buggy stack's summary, its finding first
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs)  # the reach heatmap
    texts = [o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs]
    assert any("[8 8 8" in t for t in texts)  # each output of the last conv sees one group's 8 inputs
    assert any("'healthy'" in t for t in texts)  # after the fix
