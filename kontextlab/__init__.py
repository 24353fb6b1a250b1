"""Kontext Lab core: plain Python, never imports streamlit."""

__version__ = "0.1.0"
APP_NAME = "KontextLab"
