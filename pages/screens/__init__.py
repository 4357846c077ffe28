"""The page scripts. They live one level down so that Streamlit's old automatic multipage
mode (any ``*.py`` directly in ``pages/`` beside the main script) finds nothing to run, and
every URL goes through ``app.py``'s ``st.navigation``."""
