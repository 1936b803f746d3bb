"""Build the offline install bundle of sancha, for an office without internet access.

    python scripts/build_bundle.py                          # every platform, into dist/bundle/
    python scripts/build_bundle.py --platform win_amd64     # Windows (64-bit) only
    python scripts/build_bundle.py --platform linux_x86_64 --platform linux_aarch64   # 信创 Linux desktops
    python scripts/build_bundle.py --wheel dist/sancha-0.1.0-py3-none-any.whl --out /tmp/b

Run it on a machine WITH internet access (PyPI): it builds sancha's wheel (`python -m build`,
unless --wheel gives one) and downloads every dependency as a binary wheel for the target
(`pip download --only-binary=:all: --platform … --python-version 3.11 --implementation cp`).
Each bundle is a folder and a .zip of it:

    sancha-<version>-<platform>/
      wheels/                  sancha and every dependency (no internet needed to install)
      安装.bat / 安装.sh        checks Python ≥ 3.11, makes a venv beside it, installs with --no-index,
                               and makes the workspace workspace/ (sancha init) if there is none
      启动督查台帐.bat / .sh     starts the web desk and opens the browser
      每周批处理.bat / .sh       runs the weekly batch
      说明.txt                  what to do, in Chinese

The target machine needs Python 3.11 or later installed (python.org's installer on Windows, the
distribution's python3 on Linux); nothing else. The .bat files are ASCII commands with Chinese
messages after `chcp 65001`, with CRLF line ends, so cmd.exe reads them on a Chinese Windows.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.11"  # the oldest Python the wheels are chosen for (abi3 and cp311 wheels)

# target name -> pip --platform tags (newest manylinux first: pip takes any of them)
PLATFORMS = {
    "win_amd64": ["win_amd64"],
    "linux_x86_64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "linux_aarch64": ["manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
}


def build_wheel(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)], check=True)
    return max(out.glob("sancha-*.whl"), key=lambda p: p.stat().st_mtime)


def download_wheels(wheel: Path, platform: str, dest: Path, python_version: str = PYTHON_VERSION) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(wheel, dest / wheel.name)
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--only-binary=:all:",
           "--python-version", python_version, "--implementation", "cp", "--dest", str(dest), str(wheel)]
    for tag in PLATFORMS[platform]:
        cmd += ["--platform", tag]
    subprocess.run(cmd, check=True)
    return sorted(dest.glob("*.whl"))


# -- the scripts a clerk double-clicks ---------------------------------------------------------------

INSTALL_BAT = r"""@echo off
setlocal
chcp 65001 >nul
cd /d "%~dp0"
set "PY="
where py >nul 2>nul && set "PY=py -3"
if not defined PY (where python >nul 2>nul && set "PY=python")
if not defined PY (
  echo 没有找到 Python。请先安装 Python 3.11 或更高版本：
  echo python.org 的 Windows 安装程序，安装时勾选 Add python.exe to PATH，然后再运行本文件。
  pause
  exit /b 1
)
%PY% -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)"
if errorlevel 1 (
  echo 已安装的 Python 版本太旧，sancha 需要 Python 3.11 或更高版本。当前版本：
  %PY% --version
  pause
  exit /b 1
)
echo 正在创建运行环境 venv ...
%PY% -m venv venv
if errorlevel 1 goto failed
venv\Scripts\python.exe -m pip install --no-index --find-links wheels --upgrade sancha
if errorlevel 1 goto failed
if not exist "workspace\sancha.toml" venv\Scripts\sancha.exe init workspace
echo.
echo 安装完成。工作区在 %~dp0workspace ，请在其中的 sancha.toml 登记各单位。
echo 双击 启动督查台帐.bat 打开督查台帐网页，双击 每周批处理.bat 运行每周批处理。
pause
exit /b 0
:failed
echo 安装没有完成，请把上面的提示交给系统管理员。
pause
exit /b 1
"""

# The start of the two .bat files that need the installation: the code page, the folder, a check.
INSTALLED_BAT = r"""@echo off
setlocal
chcp 65001 >nul
cd /d "%~dp0"
if not exist "venv\Scripts\sancha.exe" (
  echo 尚未安装，请先双击 安装.bat 。
  pause
  exit /b 1
)
"""

SERVE_BAT = INSTALLED_BAT + r"""echo 正在启动督查台帐网页，浏览器会自动打开；关闭本窗口即停止。
venv\Scripts\sancha.exe -C workspace serve --open
pause
"""

WEEKLY_BAT = INSTALLED_BAT + r"""venv\Scripts\sancha.exe -C workspace weekly %*
echo.
echo 生成的文件在 %~dp0workspace\outbox 。
pause
"""

INSTALL_SH = """#!/bin/sh
# 安装 sancha（离线）：需要已安装 Python 3.11 或更高版本（python3）。
set -e
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "没有找到 Python（python3）。请先安装 Python 3.11 或更高版本，再运行本脚本。"
  exit 1
fi
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "已安装的 Python 版本太旧，sancha 需要 Python 3.11 或更高版本。当前版本：$("$PY" --version 2>&1)"
  exit 1
