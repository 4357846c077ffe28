"""Coordinates, H3 cells and point-in-polygon joins. Imports nothing of ours."""
