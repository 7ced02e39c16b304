"""The team server side of benchmarks/server_load.py, run as a child process so that the
server's code can be another checkout's (the reference: the server as it was, in the same
run): ``PYTHONPATH=<checkout> python benchmarks/server_host.py``.

Starts the whole set-up (``TeamSetup``) with that code, makes the accounts asked for (with
passphrases they need not change) and ingests the queue's seed packages (folders the
benchmark made), then prints one JSON line (the server's URL, its environment, the API's
process id, the accounts) and waits until its standard input closes.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    spec = json.loads(sys.stdin.readline())
    import dataclasses

    from annotator.server.config import ServerConfig
    from annotator.server.launcher import TeamSetup

    # Settings this checkout's server does not have yet (a reference run of older code) are
    # left out: all of them only lift limits that would stop the benchmark itself.
    known = {f.name for f in dataclasses.fields(ServerConfig)}
    setup = TeamSetup(api_workers=spec["api_workers"], workers=spec["workers"],
                      reconciler=False,
                      **{k: v for k, v in spec["overrides"].items() if k in known})
    setup.start(admin="admin", admin_passphrase=spec["admin_passphrase"])
    try:
        from annotator.server.objects import ObjectStore, S3BlobStore
        from annotator.store import open_store
        from annotator.workflow.service import Services

        store = open_store(database_url=setup.cfg.database_url,
                           blobs=S3BlobStore(ObjectStore(setup.cfg)), migrate="check")
        svc = Services(store)
        admin = svc.sign_in(name="admin", passphrase=spec["admin_passphrase"])
        made = {}
        for name, role in spec["accounts"]:
            inv = svc.invite_user(actor=admin, name=name, role=role)
            actor = svc.sign_in(name=name, passphrase=inv.passphrase)
            pw = f"{name} benchmark passphrase"
            actor = svc.change_passphrase(actor=actor, current=inv.passphrase, new=pw)
            made[name] = {"passphrase": pw, "pseudonym": actor.pseudonym}
        seeder = made[spec["seeder"]]
        seed_actor = svc.sign_in(name=spec["seeder"], passphrase=seeder["passphrase"])
        terms = svc.get_terms()
        print(json.dumps({"ready": False, "accounts": made, "terms": {
            "version": terms.version, "sha256": terms.sha256}}), flush=True)
        for folder in json.loads(sys.stdin.readline())["seed"]:
            svc.ingest_package(actor=seed_actor, folder=folder)
        store.dispose()
        print(json.dumps({"ready": True, "url": setup.url, "env": setup.cfg.env(),
                          "api_pid": setup.api.proc.pid}), flush=True)
        sys.stdin.read()  # until the benchmark closes it (or dies)
    finally:
        setup.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
