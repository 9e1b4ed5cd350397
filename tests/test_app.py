"""The layer pages through AppTest: every page, every preset, edge inputs, URL state, figure contents."""
import json

import numpy as np
import pytest
import torch
import torch.nn as nn

from apptest import LAYER_PAGES, array, chart, charts, metric, run_app, shown, torch_params
from gconv import ConvSpec, valid_groups
from gconv.parse import to_text
from gconv.presets import PRESETS


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_page_runs_for_every_preset(key):
    preset = PRESETS[key]
    at = run_app(**to_text(preset.spec))
    assert at.session_state["spec"] == preset.spec
    for page in LAYER_PAGES[1:]:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.session_state["spec"] == preset.spec
        assert at.get("plotly_chart") or page in ("pages/gdc.py", "pages/timing.py"), page
        if page == "pages/cost.py":
            assert metric(at, "params") == f"{torch_params(preset.spec):,}"


# (link, the layer it must show, what the page must say about the link; [] = a valid link, nothing to say)
EDGE_LINKS = [
    (dict(C=1, N=1, G=1, K=1, H=1, W=1), ConvSpec(C=1, N=1, G=1, K=1, H=1, W=1), []),
    (dict(C=1, N=7, G=1, K=3, H=3, W=3), ConvSpec(C=1, N=7, G=1, K=3, H=3, W=3), []),
    (dict(C=64, N=64, G=64, K=3, H=8, W=8, padding=1), ConvSpec(C=64, N=64, G=64, K=3, H=8, W=8, padding=1), []),
    # K larger than H: the output would be empty (nn.Conv2d refuses it); the largest kernel that fits is 5
    (dict(C=16, N=16, G=4, K=9, H=5, W=5), ConvSpec(C=16, N=16, G=4, K=5, H=5, W=5),
     ["the output would be empty", "showing K=5"]),
    (dict(C="abc", N="-3", G="0", K="99999999999", H="1e3", W="", stride="x", padding="-1", dilation="0",
          bias="maybe", junk="<script>alert(1)</script>", n="zzz", layers="99", shuffle="perhaps", ops="MOPS",
          dtype="fp12", batch="-1"), None,
     ["C='abc' is not a whole number", "N='-3' is not a whole number", "G=0 is outside 1 to 4096",
      "K='99999999999' is not a size", "H='1e3' is not a whole number", "bias='maybe' is not a yes/no value"]),
    (dict(C="4096", N="4096", G="4096", K="3", H="1024", W="1024"),
     ConvSpec(C=4096, N=4096, G=4096, K=3, H=1024, W=1024), []),
    (dict(C="999999", N="2", G="2", K="7x6", H="7", W="6"), ConvSpec(C=4096, N=2, G=2, K=(7, 6), H=7, W=6),
     ["C=999999 is outside 1 to 4096; using C=4096"]),
]


@pytest.mark.parametrize("params, layer, said", EDGE_LINKS)
@pytest.mark.parametrize("page", LAYER_PAGES)
def test_edge_links_render_with_messages(page, params, layer, said):
    at = run_app(page, **params)
    spec = at.session_state["spec"]
    assert isinstance(spec, ConvSpec)  # a valid layer is always on screen
    if layer is not None:
        assert spec == layer
    text = " ".join(shown(w.value) for w in at.warning) + " ".join(shown(e.value) for e in at.error)
    for words in said:
        assert words in text, (words, text)
    if not said:
        assert not at.warning and not at.error, text
    if page not in ("pages/home.py", "pages/gdc.py", "pages/timing.py"):
        assert at.get("plotly_chart")


def test_nonsense_link_explains_each_problem():
    at = run_app("pages/cost.py", C="abc", G="3", K="9", H="5", W="5", padding="0", ops="MOPS")
    text = " ".join(shown(w.value) for w in at.warning) + " ".join(shown(e.value) for e in at.error)
    assert "C='abc' is not a whole number" in text
    # C='abc' keeps the app's default layer's C=8 (and N=8): the common divisors of 8 and 8 are 1, 2, 4, 8
    assert "G=3 must divide C=8 and N=8; valid G: 1, 2, 4, 8" in text
    assert "padding ≥ 2" in text and "showing K=5" in text
    assert "ops='MOPS' ignored: valid: MAC, FLOP" in text
    assert at.session_state["spec"] == ConvSpec(C=8, N=8, G=4, K=5, H=5, W=5, padding=0)


