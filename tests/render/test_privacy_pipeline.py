"""The privacy pipeline end to end, for real and offline: a PyQt6 login form under Xvfb with
the AT-SPI bus, the real recorder (`annotator record`), xdotool typing a user name and a
password, then steps, suggestions (Tesseract), masking, rendering and the leak check, every
one of our processes in a network namespace of its own (`unshare -n`: no interface but a
loopback that is down, so Tesseract and FFmpeg subprocesses have no network either).

Checked: the password's key events carry no character and no keysym; the password is in no
file of the bundle or of the renders (raw, decompressed, Parquet tables, key characters
joined); OCR of every rendered frame never reads it; the leak check catches the user name the
contributor masked but left on screen, and passes once it is boxed."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from annotator.bundle import Bundle
from annotator.capture.x11_input import KEEP_NAME_WHEN_MASKED, MASKED_KEY
from annotator.redaction.leakscan import REDACTED, fold
from annotator.redaction.ocr import ocr_batch
from annotator.redaction.screen_text import group_lines
from tests.a11y.conftest import (  # noqa: F401 - fixtures
    a11y_app_env,
    a11y_env,
    read_boxes,
    start_env_app,
    wait_registered,
)
from tests.conftest import ROOT

pytestmark = [pytest.mark.x11]

REGION = (0, 0, 800, 400)  # the login form is placed at 100,100 (500x200)
GEOMETRY = (100, 100, 500, 200)
USER_NAME = "alice.smith"
SECRET = "Hunter2-Secret!"


def _unshare() -> list[str]:
    """``unshare -n`` (root) or ``unshare -rn`` (a user namespace first); skip only if the
    kernel refuses both."""
    for cmd in (["unshare", "-n"], ["unshare", "-rn"]):
        try:
            r = subprocess.run([*cmd, "true"], capture_output=True, text=True, timeout=20)
        except FileNotFoundError:
            pytest.skip("unshare (util-linux) is not installed")
        if r.returncode == 0:
            return cmd
        why = r.stderr.strip()
    pytest.skip(f"the kernel refuses a network namespace here: {why}")


def _run(cmd: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"{cmd}: {r.stdout}\n{r.stderr}"
    return r


def expand(path: Path, data: bytes, depth: int = 0) -> dict[str, bytes]:
    """The bytes of a file and of everything inside it: gzip/bz2/xz, zip and tar members,
    Parquet tables (every value, as JSON), recursively."""
    out = {str(path): data}
    if depth > 3:
        return out
    for name, opener in (("gz", gzip.decompress), ("bz2", bz2.decompress),
                         ("xz", lzma.decompress)):
        try:
            out.update(expand(path / f"({name})", opener(data), depth + 1))
        except Exception:
            pass
    bio = io.BytesIO(data)
    if zipfile.is_zipfile(bio):
        with zipfile.ZipFile(bio) as z:
            for n in z.namelist():
                out.update(expand(path / n, z.read(n), depth + 1))
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for m in t.getmembers():
                f = t.extractfile(m)
                if f is not None:
                    out.update(expand(path / m.name, f.read(), depth + 1))
    except tarfile.TarError:
        pass
    if data[:4] == b"PAR1":
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data))
        out[f"{path} (parquet rows)"] = json.dumps(table.to_pylist(), default=str).encode()
    return out


def all_contents(*folders: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                out.update(expand(p, p.read_bytes()))
    return out


def test_expand_finds_text_in_archives_and_parquet(tmp_path):
    """The search below looks inside what it claims to (so a pass means something)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner.txt.gz", gzip.compress(b"needle-1"))
    pq.write_table(pa.table({"t": ["x", "needle-2" * 50] * 100}), tmp_path / "t.parquet",
                   compression="zstd", write_statistics=False)
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w:xz") as t:
        info = tarfile.TarInfo("a/b.txt")
        info.size = 8
        t.addfile(info, io.BytesIO(b"needle-3"))
    (tmp_path / "z.zip").write_bytes(buf.getvalue())
    (tmp_path / "t.tar.xz").write_bytes(tar.getvalue())
    blob = b"\n".join(all_contents(tmp_path).values())
    for n in (b"needle-1", b"needle-2", b"needle-3"):
        assert n in blob
    assert b"needle-2needle-2" not in (tmp_path / "t.parquet").read_bytes()  # compressed


def _click(env, box):
    x, y = box[0] + box[2] // 2, box[1] + box[3] // 2
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], env=env,
                   check=True, timeout=30)


def _type(env, text):
    subprocess.run(["xdotool", "type", "--delay", "50", text], env=env, check=True,
                   timeout=60)


