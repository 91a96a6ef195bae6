"""Settings are read once from CONVENE_* variables; a wrong value stops start-up with a clear message."""

from __future__ import annotations

import pytest

from convene.errors import ConfigError
from convene.settings import Settings


def env(tmp_path, **values: str) -> dict[str, str]:
    return {"CONVENE_DATA_DIR": str(tmp_path), "CONVENE_SECRET_KEY": "k" * 48, **values}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", False), ("on", True), ("1", True), ("TRUE", True), ("yes", True), ("off", False), ("0", False)],
)
def test_ws_compression_reads_on_and_off(tmp_path, raw, expected):
    settings = Settings.from_env(env(tmp_path, CONVENE_WS_COMPRESSION=raw))
    assert settings.ws_compression is expected


def test_a_value_that_is_neither_on_nor_off_is_refused_by_name(tmp_path):
    with pytest.raises(ConfigError, match="CONVENE_WS_COMPRESSION must be on or off.*'maybe'"):
        Settings.from_env(env(tmp_path, CONVENE_WS_COMPRESSION="maybe"))


def test_a_number_setting_that_is_not_a_number_is_refused_by_name(tmp_path):
    with pytest.raises(ConfigError, match="CONVENE_WS_QUEUE_FRAMES must be a whole number, not 'lots'"):
        Settings.from_env(env(tmp_path, CONVENE_WS_QUEUE_FRAMES="lots"))