def test_link_restores_state_and_is_written_back():
    params = dict(C=96, N=256, G=2, K=5, H=27, W=27, padding=2, bias="true", ops="FLOP", dtype="fp16", batch=8,
                  edit=1)
    at = run_app("pages/cost.py", **params)
    spec = ConvSpec(C=96, N=256, G=2, K=5, H=27, W=27, padding=2, bias=True)
    assert at.session_state["spec"] == spec
    assert at.number_input(key="w_C").value == 96 and at.select_slider(key="w_G").value == 2
    assert at.checkbox(key="w_bias").value is True
    assert metric(at, "FLOPs per sample") == f"{2 * 256 * 27 * 27 * 48 * 25:,}"  # 2·N·Ho·Wo·(C/G)·K²
    assert at.query_params["ops"] == ["FLOP"] or at.query_params["ops"] == "FLOP"
    for k, v in to_text(spec).items():
        got = at.query_params[k]
        assert (got[0] if isinstance(got, list) else got) == v
    assert at.query_params["edit"] in ("1", ["1"])  # the open form stays open in the link


def _sidebar_text(at) -> str:
    return " ".join(shown(m.value) for m in at.sidebar.markdown) + " ".join(shown(c.value) for c in at.sidebar.caption)


@pytest.mark.parametrize("page", ["pages/home.py", "pages/connectivity.py", "pages/cost.py"])
def test_layer_form_is_closed_on_a_first_visit_and_says_the_layer(page):
    # Oracle: the link's own numbers; nn.Conv2d's output size for the map after the arrow.
    at = run_app(page, C=64, N=128, G=4, K=3, H=56, W=56, stride=2, padding=1, bias="true")
    out = nn.Conv2d(64, 128, 3, stride=2, padding=1, groups=4)(torch.zeros(1, 64, 56, 56)).shape[-1]
    assert f"group conv: C=64 → N=128, G=4, K=3×3, 56×56 → {out}×{out}, stride 2, padding 1, with bias" in \
        _sidebar_text(at)
    assert not [w for w in at.number_input if (w.key or "").startswith("w_")]  # the form did not run
    assert not at.sidebar.toggle and not [b for b in at.sidebar.button_group if b.key == "w_preset"]
    assert "edit" not in at.query_params
    expander = next(e for e in at.sidebar.expander if e.label == "Change the layer")
    assert expander.proto.expanded is False


def test_opening_the_layer_form_draws_it_and_keeps_it_open():
    at = run_app("pages/cost.py", C=64, N=128, G=4, K=3, H=56, W=56, padding=1)
    # AppTest cannot click an expander: this is what its callback does (a browser test clicks the real one)
    at.session_state["_form_open"] = True
    at.run()
    assert at.number_input(key="w_C").value == 64 and at.select_slider(key="w_G").value == 4
    assert at.query_params["edit"] in ("1", ["1"])
    at.number_input(key="w_C").set_value(96).run()
    assert "C=96 → N=128" in _sidebar_text(at)  # the line follows the form
    at.switch_page("pages/connectivity.py").run()
    assert at.number_input(key="w_C").value == 96  # still open on the next page


@pytest.mark.parametrize("text, open_", [("1", True), ("true", True), ("0", False), ("maybe", False)])
def test_edit_in_the_link(text, open_):
    at = run_app("pages/cost.py", edit=text)
    assert bool([w for w in at.number_input if w.key == "w_C"]) is open_
    said = " ".join(shown(w.value) for w in at.warning) + " ".join(shown(e.value) for e in at.error)
    assert ("edit='maybe' ignored" in said) is (text == "maybe")


def test_changing_a_widget_changes_the_numbers():
    at = run_app("pages/cost.py", edit=1, C=64, N=128, G=4, K=3, H=56, W=56, padding=1)
    assert metric(at, "params") == f"{torch_params(ConvSpec(C=64, N=128, G=4, K=3, H=56, W=56)):,}"
    at.select_slider(key="w_G").set_value(16).run()
    assert metric(at, "params") == f"{torch_params(ConvSpec(C=64, N=128, G=16, K=3, H=56, W=56)):,}"
    at.number_input(key="w_C").set_value(96).run()  # G=16 still divides 96 and 128
    assert at.session_state["spec"].C == 96
    assert metric(at, "params") == f"{torch_params(ConvSpec(C=96, N=128, G=16, K=3, H=56, W=56)):,}"
    at.number_input(key="w_C").set_value(24).run()  # 16 does not divide 24: G moves to a valid divisor
    spec = at.session_state["spec"]
    assert spec.G in valid_groups(24, 128) and spec.G == 8  # nearest valid divisor on a log scale


