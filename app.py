"""gconv app entry point (placeholder until the pages land)."""
import streamlit as st

st.set_page_config(page_title="gconv: group convolution, made visible", layout="wide")
st.title("gconv: group convolution, made visible")
