"""Streamlit pages: thin — read widgets, call data/scoring/layers, render."""