def test_group_slider_offers_only_divisors():
    at = run_app("pages/connectivity.py", edit=1, C=12, N=18, G=3, K=3, H=8, W=8)
    options = at.select_slider(key="w_G").options
    assert len(options) == len(valid_groups(12, 18)) == 4
    assert options[0].startswith("1") and "standard" in options[0]


def test_depth_multiplier_appears_for_depthwise():
    at = run_app("pages/cost.py", edit=1, C=32, N=32, G=32, K=3, H=16, W=16, padding=1)
    assert at.number_input(key="w_m").value == 1
    at.number_input(key="w_m").set_value(3).run()
    assert at.session_state["spec"] == ConvSpec(C=32, N=96, G=32, K=3, H=16, W=16, padding=1)
    assert "multiplier" in at.session_state["spec"].kind_label
    at = run_app("pages/cost.py", edit=1, C=32, N=64, G=4)
    assert not [w for w in at.number_input if w.key == "w_m"]


def test_invalid_widget_combination_shows_message_and_page_still_renders():
    at = run_app("pages/connectivity.py", edit=1, C=8, N=8, G=2, K=3, H=8, W=8, padding=0)
    at.number_input(key="w_K").set_value(11).run()
    assert not at.exception
    errors = " ".join(shown(e.value) for e in at.error)
    assert "the output would be empty" in errors and "showing K=8" in errors
    assert at.session_state["spec"].K == 8
    keys = [c.key for c in at.get("plotly_chart")]
    assert keys == ["bipartite_chart_0", "mask_chart", "reach_chart"]  # the first view
    at.segmented_control(key="wp_view").set_value("sliding").run()
    assert [c.key for c in at.get("plotly_chart")] == ["tensor_chart", "numbers_chart"] and not at.exception


def test_rectangular_kernel_controls():
    at = run_app("pages/cost.py", edit=1, C=512, N=512, G=512, K="7x6", H=7, W=6)
    assert at.toggle(key="w_rect").value is True
    assert at.number_input(key="w_K_h").value == 7 and at.number_input(key="w_K_w").value == 6
    assert at.session_state["spec"].kind.value == "gdc"
    at.number_input(key="w_K_w").set_value(5).run()
    assert at.session_state["spec"].K == (7, 5)
    at.toggle(key="w_rect").set_value(False).run()
    assert at.number_input(key="w_K").value == 7  # square again: the height side is kept
    # ...and a 7×7 kernel no longer fits W=6 without padding: said, and the nearest valid layer is shown
    assert "showing K=7x6" in " ".join(shown(e.value) for e in at.error)


def _kernel_shown(at) -> int:
    """The kernel the groups view describes, read from its sentence, checked against the link."""
    import re

    n = next(int(m.group(1)) for e in at.markdown if (m := re.match(r"Kernel \*\*(\d+)\*\*", e.value)))
    assert at.query_params["n"] in (str(n), [str(n)])
    return n


def test_kernel_arrows_step_a_kernel_or_a_group():
    # Oracle: the group rule, kernel n reads inputs of group n // (N/G): N=12, G=4 -> groups of 3 kernels
    at = run_app("pages/connectivity.py", C=8, N=12, G=4, K=3, H=6, W=6, n=5)
    for key, want in (("kernel_next", 6), ("kernel_next", 7), ("kernel_prev_group", 3), ("kernel_prev_group", 0),
                      ("kernel_prev", 0), ("kernel_next_group", 3), ("kernel_next_group", 6), ("kernel_next_group", 9),
                      ("kernel_next_group", 9), ("kernel_next", 10), ("kernel_next", 11), ("kernel_next", 11)):
        at.button(key=key).click().run()
        assert _kernel_shown(at) == want, key
        assert f"group {want // 3}" in shown(" ".join(m.value for m in at.markdown))


