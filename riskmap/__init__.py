"""Application shell: the command-line interface and the UI's translation table."""
