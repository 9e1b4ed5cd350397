"""Plotly figure builders: each returns a go.Figure and renders nothing."""
