"""The faces a document names ([fonts] in sancha.toml), in the document and on this machine.

- `retarget(docx, fonts)`: a rendered document names the configured faces, whatever faces its
  template was written with: each face of a role (the face of the 公文正文, 公文标题, 一级标题 and
  二级标题 styles) is replaced everywhere by that role's configured face, and the font table and
  theme are rewritten to name those faces only. So changing [fonts] needs no new templates and
  keeps the office's edits.
- `missing_faces(fonts)`: the configured faces this machine does not have (LibreOffice would set
  them in a substitute, so a PDF would not look like the printed document).
- `stand_in_config(fonts)`: a fontconfig file that has LibreOffice set each missing face in an
  installed stand-in of the same widths where there is one (仿宋_GB2312 and 黑体 have half-width
  Latin letters and digits, like Noto Sans Mono CJK; a proportional Latin face would make every
  number wider than the printed one and the PDF's line breaks and page count wrong).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from pipeline.config import Fonts
from pipeline.output.documents.docx_layout import ROLE_STYLES, faces_of, font_table_xml, theme_xml

# Names the same face goes by (a Windows registry or an English system lists the English one).
_ALIASES = {
    "宋体": "SimSun", "黑体": "SimHei", "仿宋": "FangSong", "楷体": "KaiTi", "仿宋_GB2312": "FangSong_GB2312",
    "楷体_GB2312": "KaiTi_GB2312", "方正小标宋简体": "FZXiaoBiaoSong-B05S", "方正仿宋_GBK": "FZFangSong-Z02",
    "方正小标宋_GBK": "FZXiaoBiaoSong-B05", "方正黑体_GBK": "FZHei-B01", "方正楷体_GBK": "FZKai-Z03",
}
_FACE_ATTR = re.compile(r'((?:w:ascii|w:hAnsi|w:eastAsia|w:cs)=")([^"]*)(")')


def template_faces(styles_xml: str) -> dict[str, str]:
    """role → the east-Asian face a template's role style names (roles whose style is missing or
    names no face are left out)."""
    found = {}
    for role, style in ROLE_STYLES.items():
        m = re.search(r'<w:style\b[^>]*>(?:(?!</w:style>).)*?<w:name w:val="' + re.escape(style)
                      + r'"/>(?:(?!</w:style>).)*?w:eastAsia="([^"]+)"', styles_xml, re.S)
        if m:
            found[role] = m.group(1)
    return found


def retarget(data: bytes, fonts: Fonts) -> bytes:
    """The document with its faces set to `fonts` (see the module docstring)."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        styles = src.read("word/styles.xml").decode("utf-8") if "word/styles.xml" in src.namelist() else ""
        mapping = {face: getattr(fonts, role) for role, face in template_faces(styles).items()}
        mapping = {old: new for old, new in mapping.items() if old != new}
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                body = src.read(info.filename)
                name = info.filename
                if name == "word/fontTable.xml":
                    body = font_table_xml(faces_of(fonts))
                elif name.startswith("word/theme/") and name.endswith(".xml"):
                    body = theme_xml(body, fonts)
                elif mapping and name.startswith("word/") and name.endswith(".xml"):
                    body = _FACE_ATTR.sub(lambda m: f"{m[1]}{mapping.get(m[2], m[2])}{m[3]}",
                                          body.decode("utf-8")).encode("utf-8")
                dst.writestr(info, body)
    return out.getvalue()


@cache
def installed_faces() -> frozenset[str] | None:
    """Family names of the fonts installed here, or None when the system cannot tell."""
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
        return frozenset(name.strip() for line in out.splitlines() for name in line.split(",") if name.strip())
    if sys.platform == "win32":
        return _windows_faces()
    return None


def _windows_faces() -> frozenset[str] | None:
    try:
        import winreg  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    reg: Any = winreg  # typeshed declares its functions on Windows only
    names: set[str] = set()
    key_path = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Fonts"
    for root in (reg.HKEY_LOCAL_MACHINE, reg.HKEY_CURRENT_USER):
        try:
            with reg.OpenKey(root, key_path) as key:
                for n in range(reg.QueryInfoKey(key)[1]):
                    value = reg.EnumValue(key, n)[0]
                    for name in re.sub(r"\s*\(.*?\)\s*$", "", value).split("&"):
                        names.add(name.strip())
        except OSError:
            continue
    return frozenset(names) or None


# Stand-ins by role, best first (Debian: fonts-noto-cjk, fonts-arphic-*).
_STAND_INS = {
    "body": ("Noto Sans Mono CJK SC", "AR PL UMing CN", "Noto Serif CJK SC"),
    "title": ("Noto Serif CJK SC", "AR PL UMing CN", "Noto Sans CJK SC"),
    "heiti": ("Noto Sans Mono CJK SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei"),
    "kaiti": ("AR PL UKai CN", "Noto Sans Mono CJK SC", "Noto Serif CJK SC"),
    "number": ("Noto Serif CJK SC", "AR PL UMing CN", "Noto Sans Mono CJK SC"),
}


def stand_in_config(fonts: Fonts) -> str | None:
    """fontconfig XML aliasing each configured face missing here to an installed stand-in;
    None when nothing is missing, fontconfig is absent, or no stand-in is installed."""
    have = installed_faces()
    if have is None or not shutil.which("fc-list"):
        return None
    rules = []
    roles = {"body": fonts.body, "title": fonts.title, "heiti": fonts.heiti, "kaiti": fonts.kaiti, "number": "宋体"}
    for role, face in roles.items():
        if face in have or _ALIASES.get(face) in have:
            continue
        stand_in = next((f for f in _STAND_INS[role] if f in have), None)
        if stand_in:
            rules.append(f'<match target="pattern"><test name="family"><string>{escape(face)}</string></test>'
                         f'<edit name="family" mode="assign" binding="strong"><string>{escape(stand_in)}</string>'
                         "</edit></match>")
    if not rules:
        return None
    return ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
            '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>' + "".join(rules) + "</fontconfig>\n")


def missing_faces(fonts: Fonts) -> list[str]:
    """The configured faces (and 宋体 of the page numbers) not installed on this machine; []
    when it cannot tell."""
    have = installed_faces()
    if have is None:
        return []
    return [face for face in faces_of(fonts) if face not in have and _ALIASES.get(face) not in have]