def test_connectivity_figures_against_group_rule():
    at = run_app("pages/connectivity.py", C=8, N=12, G=4, K=3, H=6, W=6, n=5)
    bip, mask, reach = chart(at, "bipartite"), chart(at, "mask"), chart(at, "reach")
    names = [t.get("name") for t in bip["data"]]
    assert [f"group {g}" for g in range(4)] == [n for n in names if n and n.startswith("group ")]
    assert "kernel 5 reads inputs 2–3" in names  # n=5 is in group 5 // (12/4) = 1: inputs 2, 3
    z = array(mask["data"][0]["z"])
    n, c = np.indices((12, 8))
    assert (z.astype(bool) == (n // 3 == c // 2)).all()  # independent rule: same group index
    assert "structured sparsity" in mask["layout"]["title"]["text"]
    assert array(reach["data"][0]["z"]).mean() == pytest.approx(1 / 4)  # no shuffle: 1/G
    assert _kernel_shown(at) == 5
    at.segmented_control(key="wp_shuffle").set_value(True).run()
    reach = chart(at, "reach")
    assert chart(at, "shuffle")["layout"]["title"]["text"].startswith("Channel shuffle of 12 channels in G=4 groups")
    # One shuffle of 4 groups of 3: each layer-2 group draws from 3 of the 4 layer-1 groups (ShuffleNet Fig. 1c)
    assert array(reach["data"][0]["z"]).mean() == pytest.approx(3 / 4)
    at.segmented_control(key="wp_layers").set_value(3).run()
    assert array(chart(at, "reach")["data"][0]["z"]).mean() == pytest.approx(1.0)  # a second shuffle mixes all


def test_large_layers_aggregate():
    at = run_app("pages/connectivity.py", C=512, N=512, G=16, K=3, H=14, W=14, padding=1)
    bip = charts(at)[0]
    assert "group blocks" in bip["layout"]["title"]["text"]
    assert sum(array(t.get("x", [])).size for t in bip["data"]) < 20_000


def test_equivalence_is_shown():
    at = run_app("pages/connectivity.py", C=8, N=8, G=4, K=3, H=6, W=6, padding=1)
    assert any("`nn.Conv2d(8, 8, kernel_size=3" in m.value for m in at.markdown)
    assert any("agree" in s.value for s in at.success)


def test_cost_page_chart_and_download():
    at = run_app("pages/cost.py", C=64, N=128, G=4, K=3, H=56, W=56, padding=1)
    sweep = charts(at)[0]
    params_trace = next(t for t in sweep["data"] if t["name"] == "params")
    gs = valid_groups(64, 128)
    assert array(params_trace["x"]).tolist() == gs
    assert array(params_trace["y"]).tolist() == [torch_params(ConvSpec(C=64, N=128, G=g, K=3, H=56, W=56)) for g in gs]
    assert sweep["layout"]["yaxis"]["type"] == "log"
    assert any(t["name"] == "current G=4" for t in sweep["data"])
    at.segmented_control(key="wp_ops").set_value("FLOP").run()
    assert any(m.label.startswith("FLOPs per sample") for m in at.metric)
    assert at.get("download_button")


def test_home_story_buttons_load_presets():
    at = run_app()
    buttons = [b for b in at.button if b.key and b.key.startswith("story_")]
    assert len(buttons) == 7
    at.button(key="story_mobilefacenet_gdc").click().run()
    assert not at.exception
    assert at.session_state["spec"] == PRESETS["mobilefacenet_gdc"].spec


def test_preset_pills_load_and_mark_current():
    at = run_app("pages/cost.py", edit=1)
    at.button_group(key="w_preset").set_value("alexnet_conv2").run()
    assert at.session_state["spec"] == PRESETS["alexnet_conv2"].spec
    assert at.button_group(key="w_preset").value == "alexnet_conv2"
    at.number_input(key="w_H").set_value(28).run()
    assert at.button_group(key="w_preset").value is None  # no longer a preset


def test_dependent_ranges_follow_other_controls():
    at = run_app("pages/connectivity.py", edit=1, C=16, N=16, G=4, K=3, H=8, W=8, n=15)
    at.number_input(key="w_N").set_value(8).run()  # n=15 no longer exists: it moves to the last kernel
    assert not at.exception and _kernel_shown(at) == 7


def test_the_first_view_draws_every_edge():
    # A first visit (no link): a layer small enough that the diagram draws each edge, not group bands.
    at = run_app("pages/connectivity.py")
    spec = at.session_state["spec"]
    assert spec.C <= 16 and spec.N <= 16 and 1 < spec.G < spec.C  # a grouped layer, to see groups at once
    bip = charts(at)[0]
    assert "every edge drawn" in bip["layout"]["title"]["text"]
    edges = [t for t in bip["data"] if (t.get("name") or "").startswith("group")]
    assert sum(np.isfinite(array(t["y"]).astype(float)).sum() // 2 for t in edges) == spec.N * spec.C // spec.G


def test_numbers_view_adds_up_to_torch():
    import torch
    import torch.nn.functional as F

    from gconv.terms import sample_values
    at = run_app("pages/connectivity.py", C=4, N=8, G=2, K=3, H=6, W=6, padding=2, dilation=2, n=5, i=1, j=4,
                 view="sliding")
    spec = at.session_state["spec"]
    x, w, _ = sample_values(spec)
    y = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), padding=2, dilation=2, groups=2)[0, 5, 1, 4]
    said = " ".join(s.value for s in at.success)
    assert f"Σ = **{float(y):g}**; torch's F.conv2d gives y[5, 1, 4] = **{float(y):g}**" in said  # oracle: torch
    products = next(m.value for m in at.markdown if m.value.startswith("- input 2:"))
    assert products.count("·") == 2 * 9  # kernel 5 is in group 1: inputs 2 and 3, 3×3 taps each
    fig = chart(at, "numbers")
    assert "y[5, 1, 4] reads 2 channel(s) × 3×3 taps" in fig["layout"]["title"]["text"]
    at = run_app("pages/connectivity.py", C=64, N=64, G=4, K=3, H=8, W=8, padding=1, view="sliding")
    assert any("Shown for layers of at most 8 input channels" in c.value for c in at.caption)


def test_home_lists_the_pages_with_icons_that_need_no_emoji_font():
    # Debian's chromium has no colour-emoji font: emoji render as empty boxes there, material icons do not.
    at = run_app()
    listed = [line for m in at.markdown for line in m.value.splitlines() if line.startswith("- :material/")]
    assert len(listed) == 6  # every page but Home
    assert not any(ord(ch) >= 0x1F000 or 0x2300 <= ord(ch) <= 0x23FF for m in listed for ch in m)


def test_sliding_view_follows_kernel_position_and_g():
    at = run_app("pages/connectivity.py", edit=1, C=8, N=8, G=2, K=3, H=6, W=6, padding=1, n=5, i=2, j=3, view="sliding")
    fig = chart(at, "tensor")
    assert fig["frames"][0]["name"] == "2,3" and len(fig["frames"]) == 36  # every position of the 6×6 output
    assert fig["layout"]["title"]["text"].startswith("Kernel 5 (4×3×3, group 1)")  # 5 // (8/2) = group 1
    assert any(h.value == "The numbers of y[5, 2, 3]" for h in at.subheader)  # the numbers view follows
    at.select_slider(key="w_G").set_value(8).run()  # to depthwise, from the sidebar
    fig = chart(at, "tensor")
    assert fig["layout"]["title"]["text"].startswith("Kernel 5 (1×3×3, group 5)")
    assert fig["frames"][0]["name"] == "2,3"  # the position stays
    at = run_app("pages/connectivity.py", C=64, N=64, G=8, K=3, H=32, W=32, padding=1, n=20, i=12, j=7,
                 view="sliding")
    said = " ".join(c.value for c in at.caption)
    assert "not drawn: 16 of 64 input channels" in said and "100 of 1024 output positions" in said
    assert chart(at, "tensor")["frames"][0]["name"] == "12,7"


def test_home_is_seven_pictures_beside_their_text():
    at = run_app()
    keys = [c.key for c in at.get("plotly_chart")]
    assert keys == ["picture_standard", "picture_resnext", "picture_alexnet_conv2", "picture_shufflenet_1x1",
                    "picture_mobilenet_dw", "picture_separable", "picture_mobilefacenet_gdc"]  # each step's preset
    assert all(json.loads(c.proto.config)["staticPlot"] for c in at.get("plotly_chart"))  # pictures, light
    titles = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert len(titles) == 7 and titles[0].startswith("#### 1. Convolution") and "GDC vs GAP" in titles[-1]
    assert "GDC 100%, GAP 50%" in chart(at, "picture_mobilefacenet_gdc")["layout"]["title"]["text"]