fi
echo "正在创建运行环境 venv ..."
"$PY" -m venv venv
venv/bin/python -m pip install --no-index --find-links wheels --upgrade sancha
if [ ! -f workspace/sancha.toml ]; then venv/bin/sancha init workspace; fi
echo
echo "安装完成。工作区在 $(pwd)/workspace ，请在其中的 sancha.toml 登记各单位。"
echo "运行 ./启动督查台帐.sh 打开督查台帐网页，运行 ./每周批处理.sh 运行每周批处理。"
"""

SERVE_SH = """#!/bin/sh
cd "$(dirname "$0")"
if [ ! -x venv/bin/sancha ]; then echo "尚未安装，请先运行 ./安装.sh 。"; exit 1; fi
echo "正在启动督查台帐网页，浏览器会自动打开；按 Ctrl+C 停止。"
exec venv/bin/sancha -C workspace serve --open "$@"
"""

WEEKLY_SH = """#!/bin/sh
cd "$(dirname "$0")"
if [ ! -x venv/bin/sancha ]; then echo "尚未安装，请先运行 ./安装.sh 。"; exit 1; fi
venv/bin/sancha -C workspace weekly "$@"
status=$?
echo "生成的文件在 $(pwd)/workspace/outbox 。"
exit $status
"""

README_TXT = """sancha 督查台帐 离线安装包（{platform}，sancha {version}）

需要：已安装 Python 3.11 或更高版本（Windows 从 python.org 下载安装程序，安装时勾选
“Add python.exe to PATH”；Linux 用系统自带的 python3）。不需要联网。

1. 把整个文件夹复制到办公电脑上（路径中最好不含空格）。
2. Windows：双击 安装.bat；Linux：在终端运行 ./安装.sh 。
   它会检查 Python 版本，在本文件夹里建立运行环境（venv），从 wheels 文件夹安装 sancha，
   并建立工作区 workspace（已有则保留）。
3. 在 workspace\\sancha.toml 中登记本区的各单位（见使用手册）。
4. 双击 启动督查台帐.bat（Linux：./启动督查台帐.sh）打开督查台帐网页；
   双击 每周批处理.bat（Linux：./每周批处理.sh）运行每周批处理，文件在 workspace\\outbox 。

升级：用新版本的安装包覆盖本文件夹后再运行一次安装，工作区和台帐数据不受影响。
"""


def _write(path: Path, text: str, crlf: bool = False, executable: bool = False) -> None:
    data = text.replace("\r\n", "\n")
    if crlf:
        data = data.replace("\n", "\r\n")
    path.write_bytes(data.encode("utf-8"))
    if executable:
        path.chmod(0o755)


def write_scripts(folder: Path, platform: str, version: str) -> None:
    for name, text in (("安装.bat", INSTALL_BAT), ("启动督查台帐.bat", SERVE_BAT), ("每周批处理.bat", WEEKLY_BAT)):
        _write(folder / name, text, crlf=True)
    for name, text in (("安装.sh", INSTALL_SH), ("启动督查台帐.sh", SERVE_SH), ("每周批处理.sh", WEEKLY_SH)):
        _write(folder / name, text, executable=True)
    _write(folder / "说明.txt", README_TXT.format(platform=platform, version=version), crlf=platform.startswith("win"))


def wheel_version(wheel: Path) -> str:
    m = re.match(r"sancha-([^-]+)-", wheel.name)
    return m.group(1) if m else "0"


def build_bundle(wheel: Path, platform: str, out: Path, python_version: str = PYTHON_VERSION,
                 make_zip: bool = True) -> Path:
    version = wheel_version(wheel)
    folder = out / f"sancha-{version}-{platform}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    download_wheels(wheel, platform, folder / "wheels", python_version)
    write_scripts(folder, platform, version)
    if make_zip:
        archive = folder.with_suffix(".zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for p in sorted(folder.rglob("*")):
                info = zipfile.ZipInfo.from_file(p, p.relative_to(out).as_posix())
                info.flag_bits |= 0x800  # names are UTF-8 (安装.bat), as Windows' Explorer expects
                if p.is_file():
                    z.writestr(info, p.read_bytes(), zipfile.ZIP_DEFLATED)
    return folder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python scripts/build_bundle.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                    help="target (repeatable); default: all of them")
    ap.add_argument("--out", type=Path, default=ROOT / "dist" / "bundle", help="where the bundles go")
    ap.add_argument("--wheel", type=Path, help="sancha's wheel, if already built (else python -m build makes it)")
    ap.add_argument("--python-version", default=PYTHON_VERSION, help="the target's Python version (default 3.11)")
    ap.add_argument("--no-zip", action="store_true", help="leave the folders only")
    args = ap.parse_args(argv)
    wheel = args.wheel or build_wheel(Path(tempfile.mkdtemp(prefix="sancha-wheel-")))
    for platform in args.platform or sorted(PLATFORMS):
        folder = build_bundle(wheel, platform, args.out, args.python_version, make_zip=not args.no_zip)
        wheels = list((folder / "wheels").glob("*.whl"))
        size = sum(p.stat().st_size for p in wheels) / 2**20
        print(f"{folder}: {len(wheels)} wheels, {size:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
