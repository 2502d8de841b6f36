"""Render scored data into the board pack, its HTML twin, the data book and reports."""
