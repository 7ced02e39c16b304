"""The export command end to end: determinism across processes, withdrawal and --refresh,
--check on corrupted exports, and bad input."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from annotator.cli.main import main
from annotator.export import check_export
from annotator.export.run import write_sums
from tests.export.fixtures import KEY, REDACTED, assert_same_export, tree

ROOT = Path(__file__).resolve().parents[2]


def cli(world, *args: str, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setenv("ANNOTATOR_PASSPHRASE", "admin passphrase")
    monkeypatch.delenv("ANNOTATOR_DATABASE_URL", raising=False)
    code = main(["--workspace", str(world.root), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_two_processes_give_identical_bytes(base_world, tmp_path):
    outs = []
    for seed, cwd in (("1", tmp_path / "a"), ("4242", tmp_path / "b")):
        cwd.mkdir()
        env = dict(os.environ, PYTHONHASHSEED=seed, ANNOTATOR_PASSPHRASE="admin passphrase",
                   PYTHONPATH=str(ROOT))
        env.pop("ANNOTATOR_DATABASE_URL", None)
        out = cwd / "exports" / "ds"
        p = subprocess.run(
            [sys.executable, "-m", "annotator", "--workspace", str(base_world.root), "export",
             "--user", "admin", "--out", "exports/ds", "--format", "canonical",
             "--image-format", "webp", "--split", "by-contributor:0.7,0.3"],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        outs.append(tree(out))
    a, b = outs
    assert len(a) > 5
    assert_same_export(a, b)


def test_withdrawal_reaches_the_export(world, tmp_path, monkeypatch, capsys):
    out = tmp_path / "exports" / "oc"
    code, stdout, _ = cli(world, "export", "--user", "admin", "--out", str(out), "--format",
                          "opencua", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and "6 episode(s)" in stdout
    before = json.loads((out / "manifest.json").read_text())
    gone = before["episodes"][1]
    who = next(c for c in world.contributors if c.pseudonym == gone["contributor"])
    world.clock.advance(days=2)
    world.svc.withdraw(actor=who, submission_id=gone["submission_id"])

    code, stdout, _ = cli(world, "export", "--user", "admin", "--withdrawn-since",
                          "2026-03-11", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and gone["episode_id"] in stdout
    code, stdout, _ = cli(world, "export", "--user", "admin", "--withdrawn-since",
                          "2030-01-01", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and gone["episode_id"] not in stdout

    code, stdout, _ = cli(world, "export", "--user", "admin", "--refresh", str(out),
                          monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, stdout
    assert f"removed {gone['episode_id']}" in stdout
    after = json.loads((out / "manifest.json").read_text())
    assert gone["episode_id"] not in {e["episode_id"] for e in after["episodes"]}
    assert len(after["episodes"]) == 5
    removed = after["refreshes"][-1]["removed"]
    assert [r["episode_id"] for r in removed] == [gone["episode_id"]]
    assert removed[0]["withdrawn_at"] and after["refreshes"][-1]["at"]
    text = "".join(p.read_text() for p in out.glob("*.jsonl"))
    assert gone["episode_id"] not in text
    assert not list((out / "images").glob(f"{gone['episode_id']}_*"))
    # Splits are kept as they were.
    split_before = {e["episode_id"]: e["split"] for e in before["episodes"]}
    assert all(split_before[e["episode_id"]] == e["split"] for e in after["episodes"])
    assert check_export(out, key=KEY).ok
    assert not list(out.parent.glob(".oc.*"))  # no temporary or old folder left

    # Every episode withdrawn: nothing may be kept, so the export is deleted (it was refused
    # with "delete it yourself", the withdrawn content left in place).
    for e in after["episodes"]:
        owner = next(c for c in world.contributors if c.pseudonym == e["contributor"])
        world.svc.withdraw(actor=owner, submission_id=e["submission_id"])
    code, stdout, _ = cli(world, "export", "--user", "admin", "--refresh", str(out),
                          monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, stdout
    assert "was withdrawn: the export is deleted (removed 5 episode(s))" in stdout
    assert not out.exists() and not list(out.parent.glob(".oc*"))


def _canonical(base_world, tmp_path) -> Path:
    from annotator.export.run import ExportRequest, run_export

    out = tmp_path / "exports" / "can"
    run_export(base_world.store, ExportRequest(out=out, format="canonical"))
    return out


def test_check_names_file_and_rule(base_world, tmp_path, monkeypatch, capsys):
    out = _canonical(base_world, tmp_path)
    code, stdout, _ = cli(base_world, "export", "--check", str(out), "--redaction-key",
                          str(_keyfile(tmp_path)), monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and "OK: 0 error(s)" in stdout
    # 1. A coordinate moved outside its image (SHA256SUMS updated to hide it).
    f = sorted((out / "data/steps").glob("train-*.parquet"))[0]
    t = pq.read_table(f)
    xs = t.column("x").to_pylist()
    i = next(k for k, v in enumerate(xs) if v is not None)
    xs[i] = 5000.0
    t = t.set_column(t.schema.get_field_index("x"), "x", __import__("pyarrow").array(xs))
    pq.write_table(t, f)
    code, stdout, _ = cli(base_world, "export", "--check", str(out), monkeypatch=monkeypatch,
                          capsys=capsys)
    assert code == 1
    assert f"data/steps/{f.name}: [sha256sums]" in stdout
    write_sums(out)
    code, stdout, _ = cli(base_world, "export", "--check", str(out), monkeypatch=monkeypatch,
                          capsys=capsys)
    assert code == 1
    assert f"ERROR data/steps/{f.name}: [coordinates]" in stdout and "5000.0" in stdout


def _keyfile(tmp_path: Path) -> Path:
    p = tmp_path / "submission.key"
    p.write_bytes(KEY)
    return p


def test_check_finds_redacted_strings_and_pii(base_world, tmp_path):
    from annotator.export.run import ExportRequest, run_export

    out = tmp_path / "exports" / "oc"
    run_export(base_world.store, ExportRequest(out=out, format="opencua"))
    f = out / "train.jsonl"
    lines = f.read_text().splitlines()
    rec = json.loads(lines[0])
    rec["traj"][1]["value"]["thought"] = f"Now type {REDACTED.upper()}  into the box"
    rec["traj"][3]["value"]["observation"] = "Mail from alice.smith@corp-mail.com is open"
    lines[0] = json.dumps(rec)
    f.write_text("\n".join(lines) + "\n")
    write_sums(out)
    with_key = check_export(out, key=KEY)
    rules = {(p.file, p.rule) for p in with_key.problems}
    assert ("train.jsonl", "redacted-string") in rules
    assert ("train.jsonl", "pii") in rules
    assert not any("alice.smith" in str(p) for p in with_key.problems)  # not printed back
    without = check_export(out, key=None)
    assert ("train.jsonl", "redacted-string") not in {(p.file, p.rule) for p in without.problems}
    assert any("redacted-string: NOT checked" in n for n in without.notes)
    # The contributor's allow-listed e-mail address in the exported text is not flagged.
    assert not any("support@" in p.message for p in with_key.problems)


# -- bad input ------------------------------------------------------------------------------------
def test_bad_arguments(base_world, tmp_path, monkeypatch, capsys):
    out = tmp_path / "exports" / "x"
    code, _, err = cli(base_world, "export", "--user", "admin", "--out", str(out), "--format",
                       "parquet", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and "Known formats: canonical, opencua, chat-sft, computer-use, " \
        "webdataset" in err
    code, _, err = cli(base_world, "export", "--user", "admin", "--out", str(out), "--format",
                       "chat-sft", "--dialect", "llava", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and "aguvis, opencua-qwen25, uitars-1000, uitars15" in err
    code, _, err = cli(base_world, "export", "--user", "admin", "--out", str(out), "--format",
                       "canonical", "--filter", "application = no-such-app",
                       monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and "nothing was written" in err
    assert not out.exists() and not list(out.parent.glob(".*"))
    code, _, err = cli(base_world, "export", "--user", "rev", "--out", str(out), "--format",
                       "canonical", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2  # the reviewer's passphrase is not the admin's: refused either way
    # An existing folder is refused unless --force.
    code, stdout, _ = cli(base_world, "export", "--user", "admin", "--out", str(out),
                          "--format", "webdataset", "--filter", "quality >= 4",
                          monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0
    n = json.loads((out / "manifest.json").read_text())["counts"]["episodes"]
    assert 0 < n < 6
    code, _, err = cli(base_world, "export", "--user", "admin", "--out", str(out), "--format",
                       "webdataset", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and "exists already" in err and "--force" in err
    code, _, _ = cli(base_world, "export", "--user", "admin", "--out", str(out), "--format",
                     "webdataset", "--force", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["episodes"] == 6


def test_missing_or_corrupt_blobs_are_skipped_and_named(world, tmp_path, monkeypatch,
                                                        capsys):
    from annotator.export.source import approved_episodes

    eps = approved_episodes(world.store)
    blobs = world.store.blobs
    corrupt = eps[0].files["frames/0003.png"].sha256
    path = blobs.root / "sha256" / corrupt[:2] / corrupt if hasattr(blobs, "root") else None
    path = path if path and path.exists() else next(
        p for p in (world.root / "store" / "blobs").rglob(corrupt))
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    os.chmod(path, 0o600)
    path.write_bytes(bytes(data))
    missing = eps[1].files["steps.json"].sha256
    next((world.root / "store" / "blobs").rglob(missing)).unlink()
    out = tmp_path / "exports" / "c"
    code, stdout, err = cli(world, "export", "--user", "admin", "--out", str(out), "--format",
                            "chat-sft", "--dialect", "aguvis", monkeypatch=monkeypatch,
                            capsys=capsys)
    assert code == 1
    assert f"#{eps[0].submission_id}" in err and "frames/0003.png" in err and "corrupt" in err
    assert f"#{eps[1].submission_id}" in err and "steps.json" in err and "missing" in err
    m = json.loads((out / "manifest.json").read_text())
    assert m["counts"]["episodes"] == 4
    assert {s["submission_id"] for s in m["skipped"]} == {eps[0].submission_id,
                                                          eps[1].submission_id}
    code, _, _ = cli(world, "export", "--user", "admin", "--out", str(out), "--format",
                     "chat-sft", "--dialect", "aguvis", "--force", "--skip-bad",
                     monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0


def test_a_full_disk_leaves_no_dataset(base_world, tmp_path):
    """Once writing starts, writes beyond a file-size limit fail as on a full disk (EFBIG
    rather than ENOSPC): the export fails and leaves neither the destination nor its
    temporary folder."""
    out = tmp_path / "exports" / "full"
    code = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "from annotator.jobs import Progress\n"
        "from annotator.store import open_store\n"
        "from annotator.export.run import ExportRequest, run_export\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "def full(done, total, msg):\n"
        "    resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))\n"
        f"store = open_store(workspace_root={str(base_world.root)!r})\n"
        f"run_export(store, ExportRequest(out=Path({str(out)!r}), format='canonical'),\n"
        "           progress=Progress(full))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("ANNOTATOR_DATABASE_URL", None)
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode != 0
    assert "File too large" in p.stderr or "No space" in p.stderr, p.stderr[-2000:]
    assert not out.exists()
    assert not list(out.parent.glob(".full*")), list(out.parent.iterdir())


def test_sums_cover_every_file(base_world, tmp_path):
    out = _canonical(base_world, tmp_path)
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0]
              for line in (out / "SHA256SUMS").read_text().splitlines()}
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(listed) == files - {"manifest.json", "SHA256SUMS"}
    for rel, sha in listed.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == sha


def test_only_admins_export(world, tmp_path, monkeypatch, capsys):
    world.svc.invite_user(actor=world.admin, name="rita", role="reviewer",
                          passphrase="rita passphrase")
    monkeypatch.setenv("ANNOTATOR_PASSPHRASE", "rita passphrase")
    code = main(["--workspace", str(world.root), "export", "--user", "rita", "--out",
                 str(tmp_path / "x"), "--format", "opencua"])
    err = capsys.readouterr().err
    assert code == 2 and "Only admins can export" in err
    assert not (tmp_path / "x").exists()


def test_a_submission_with_unredacted_personal_data_is_skipped(world, tmp_path):
    from annotator.export.run import ExportRequest, run_export
    from tests.export.fixtures import write_package

    def leak(steps):
        steps[4]["thought"] = "Send it to bob.jones@corp-mail.com afterwards"
        steps[5]["instruction"] = f"Greet {REDACTED}"

    who = world.contributors[0]
    pkg = write_package(tmp_path / "pkg", svc=world.svc, contributor=who, seed=99,
                        frame_no=[5000], goal="Leaky", tags=[], applications=[], edit=leak)
    info = world.svc.ingest_package(actor=who, folder=pkg)
    world.svc.claim(actor=world.rev, submission_id=info.id)
    world.svc.approve(actor=world.rev, submission_id=info.id, quality=5)
    r = run_export(world.store, ExportRequest(out=tmp_path / "out", format="opencua",
                                              redaction_key=KEY))
    assert r.episodes == 6 and r.check.ok
    (skip,) = r.skipped
    assert skip["submission_id"] == info.id
    assert "[pii]" in skip["reason"] and "[redacted-string]" in skip["reason"]
    assert "bob.jones" not in skip["reason"] and REDACTED not in skip["reason"]
    # Without the key the redacted string cannot be seen; the e-mail address still is.
    r2 = run_export(world.store, ExportRequest(out=tmp_path / "out2", format="opencua"))
    assert [s["submission_id"] for s in r2.skipped] == [info.id]
    assert "[redacted-string]" not in r2.skipped[0]["reason"]


def test_the_manifest_carries_quality_signals_and_the_filter_selects_by_them(world, tmp_path):
    from annotator.export.run import ExportRequest, run_export
    from annotator.export.source import approved_episodes
    from annotator.quality.records import ALGORITHM_VERSION
    from annotator.quality.stored import compute_stored

    ids = [ep.submission_id for ep in approved_episodes(world.store)]
    compute_stored(world.store, ids[0])  # the others have no signals computed yet

    def export(name: str, flt: str | None) -> dict[int, object]:
        r = run_export(world.store, ExportRequest(out=tmp_path / name, format="canonical",
                                                  filter=flt, redaction_key=KEY))
        assert r.check.ok, r.check.problems
        return {e["submission_id"]: e["signals"] for e in r.manifest["episodes"]}

    every = export("all", None)
    assert set(every) == set(ids)
    # Kinds, severity, count and steps only: no sentence, no quoted text, no other id.
    assert every[ids[0]] == {"algorithm_version": ALGORITHM_VERSION, "max_severity": "low", "kinds": {
        "accepted_leak": {"severity": "low", "count": 1, "steps": []}}}
    assert all(every[i] is None for i in ids[1:])
    assert list(export("flagged", "signal = accepted_leak")) == [ids[0]]
    assert sorted(export("clean", "signal != accepted_leak")) == sorted(ids[1:])


def test_refresh_refuses_an_export_another_store_made(world, tmp_path, monkeypatch, capsys):
    # Refreshed against a store that does not hold its submissions (another workspace, or
    # a team server's export refreshed without the team's store), an export was emptied as
    # "no longer exportable", or filled with this store's submissions of the same numbers.
    out = tmp_path / "exports" / "oc"
    code, _, err = cli(world, "export", "--user", "admin", "--out", str(out), "--format",
                       "opencua", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    for change, said in ((lambda e: e.update(submission_id=987654), "does not hold"),
                         (lambda e: e.update(manifest_sha256="0" * 64), "another package")):
        changed = json.loads(json.dumps(manifest))
        change(changed["episodes"][2])
        (out / "manifest.json").write_text(json.dumps(changed))
        before = tree(out)
        code, _, err = cli(world, "export", "--user", "admin", "--refresh", str(out),
                           monkeypatch=monkeypatch, capsys=capsys)
        assert code == 2 and "was not made from this store" in err and said in err, err
        assert changed["episodes"][2]["episode_id"] in err and "--withdrawn FILE" in err
        assert tree(out) == before  # untouched
