"""From the canonical archive alone: ``--convert`` gives every other format, byte for byte
what the store would have given; a newer withdrawal list given to ``--convert`` or to
``--refresh`` removes the episodes it names from a copy."""

from __future__ import annotations

import json
import shutil

import pytest

from annotator.cli.main import main
from annotator.export import check_export
from annotator.export.convert import ConvertRequest, convert_export
from annotator.export.errors import ExportError
from tests.export.conftest import TARGETS, target_name
from tests.export.fixtures import KEY, tree


def _same_but_source(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    assert set(a) == set(b)
    for name in a:
        if name == "manifest.json":
            ma, mb = json.loads(a[name]), json.loads(b[name])
            for m in (ma, mb):
                m.pop("created_utc"), m.pop("source")
            assert ma == mb
        else:
            assert a[name] == b[name], name


def test_convert_gives_what_the_store_gives(golden_exports, tmp_path):
    src = golden_exports["canonical"]
    for fmt, dialect in TARGETS:
        name = target_name(fmt, dialect)
        r = convert_export(ConvertRequest(source=src, out=tmp_path / name, format=fmt,
                                          dialect=dialect, redaction_key=KEY))
        assert r.check.ok, r.check.text()
        assert r.manifest["source"]["converted_from"]["name"] == src.name
        _same_but_source(tree(r.out), tree(golden_exports[name]))


def test_withdrawal_lists_reach_converted_copies(golden_exports, tmp_path, monkeypatch,
                                                 capsys):
    src = golden_exports["canonical"]
    m = json.loads((src / "manifest.json").read_text())
    failed = m["episodes"][1]["episode_id"]
    gone = m["episodes"][2]["episode_id"]
    # The newer list, as `annotator export --withdrawn-since DATE --json` prints it.
    listing = tmp_path / "withdrawn.json"
    listing.write_text(json.dumps([{"episode_id": gone, "submission_id": 3,
                                    "withdrawn_at": "2026-04-01T10:00:00+00:00"}]))
    monkeypatch.delenv("ANNOTATOR_PASSPHRASE", raising=False)

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(["--workspace", str(tmp_path / "no-workspace"), "export", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    # --convert with the list: the files alone, no store, no sign-in.
    code, out, err = cli("--convert", str(src), "--out", str(tmp_path / "u15"), "--format",
                         "chat-sft", "--dialect", "uitars15", "--withdrawn", str(listing))
    assert code == 0, err
    converted = json.loads((tmp_path / "u15/manifest.json").read_text())
    assert [e["episode_id"] for e in converted["episodes"]] == [m["episodes"][0]["episode_id"],
                                                                failed]
    assert gone in {w["episode_id"] for w in converted["withdrawn"]}
    assert gone not in (tmp_path / "u15/data/train.jsonl").read_text()
    # --refresh of a converted copy with a newer list: the failed episode is withdrawn too.
    copy = tmp_path / "oc"
    shutil.copytree(golden_exports["opencua"], copy)
    listing.write_text(f"# one id a line\n{failed}\n{gone}\n")
    code, out, err = cli("--refresh", str(copy), "--withdrawn", str(listing))
    assert code == 0, err
    assert f"removed {failed}" in out and f"removed {gone}" in out
    after = json.loads((copy / "manifest.json").read_text())
    assert [e["episode_id"] for e in after["episodes"]] == [m["episodes"][0]["episode_id"]]
    assert after["counts"]["episodes"] == 1 and after["counts"]["steps"] == 18
    assert [r["episode_id"] for r in after["refreshes"][-1]["removed"]] == [failed, gone]
    assert not any(failed in p.name or gone in p.name for p in copy.rglob("*"))
    assert failed not in (copy / "train.jsonl").read_text()
    assert "1 episodes, 18 steps" in (copy / "README.md").read_text()
    assert check_export(copy, key=KEY).ok
    # The canonical archive itself: rows, episodes and Croissant rewritten.
    can = tmp_path / "can"
    shutil.copytree(src, can)
    code, out, err = cli("--refresh", str(can), "--withdrawn", str(listing))
    assert code == 0, err
    assert check_export(can, key=KEY).ok
    assert "1 episodes, 18 steps" in (can / "croissant.json").read_text()
    import mlcroissant as mlc

    assert len(list(mlc.Dataset(jsonld=str(can / "croissant.json")).records("episodes"))) == 1
    # The last episode withdrawn too: nothing may be kept, so the copy is deleted. (It was
    # refused with "delete it yourself", every withdrawn episode left in place.)
    last = m["episodes"][0]["episode_id"]
    listing.write_text(f"{failed}\n{gone}\n{last}\n")
    code, out, err = cli("--refresh", str(copy), "--withdrawn", str(listing))
    assert code == 0, err
    assert f"Every episode of {copy} was withdrawn: the export is deleted" in out
    assert f"removed {last}" in out and "--withdrawn-since" in out
    assert not copy.exists() and not list(copy.parent.glob(f".{copy.name}*"))
    code, out, err = cli("--refresh", str(can), "--withdrawn", str(listing), "--json")
    assert code == 0, err
    said = json.loads(out)
    assert said["deleted"] and [r["episode_id"] for r in said["removed"]] == [last]
    assert not can.exists()


def test_convert_refuses_what_it_cannot_use(golden_exports, tmp_path):
    with pytest.raises(ExportError, match="only a canonical export"):
        convert_export(ConvertRequest(source=golden_exports["opencua"], out=tmp_path / "x",
                                      format="opencua"))
    damaged = tmp_path / "damaged"
    shutil.copytree(golden_exports["canonical"], damaged)
    (damaged / "data/episodes/train.parquet").write_bytes(b"not parquet")
    with pytest.raises(ExportError, match="SHA256SUMS"):
        convert_export(ConvertRequest(source=damaged, out=tmp_path / "y", format="opencua"))
    with pytest.raises(ExportError, match="Known dialects"):
        convert_export(ConvertRequest(source=golden_exports["canonical"], out=tmp_path / "z",
                                      format="chat-sft", dialect="llava"))
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_convert_reencodes_and_scales(golden_exports, tmp_path):
    """A WebP archive at half size made from the PNG one, and AgentNet trajectories made
    from that: images re-encoded, pixels scaled, fractions unchanged."""
    from PIL import Image

    half = convert_export(ConvertRequest(source=golden_exports["canonical"],
                                         out=tmp_path / "half", format="canonical",
                                         image_format="webp", max_side=320, redaction_key=KEY))
    assert half.check.ok, half.check.text()
    oc = convert_export(ConvertRequest(source=half.out, out=tmp_path / "oc", format="opencua",
                                       image_format="png", redaction_key=KEY))
    assert oc.check.ok, oc.check.text()
    first = json.loads((oc.out / "train.jsonl").read_text().splitlines()[0])["traj"][0]
    assert first["value"]["code"] == "pyautogui.click(x=0.5, y=0.5)"
    assert Image.open(oc.out / "images" / first["image"]).size == (320, 200)
