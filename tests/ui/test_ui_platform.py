"""Starting without a display: offscreen when unattended, one clear error otherwise."""

import sys

import pytest

from ledgerdesk.ui.app import NoDisplayError, choose_platform

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="display variables are Linux's")


@pytest.fixture
def headless(monkeypatch):
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_unattended_start_without_display_renders_offscreen(headless):
    import os

    choose_platform(unattended=True)
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"


def test_interactive_start_without_display_is_one_clear_error(headless):
    with pytest.raises(NoDisplayError) as err:
        choose_platform(unattended=False)
    assert "DISPLAY" in err.value.message and err.value.key == "no-display"


def test_an_explicit_platform_or_a_display_is_left_alone(headless):
    import os

    headless.setenv("DISPLAY", ":0")
    choose_platform(unattended=False)
    assert "QT_QPA_PLATFORM" not in os.environ
    headless.setenv("QT_QPA_PLATFORM", "minimal")
    choose_platform(unattended=True)
    assert os.environ["QT_QPA_PLATFORM"] == "minimal"
