"""Reviewers racing for the same submission, with threads: exactly one wins.

The window between reading a submission and writing its claim is widened on purpose (a
sleep in ``Services._subject_of``), so without row locking (PostgreSQL ``FOR UPDATE`` /
``SKIP LOCKED``) or a single writer (SQLite ``BEGIN IMMEDIATE``) both would win."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from annotator.workflow.errors import ClaimedByAnother
from annotator.workflow.service import Services
from annotator.workflow.states import State


@pytest.fixture
def slow_subject(monkeypatch):
    original = Services._subject_of

    def slow(self, s, sub):
        time.sleep(0.05)
        return original(self, s, sub)

    monkeypatch.setattr(Services, "_subject_of", slow)


def race(fns):
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = ("ok", fn())
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = ("error", exc)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_reviewers_claim_the_same_submission(world, slow_subject) -> None:
    svc, w = world.svc, world
    for _round in range(3):
        sub = w.submit()
        results = race([lambda sid=sub.id: svc.claim(actor=w.rev, submission_id=sid),
                        lambda sid=sub.id: svc.claim(actor=w.rita, submission_id=sid)])
        wins = [r for kind, r in results if kind == "ok"]
        losses = [r for kind, r in results if kind == "error"]
        assert len(wins) == 1 and len(losses) == 1, results
        assert isinstance(losses[0], ClaimedByAnother), losses[0]
        final = w.get(sub.id)
        assert final.state is State.IN_REVIEW and final.claimed_by == wins[0].claimed_by
        claims = [h for h in svc.get_submission(actor=w.admin, submission_id=sub.id).history
                  if h.action == "claim"]
        assert len(claims) == 1


def test_claim_next_never_hands_out_the_same_item_twice(world, slow_subject) -> None:
    svc, w = world.svc, world
    subs = [w.submit(w.ana if i % 2 else w.bob) for i in range(6)]
    reviewers = [w.rev, w.rita, w.admin, w.admin2]
    got: list[int] = []
    lock = threading.Lock()

    def worker(actor):
        def run():
            mine = []
            while (item := svc.claim_next(actor=actor)) is not None:
                mine.append(item.id)
            with lock:
                got.extend(mine)
            return mine
        return run

    results = race([worker(r) for r in reviewers])
    assert all(kind == "ok" for kind, _ in results), results
    assert sorted(got) == sorted(s.id for s in subs)
    assert not [k for k, n in Counter(got).items() if n > 1]


def test_one_item_many_reviewers(world, slow_subject) -> None:
    svc, w = world.svc, world
    sub = w.submit()
    results = race([lambda a=a: svc.claim_next(actor=a)
                    for a in (w.rev, w.rita, w.admin, w.admin2)])
    assert all(kind == "ok" for kind, _ in results), results
    winners = [r for _, r in results if r is not None]
    assert len(winners) == 1 and winners[0].id == sub.id
