"""Roles see what they must, cell by cell: for every state of a submission and every role,
its record, a file, its history, its checks and its place in the review queue answer as the
table in docs/server.md ("Who sees what") says.  The table is written out here, not derived
from the code under test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotator.workflow.service import CommentIn
from annotator.workflow.states import State
from tests.server.helpers import package

DOCS = Path(__file__).resolve().parents[2] / "docs" / "server.md"
WHO = ("author", "another contributor", "reviewer", "admin")
WHAT = ("record", "file", "history", "checks", "queue")
Y, N = "yes", "no"
# state -> who -> what -> seen?  (queue: listed when asked for that state)
ALL = dict.fromkeys(WHAT, Y)
NONE = dict.fromkeys(WHAT, N)
OWN = dict(ALL, queue=N)  # an author's own never shows in their queue (contributors have none)
SUBMITTED = {"author": OWN, "another contributor": NONE, "reviewer": ALL, "admin": ALL}
TABLE: dict[str, dict[str, dict[str, str]]] = {
    "draft": {"author": OWN, "another contributor": NONE, "reviewer": NONE, "admin": NONE},
    "submitted": SUBMITTED,
    "in_review": SUBMITTED,
    "approved": SUBMITTED,
    "changes_requested": SUBMITTED,
    "rejected": SUBMITTED,
    "superseded": SUBMITTED,
    "withdrawn": {"author": dict(NONE, record=Y, history=Y, checks=Y),
                  "another contributor": NONE, "reviewer": NONE,
                  "admin": dict(NONE, record=Y, history=Y, checks=Y)},
}


def table_markdown() -> str:
    head = "| state | " + " | ".join(WHO) + " |"
    lines = [head, "|---|" + "---|" * len(WHO)]
    short = {"record": "r", "file": "f", "history": "h", "checks": "c", "queue": "q"}
    for state, row in TABLE.items():
        cells = []
        for who in WHO:
            seen = "".join(short[w] for w in WHAT if row[who][w] == Y)
            cells.append(seen or "-")
        lines.append(f"| {state} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_the_docs_carry_this_table():
    assert table_markdown() in DOCS.read_text(), table_markdown()


@pytest.fixture(scope="module")
def cast(team, tmp_path_factory):
    """A submission of one author in every state, and a token for every role."""
    tmp = tmp_path_factory.mktemp("vis")
    svc = team.svc
    people = {}
    for who, role in (("author", "contributor"), ("another contributor", "contributor"),
                      ("reviewer", "reviewer"), ("second reviewer", "reviewer")):
        name, pw, token = team.new_user(role)
        people[who] = (svc.sign_in(name=name, passphrase=pw), token)
    people["admin"] = (svc.sign_in(name="admin", passphrase="admin passphrase"),
                       team.admin_token)
    ana, rita = people["author"][0], people["second reviewer"][0]

    def sub(submit: bool = True):
        return svc.ingest_package(actor=ana, folder=package(team, tmp, ana.pseudonym),
                                  submit=submit)

    subs = {"draft": sub(submit=False), "submitted": sub()}
    s = sub()
    svc.claim(actor=rita, submission_id=s.id)  # in review by the other reviewer
    subs["in_review"] = s
    for state in ("approved", "rejected", "changes_requested", "superseded"):
        s = sub()
        svc.claim(actor=rita, submission_id=s.id)
        if state == "approved":
            svc.approve(actor=rita, submission_id=s.id, quality=4)
        elif state == "rejected":
            svc.reject(actor=rita, submission_id=s.id, reason="off task")
        else:
            svc.request_changes(actor=rita, submission_id=s.id,
                                comments=[CommentIn("redo", step_index=0)])
            if state == "superseded":
                svc.ingest_package(actor=ana, folder=package(team, tmp, ana.pseudonym),
                                   previous_id=s.id)
        subs[state] = s
    s = sub()
    svc.withdraw(actor=ana, submission_id=s.id)
    subs["withdrawn"] = s
    for state, s in subs.items():
        assert svc.get_submission(actor=ana, submission_id=s.id).info.state is State(state)
    return people, {state: s.id for state, s in subs.items()}


def _seen(team, token: str, what: str, sid: int, state: str) -> str:
    with team.http(token) as h:
        if what == "queue":
            r = h.get("/v1/queue", params={"state": state, "limit": 500, "include_own": True})
            return Y if r.status_code == 200 and sid in [i["id"] for i in r.json()] else N
        path = {"record": f"/v1/submissions/{sid}",
                "file": f"/v1/submissions/{sid}/files/video.mp4",
                "history": f"/v1/submissions/{sid}/history",
                "checks": f"/v1/submissions/{sid}/checks"}[what]
        r = h.get(path)
    assert r.status_code in (200, 404), (what, state, r.status_code, r.text)
    if r.status_code == 404:
        assert not re.search(r"\bis (a draft|withdrawn|in review)", r.text)  # no hint
    return Y if r.status_code == 200 else N


@pytest.mark.parametrize("state", list(TABLE))
def test_every_cell_of_the_visibility_table(team, cast, state):
    people, sids = cast
    got = {who: {what: _seen(team, people[who][1], what, sids[state], state) for what in WHAT}
           for who in WHO}
    assert got == TABLE[state]
