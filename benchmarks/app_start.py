"""Start-up of the contributor app against the development install, in the same run.

Installs dist/annotator-linux-x86_64.run (made by .ci/package) into a temporary HOME, then
times, alternating the two, how long each install takes from launch to the library window
being mapped on an Xvfb display:

- cold: the page cache dropped before each launch (``/proc/sys/vm/drop_caches``, as root),
  so the program and its libraries are read from disk, as after a reboot;
- warm: launched again at once, everything already in memory.

Three faces: the bundle, the development install, and the development install with pandas
and pyarrow imported first (what every start cost before they were loaded on use).

Also prints the installer's time, the download and the installed size, and the share of the
development start that the admin-only imports (pandas and pyarrow, now loaded on use) would
add back.  Each launch uses its own empty workspace, so the first-run sign-in dialog opens
alike for both.

Run (as root for the cold starts): .venv/bin/python benchmarks/app_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNFILE = ROOT / "dist" / "annotator-linux-x86_64.run"
TITLE = "annotator — library"


def start_xvfb() -> tuple[subprocess.Popen, str]:
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1600x1000x24",
                             "-nolisten", "tcp"], pass_fds=(w,), stderr=subprocess.DEVNULL)
    os.close(w)
    num = b""
    while not num.endswith(b"\n"):
        chunk = os.read(r, 16)
        if not chunk:
            break
        num += chunk
    os.close(r)
    return proc, f":{num.decode().strip()}"


def drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def time_to_window(cmd: list[str], env: dict[str, str], display: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", TITLE],
                                 env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
                                 capture_output=True, text=True)
            if out.stdout.strip():
                return time.perf_counter() - t0
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {proc.returncode} before its window")
            if time.perf_counter() - t0 > 120:
                raise TimeoutError(f"no library window from {cmd[0]}")
            time.sleep(0.02)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def left_out(venv: Path) -> None:
    """What pandas and pyarrow would add to the bundle: installed, and gzip-compressed as the
    archive stores them."""
    site = next(venv.glob("lib/python3*/site-packages"))
    dirs = [d for d in site.iterdir() if d.is_dir() and d.name.split(".")[0].split("-")[0]
            in ("pandas", "pyarrow") and not d.name.endswith(("dist-info", "stubs"))]
    installed = sum(f.stat().st_size for d in dirs for f in d.rglob("*") if f.is_file())
    tar = subprocess.Popen(["tar", "-C", str(site), "-cf", "-", *[d.name for d in dirs]],
                           stdout=subprocess.PIPE)
    gz = subprocess.run(["gzip", "-6"], stdin=tar.stdout, capture_output=True)
    tar.wait()
    print(f"left out of the bundle: {', '.join(sorted(d.name for d in dirs))}: "
          f"{installed / 2**20:.0f} MB installed, {len(gz.stdout) / 2**20:.0f} MB compressed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--runfile", type=Path, default=RUNFILE)
    args = ap.parse_args()
    if not args.runfile.is_file():
        sys.exit(f"{args.runfile} is missing: run .ci/package first")
    tmp = Path(tempfile.mkdtemp(prefix="annotator-start-"))
    xvfb, display = start_xvfb()
    try:
        home = tmp / "home"
        home.mkdir()
        base = {"DISPLAY": display, "HOME": str(home), "PATH": "/usr/bin:/bin"}
        t0 = time.perf_counter()
        subprocess.run(["sh", str(args.runfile), "--quiet", "--nox11", "--no-start"], env=base,
                       check=True, stdout=subprocess.DEVNULL)
        install_s = time.perf_counter() - t0
        app_dir = home / ".local/share/annotator-app"
        installed = sum(f.stat().st_size for f in (app_dir / "current").resolve().rglob("*")
                        if f.is_file() and not f.is_symlink())
        faces = {
            "bundle": [str(app_dir / "current" / "annotator")],
            "development": [str(ROOT / ".venv/bin/annotator")],
            # As before admin-only dependencies were loaded on use: the same development
            # install with pandas and pyarrow imported first.
            "development, eager pandas+pyarrow": [
                str(ROOT / ".venv/bin/python"), "-c",
                "import sys, pandas, pyarrow; from annotator.cli.main import main; "
                "sys.exit(main())"],
        }
        results: dict[tuple[str, str], list[float]] = {}
        cold_ok = True
        for i in range(args.runs):
            for name, cmd in (faces.items() if i % 2 == 0 else reversed(faces.items())):
                for kind in ("cold", "warm"):
                    ws = tmp / f"ws-{name}-{kind}-{i}"
                    if kind == "cold":
                        cold_ok = drop_caches() and cold_ok
                    secs = time_to_window([*cmd, "--workspace", str(ws)], base, display)
                    results.setdefault((name, kind), []).append(secs)
        print(f"load average before/after: {os.getloadavg()}")
        print(f"download {args.runfile.stat().st_size / 2**20:.0f} MB, installed "
              f"{installed / 2**20:.0f} MB, install took {install_s:.1f} s")
        if not cold_ok:
            print("(not root: the page cache could not be dropped, 'cold' is not cold)")
        for kind in ("cold", "warm"):
            dev = statistics.median(results[("development", kind)])
            for name in faces:
                xs = results[(name, kind)]
                print(f"{kind}: {name}: median {statistics.median(xs):.2f} s "
                      f"{[round(x, 2) for x in xs]}, {statistics.median(xs) / dev:.2f}x the "
                      "development install")
        left_out(ROOT / ".venv")
    finally:
        xvfb.terminate()
        xvfb.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
