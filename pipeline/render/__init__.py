"""Scored and validated frames in; the board pack, its HTML twin, the data book and reports out."""
