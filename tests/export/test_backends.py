"""The exporter's read-only query and blob reads on both store backends (SQLite and a
throwaway PostgreSQL cluster, as in tests/store)."""

from __future__ import annotations

import json

from annotator.export.run import ExportRequest, run_export
from tests.export.fixtures import write_package
from tests.store.db_fixtures import backend, clock, pg_cluster, store, svc  # noqa: F401


def test_export_from_each_backend(svc, tmp_path, backend):  # noqa: F811
    admin = svc.setup_first_admin(name="admin", passphrase="admin passphrase")
    inv = svc.invite_user(actor=admin, name="ana", role="contributor")
    ana = svc.sign_in(name="ana", passphrase=inv.passphrase)
    inv = svc.invite_user(actor=admin, name="rev", role="reviewer")
    rev = svc.sign_in(name="rev", passphrase=inv.passphrase)
    ids = []
    for n in (1, 2):
        pkg = write_package(tmp_path / f"p{n}", svc=svc, contributor=ana, seed=n,
                            frame_no=[n * 100], goal=f"Goal {n}", tags=["t"],
                            applications=["gedit"], n_steps=4)
        ids.append(svc.ingest_package(actor=ana, folder=pkg).id)
    svc.claim(actor=rev, submission_id=ids[0])
    svc.approve(actor=rev, submission_id=ids[0], quality=5)  # the second waits for review
    r = run_export(svc.store, ExportRequest(out=tmp_path / "out", format="chat-sft",
                                            dialect="aguvis", filter="tags = t"))
    assert r.check.ok, r.check.text()
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [e["submission_id"] for e in m["episodes"]] == [ids[0]]
    assert m["episodes"][0]["reviewer"] == rev.pseudonym and r.steps == 4