def test_masked_password_never_leaves_and_the_pipeline_runs_offline(
        xserver, a11y_env, start_env_app, tmp_path):  # noqa: F811 - imported fixtures
    net = _unshare()
    env = a11y_env
    app = start_env_app("tests.apps.login_app", a11y_app_env(env),
                        "--geometry", ",".join(map(str, GEOMETRY)))
    boxes = read_boxes(app)
    wait_registered(env["DBUS_SESSION_BUS_ADDRESS"], app.proc.pid)
    out = tmp_path / "rec"
    py = [*net, sys.executable, "-m"]
    rec = subprocess.Popen([*py, "annotator", "record", "--no-control", "--yes", "--out",
                            str(out), "--region", ",".join(map(str, REGION))],
                           env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts Python slowly
        while not (out / "manifest.json").exists():
            assert rec.poll() is None, rec.communicate()[1]
            assert time.monotonic() < deadline, "the recorder did not start"
            time.sleep(0.05)
        time.sleep(0.8)
        _click(env, boxes["user"])
        time.sleep(0.2)
        _type(env, USER_NAME)
        time.sleep(0.6)  # the name stays on screen: the leak scan reads it
        _click(env, boxes["password"])
        time.sleep(0.1)
        _type(env, SECRET)
        time.sleep(0.6)
        _click(env, boxes["user"])  # focus leaves the password field
        time.sleep(0.6)
    finally:
        rec.send_signal(signal.SIGTERM)
        _, err = rec.communicate(timeout=60)
    assert rec.returncode == 0, err
    assert f"password {len(SECRET)}" in app.close()  # the app did receive the secret

    b = Bundle.open(out)
    assert b.manifest["a11y"]["available"] is True, b.manifest["a11y"]
    # No key event of the masked interval carries a character or a keysym.
    downs = [e for e in b.events if e["kind"] == "mouse_down"]
    assert len(downs) == 3
    t_pw, t_back = downs[1]["t"], downs[2]["t"]
    keys = [e for e in b.events if e["kind"] in ("key_down", "key_up")]
    during = [e for e in keys if t_pw < e["t"] < t_back]
    assert len([e for e in during if e["kind"] == "key_down"]) >= len(SECRET)
    for e in during:
        assert e.get("masked") is True and e["char"] is None and e["vk"] is None, e
        assert e["key"] == MASKED_KEY or e["key"] in KEEP_NAME_WHEN_MASKED, e

    # The rest of the pipeline, every process without network.
    _run([*py, "annotator", "steps", str(out)], env)
    _run([*py, "annotator", "redact", str(out), "--suggest"], env, timeout=600)
    user_box = list(boxes["user"])
    child = _run([*py, "tests.render.pipeline_child", str(out), str(tmp_path / "renders"),
                  USER_NAME, ",".join(map(str, user_box))], env, timeout=600)
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["network"]["blocked"], report["network"]
    assert report["typed_steps"] and report["redacted_strings"] >= 1
    # The leak check catches the user name that was masked but left readable on screen...
    missed = report["missed"]
    assert not missed["passed"] and missed["status"] == "failed"
    assert any(i["detector"] == REDACTED and fold(USER_NAME) in fold(i["text"])
               for i in missed["items"]), missed
    # Once it is boxed, what is left (if anything) is the password field's echo: a row of
    # mask characters after "Password:" that the credential detector flags.  It holds
    # nothing of the secret; the contributor accepts it and the check passes.
    for item in report["boxed"]["items"]:
        assert item["detector"] in ("credential", "secret"), item
        assert fold("Hunter2") not in fold(item["text"]), item
        assert fold(USER_NAME) not in fold(item["text"]), item
        px, py_, pw, ph = boxes["password"]
        x, y, w, h = item["box"]
        assert px - 100 <= x and x + w <= px + pw + 10 and py_ - 10 <= y <= py_ + ph, item
    fixed = report["fixed"]
    assert fixed["passed"], fixed["text"]
    package = report["package"]
    assert package["passed"] and "video.mp4" in package["files"], package
    assert fixed["ocr"]["readings"] >= 2 and fixed["ocr"]["redacted_strings"] >= 1

    # The secret is in no file of the bundle, the renders or the submission package, in any
    # form.
    renders = tmp_path / "renders"
    files = all_contents(out, renders)
    assert any("events.jsonl" in k for k in files) and any("steps.json" in k for k in files)
    assert any("suggestions.json" in k for k in files) and any("edits.json" in k for k in files)
    typed = "".join(e["char"] or "" for e in keys if e["kind"] == "key_down")
    assert USER_NAME in typed and SECRET not in typed
    for part in (SECRET, "Hunter2", "Secret!"):
        for name, data in files.items():
            for enc in ("utf-8", "utf-16-le"):
                assert part.encode(enc) not in data, f"{part!r} in {name} ({enc})"
    # The user name the contributor masked is in no file of the package either.
    for name, data in all_contents(renders / "package").items():
        assert USER_NAME.encode() not in data, name
    # OCR of every frame of the three renders: never the secret (a real reading: the labels are
    # read, and the user name is read where it was not boxed).
    import av

    texts = {}
    for name in ("missed", "boxed", "fixed"):
        with av.open(str(renders / f"{name}.mp4")) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        assert len(frames) >= 3
        words = ocr_batch(frames)
        texts[name] = [" ".join(" ".join(w.text for w in ln.words) for ln in group_lines(ws))
                       for ws in words]
    for name, per_frame in texts.items():
        for i, t in enumerate(per_frame):
            assert fold(SECRET) not in fold(t), (name, i, t)
            assert fold("Hunter2") not in fold(t), (name, i, t)
    assert any("Password" in t for t in texts["fixed"]), texts["fixed"]
    assert any(fold(USER_NAME) in fold(t) for t in texts["missed"])
    assert not any(fold(USER_NAME) in fold(t) for t in texts["fixed"])
