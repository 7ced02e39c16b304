"""The environment read in one place (annotator.settings) and the workspace preferences as a
fixed set of typed keys (annotator.preferences): defaults, secrets kept out of reprs,
unknown keys and wrong values reported without losing them, concurrent changes from the
app and a command both kept, and docs/settings.md listing exactly these keys."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from annotator import settings
from annotator.errors import AnnotatorError
from annotator.platformcheck import check_preferences
from annotator.preferences import Preferences
from annotator.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "settings.md").read_text()


def test_environment_read_once_with_defaults_and_hidden_secrets(tmp_path):
    s = settings.Settings.from_env({"ANNOTATOR_HOME": "~/x", "ANNOTATOR_PASSPHRASE": "hunter2",
                                    "ANNOTATOR_DATABASE_URL": "", "DISPLAY": ":7"})
    assert s.home == Path("~/x").expanduser() and s.database_url is None
    assert s.display == ":7" and s.value("ANNOTATOR_PASSPHRASE") == "hunter2"
    assert "hunter2" not in repr(s) and not s.on_server_host
    with pytest.raises(KeyError):
        s.value("HOME")
    # What a command reads is what the environment held when it started.
    now = settings.reload({"ANNOTATOR_HOME": str(tmp_path)})
    assert settings.current() is now and Workspace.open().root == tmp_path.resolve()


def test_docs_list_every_setting_and_preference():
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", DOC, re.M))
    assert documented == {k.name for k in settings.KEYS}
    for k in settings.KEYS:
        assert f"| `{k.name}` | {k.default} | {k.what} |" in DOC, k.name
    prefs = set(re.findall(r"^\| `([a-z_]+)` \|", DOC, re.M))
    assert prefs == {*Preferences.keys(), "preferences_version"}


def test_unknown_keys_and_bad_values_are_reported_and_kept(tmp_path):
    ws = Workspace.open(tmp_path / "ws")
    ws.preferences_path.write_text(json.dumps({
        "preferences_version": 2, "raw_retention": "shred", "personal_deny_list": ["Ana"],
        "theme": "dark", "recording_tasks": {"/x": "seven"}}))
    prefs = ws.preferences()
    assert prefs.raw_retention == "ask" and prefs.personal_deny_list == ["Ana"]
    assert prefs.recording_tasks == {}
    assert any("theme" in p for p in prefs.problems)
    assert any("raw_retention" in p and "recording_tasks" in p for p in prefs.problems)
    check = check_preferences(ws.root)
    assert not check.ok and "theme" in check.found and "preferences.json" in check.fix
    # Saving another preference keeps the unknown key (a newer version may own it) and
    # rewrites the bad values as their defaults.
    ws.set_retention("keep")
    on_disk = json.loads(ws.preferences_path.read_text())
    assert on_disk["theme"] == "dark" and on_disk["raw_retention"] == "keep"
    assert on_disk["recording_tasks"] == {}
    with pytest.raises(AnnotatorError, match="not a preference"):
        ws.set_preference("theme", "light")
    with pytest.raises(AnnotatorError, match="not a valid value"):
        ws.set_preference("personal_deny_list", "Ana")
    ws.preferences_path.write_text("{not json")
    assert "cannot be read" in ws.preferences().problems[0]
    assert check_preferences(tmp_path / "nowhere").ok  # no workspace yet: defaults


def test_the_app_and_a_command_changing_preferences_at_once_both_keep_their_change(tmp_path):
    ws = Workspace.open(tmp_path / "ws")

    def remember(n: int) -> None:
        with Workspace(ws.root).edit_preferences() as prefs:
            prefs.submitted_recordings[str(n)] = f"/rec-{n}"

    threads = [threading.Thread(target=remember, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ws.preferences().submitted_recordings == {str(n): f"/rec-{n}" for n in range(16)}
