"""How drafts read: key names, hotkey meanings, names as labels quote them, click phrases."""

from __future__ import annotations

from annotator.drafts import phrasing as ph


def test_keys_and_hotkeys_get_their_common_meaning_only_where_it_is_unambiguous():
    assert ph.key_phrase(["ctrl", "s"], 1) == "Press Ctrl+S to save"
    assert ph.key_phrase(["ctrl", "shift", "t"], 1) == "Press Ctrl+Shift+T to reopen the closed tab"
    assert ph.key_phrase(["ctrl", "c"], 1) == "Press Ctrl+C to copy"
    assert ph.key_phrase(["tab"], 1) == "Press Tab to move to the next field"
    # Ctrl+B is bold in an editor and bookmarks in a browser: just the keys.
    assert ph.key_phrase(["ctrl", "b"], 1) == "Press Ctrl+B"
    assert ph.key_phrase(["backspace"], 7) == "Press Backspace 7 times"
    assert ph.key_phrase(["enter"], 1) == "Press Enter"
    assert ph.key_phrase(["page_down"], 2) == "Press Page Down 2 times"
    assert ph.key_phrase(["alt", "f4"], 1) == "Press Alt+F4 to close the window"


def test_names_are_quoted_as_a_label_would_quote_them():
    assert ph.clean_name("&Save…") == "Save"
    assert ph.clean_name("Send...") == "Send"
    assert ph.clean_name("  Customer: ") == "Customer"
    assert ph.clean_name("Fish && chips") == "Fish & chips"
    assert ph.shorten("a " * 50, 20).endswith("…") and len(ph.shorten("a " * 50, 20)) <= 20


def test_click_phrases_follow_the_role():
    assert ph.click_phrase("click", "Save", "button") == 'Click "Save"'
    assert ph.click_phrase("click", "Customer", "field") == "Click the Customer field"
    assert ph.click_phrase("click", "File", "menu") == 'Open the "File" menu'
    assert ph.click_phrase("click", "Export", "menu item") == 'Choose "Export" in the menu'
    assert ph.click_phrase("click", "Remember me", "checkbox", checked=True) == \
        'Uncheck "Remember me"'
    assert ph.click_phrase("click", "Remember me", "checkbox") == 'Check "Remember me"'
    assert ph.click_phrase("right_click", "Travel", "row") == 'Right-click the "Travel" row'
    assert ph.click_phrase("double_click", "Q3 figures.xlsx", None) == \
        'Double-click "Q3 figures.xlsx"'
    assert ph.click_phrase("click", "Save", "button", context="the Invoice toolbar") == \
        'Click "Save" in the Invoice toolbar'
    assert ph.scroll_phrase(0, 3, "the Items list") == "Scroll down in the Items list"
    assert ph.join_parts(['Click the Customer field', 'Type "Acme"']) == \
        'Click the Customer field, then type "Acme"'
    assert ph.position_words(95, 5, (0, 0, 100, 100)) == "top right"
