"""Saved list state (filters): written only when it changes."""

from PySide6.QtCore import QSettings

from ledgerdesk.ui.widgets.record_table import load_state, save_state


def test_saving_the_same_state_again_writes_nothing_and_a_change_is_written(app):
    save_state("页面/filters", {"village": "v-1", "text": "王"})
    QSettings().setValue("页面/filters", '{"marker": 1}')  # what the file holds now, behind our back
    save_state("页面/filters", {"village": "v-1", "text": "王"})
    assert load_state("页面/filters") == {"marker": 1}  # the unchanged state was not written again
    save_state("页面/filters", {"village": "v-2"})
    assert load_state("页面/filters") == {"village": "v-2"}
    assert load_state("没有/filters") == {}
