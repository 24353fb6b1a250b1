"""Kontext Lab: quick prompt experiments with FLUX.1 Kontext (useapi.net LTX Studio API)."""

from components import frame

frame.run()
