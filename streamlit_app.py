"""Kontext Lab: quick prompt experiments with FLUX.1 Kontext (useapi.net LTX Studio API)."""

from components import card_tools, frame

frame.run()
card_tools.open_linked()  # `?job=<row id>`: that picture, on History, for its owner only
