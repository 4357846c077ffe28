"""The risk model and area aggregates. Never imports streamlit."""
