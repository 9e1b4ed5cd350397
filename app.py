"""gconv app entry: the router. Shared sidebar controls first, then the chosen page, then the URL."""
import streamlit as st

from pages.shared import ui

st.set_page_config(page_title="gconv: group convolution, made visible", page_icon="🧩", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/connectivity.py", title="Connectivity", icon=":material/hub:", url_path="connectivity"),
    st.Page("pages/cost.py", title="Cost", icon=":material/calculate:", url_path="cost"),
]

page = st.navigation(PAGES)
ui.layer_controls()
ui.show_problems()
page.run()
ui.write_url()
