"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# ---------------------------------------------------------------- emulator fixture
# A started emulator with fast jobs. Override knobs per test with
# @pytest.mark.parametrize("emulator", [{"max_jobs": 1}], indirect=True).
from kontextlab.emulator import Emulator, EmulatorConfig


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    knobs = {"job_seconds": 0.2, "poll_tick": 0.05, **getattr(request, "param", {})}
    emu = Emulator(EmulatorConfig(**knobs))
    emu.start()
    yield emu
    emu.stop()


# ---------------------------------------------------------------- end of emulator fixture
