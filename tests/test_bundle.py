"""The offline bundle (issue 19 point 6): scripts/build_bundle.py builds the Linux bundle for
this machine, and sancha installs from it with --no-index into a fresh venv (安装.sh), then
`sancha init` (by 安装.sh) and `sancha weekly` (每周批处理.sh) run. The .bat files are checked for
the form cmd.exe on a Chinese Windows reads. Building downloads the wheels from PyPI: without
it the test is skipped, saying so."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_bundle  # noqa: E402

MACHINE = {"x86_64": "linux_x86_64", "amd64": "linux_x86_64", "aarch64": "linux_aarch64",
           "arm64": "linux_aarch64"}.get(platform.machine().lower())


def test_bat_files_are_ascii_commands_utf8_messages_and_crlf(tmp_path):
    build_bundle.write_scripts(tmp_path, "win_amd64", "0.1.0")
    for name in ("安装.bat", "启动督查台帐.bat", "每周批处理.bat"):
        data = (tmp_path / name).read_bytes()
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""), name
        lines = data.decode("utf-8").split("\r\n")
        chcp = lines.index("chcp 65001 >nul")
        assert all(line.isascii() for line in lines[:chcp + 1]), name  # nothing but ASCII before the code page
        for line in lines:
            if not line.isascii():  # Chinese only in messages
                assert line.strip().startswith("echo "), (name, line)
    install = (tmp_path / "安装.bat").read_text(encoding="utf-8")
    assert "--no-index --find-links wheels" in install and "sys.version_info >= (3, 11)" in install
    assert "Python 3.11 或更高版本" in install
    assert "serve --open" in (tmp_path / "启动督查台帐.bat").read_text(encoding="utf-8")


def _pypi_reachable(tmp_path: Path) -> bool:
    probe = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                            "--disable-pip-version-check", "-q", "-d", str(tmp_path / "probe"), "filelock"],
                           capture_output=True, timeout=120, check=False)
    return probe.returncode == 0


@pytest.mark.network
@pytest.mark.timeout(600)
@pytest.mark.skipif(not sys.platform.startswith("linux") or MACHINE is None,
                    reason="the bundle test builds the Linux bundle of this machine (x86_64 or aarch64)")
def test_the_linux_bundle_installs_offline_and_runs_init_and_weekly(tmp_path):
    if not _pypi_reachable(tmp_path):
        pytest.skip("building the bundle downloads wheels from PyPI, which cannot be reached from here")
    wheel = build_bundle.build_wheel(tmp_path / "wheel")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    folder = build_bundle.build_bundle(wheel, MACHINE, tmp_path / "out", version)
    names = {p.name.split("-")[0].lower() for p in (folder / "wheels").glob("*.whl")}
    assert {"sancha", "flask", "waitress", "openpyxl", "python_calamine"} <= names
    assert folder.with_suffix(".zip").is_file()

    env = {"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "PIP_NO_INDEX": "1", "HOME": str(tmp_path),
           "LANG": "C.UTF-8"}
    install = subprocess.run(["sh", str(folder / "安装.sh")], capture_output=True, text=True, env=env, timeout=300,
                             check=False)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    assert "安装完成" in install.stdout
    sancha = folder / "venv" / "bin" / "sancha"
    site = subprocess.run([str(folder / "venv" / "bin" / "python"), "-c", "import pipeline; print(pipeline.__file__)"],
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    assert str(folder / "venv") in site.stdout  # installed from the wheel, not this repository
    web = Path(site.stdout.strip()).parent / "service" / "web"
    assert (web / "templates" / "base.html").is_file() and (web / "static" / "desk.js").is_file()  # package data
    assert (folder / "workspace" / "sancha.toml").is_file() and sancha.exists()

    weekly = subprocess.run(["sh", str(folder / "每周批处理.sh"), "--as-of", "2026-12-07"], capture_output=True,
                            text=True, env=env, timeout=300, check=False)
    assert weekly.returncode == 0, weekly.stdout[-3000:] + weekly.stderr[-3000:]
    assert "2026年第50周督查批处理" in weekly.stdout
    assert list((folder / "workspace" / "outbox").glob("2026-W50/2026-W50_督查通报*.docx"))

    again = subprocess.run(["sh", str(folder / "安装.sh")], capture_output=True, text=True, env=env, timeout=300,
                           check=False)
    assert again.returncode == 0  # installing again (an upgrade) keeps the workspace
    assert list((folder / "workspace" / "outbox").glob("2026-W50/2026-W50_督查通报*.docx"))
