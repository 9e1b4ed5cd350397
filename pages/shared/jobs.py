"""Process-wide memos shared by all sessions: each result is computed once, whoever asks first."""
import streamlit as st

from gconv.memo import Memo


@st.cache_resource
def memo(name: str, max_entries: int = 32) -> Memo:
    """The shared, bounded memo called name (one per process, used by every session)."""
    return Memo(max_entries)
