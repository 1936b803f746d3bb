"""Every finding code sancha can report, declared once: severity, a Chinese title, the wording.

In the manner of frictionless's error classes: a `Code` is declared here with its severity, a
short Chinese title (README's findings table shows it), its message and hint templates
(`str.format`, format specs allowed) and, where one code is worded more than one way, named
`forms`. A finding is made through its code — `BAD_DEADLINE.at(sheet, cell, text=…, hint=…)`,
or `make("bad-deadline", …)` by name — so a code not declared here cannot be emitted, and a
template's placeholders must all be given, no more, no fewer.

`{where}` in a message is the finding's place, `Sheet!F5` (or the sheet alone without a
cell), unless given; `{file}` is the submitted file's name. Scopes: FILE for what a submitted
file gets on its receipt (parse, merge, ingest), WORKSPACE for `sancha doctor`'s checks.
"""

from __future__ import annotations

from string import Formatter
from typing import NamedTuple

from pipeline.model import ERROR, WARNING, Finding

FILE = "file"
WORKSPACE = "workspace"


class UnknownCode(KeyError):
    """A finding code that is not in the catalogue."""


class Form(NamedTuple):
    """One wording of a code; `severity` only where it differs from the code's."""

    message: str
    hint: str | None
    severity: str | None = None


class _Wording(NamedTuple):
    message: str
    hint: str | None
    severity: str
    fields: frozenset[str]  # every placeholder of the message and the hint


def _fields(*templates: str | None) -> frozenset[str]:
    return frozenset(name for t in templates if t for _, name, _, _ in Formatter().parse(t) if name)


class Code:
    """One finding code: what it means (`title`), how bad it is, and how it is worded."""

    def __init__(self, code: str, severity: str, title: str, message: str, hint: str | None, *,
                 scope: str = FILE, forms: dict[str, Form] | None = None):
        self.code, self.severity, self.title, self.scope = code, severity, title, scope
        self._wordings = {
            name: _Wording(form.message, form.hint, form.severity or severity, _fields(form.message, form.hint))
            for name, form in {"": Form(message, hint), **(forms or {})}.items()
        }

    @property
    def levels(self) -> tuple[str, ...]:
        """The severities its findings can have, the code's own first."""
        return tuple(dict.fromkeys(w.severity for w in self._wordings.values()))

    @property
    def forms(self) -> tuple[str, ...]:
        return tuple(self._wordings)

    def at(self, sheet: str | None = None, cell: str | None = None, *, form: str = "", **values: object) -> Finding:
        """The finding at `sheet`/`cell` (None for a file- or workspace-level one), worded by
        `form` with `values` in its placeholders."""
        wording = self._wordings[form]
        if "where" in wording.fields and "where" not in values:
            values["where"] = f"{sheet}!{cell}" if cell else sheet
        if values.keys() != wording.fields:
            raise TypeError(f"{self.code}{'/' + form if form else ''} takes {sorted(wording.fields)}, "
                            f"not {sorted(values)}")
        hint = wording.hint.format(**values) if wording.hint is not None else None
        return Finding(self.code, wording.severity, sheet, cell, wording.message.format(**values), hint)

    def __repr__(self) -> str:
        return f"Code({self.code!r})"


CATALOGUE: dict[str, Code] = {}


_TAKEN = frozenset({"sheet", "cell", "form"})  # `Code.at`'s own parameters: no placeholder may be named so


def _declare(code: str, severity: str, title: str, message: str, hint: str | None, *, scope: str = FILE,
             forms: dict[str, Form] | None = None) -> Code:
    if code in CATALOGUE:
        raise ValueError(f"finding code {code} declared twice")
    if _fields(message, hint, *(t for f in (forms or {}).values() for t in (f.message, f.hint))) & _TAKEN:
        raise ValueError(f"finding code {code}: a placeholder is named {sorted(_TAKEN)}")
    CATALOGUE[code] = declared = Code(code, severity, title, message, hint, scope=scope, forms=forms)
    return declared


def make(code: str, sheet: str | None = None, cell: str | None = None, *, form: str = "",
         **values: object) -> Finding:
    """`CODE.at(…)` by the code's name; an undeclared code raises `UnknownCode`."""
    try:
        declared = CATALOGUE[code]
    except KeyError:
        raise UnknownCode(code) from None
    return declared.at(sheet, cell, form=form, **values)


# -- the file: can it be read at all (read.py, safety.py) ---------------------------------------

_REOPEN = "请用 Excel 或 WPS 打开确认无误，另存为 .xlsx 后重新报送"
UNREADABLE_FILE = _declare(
    "unreadable-file", ERROR, "文件无法读取", "{file}：无法读取该文件", _REOPEN, forms={
        "empty": Form("{file}：文件为空，可能还没有复制完", _REOPEN),
        "damaged": Form("{file}：无法读取，文件可能已损坏、未复制完整，或不是表格文件", _REOPEN),
        "truncated": Form("{file}：文件不完整（可能还没有复制完或已损坏）", _REOPEN),
        "corrupt": Form("{file}：文件不完整或已损坏（可能还没有复制完）", _REOPEN),
        "crashed": Form("{file}：读取时读取程序意外退出，文件可能已损坏", _REOPEN),
    })
FILE_QUARANTINED = _declare(
    "file-quarantined", ERROR, "文件已隔离",
    "{file}：读取该文件时程序两次中断，文件已移入隔离区（data/quarantine/），不再处理", _REOPEN)
LINK_NOT_ALLOWED = _declare(
    "link-not-allowed", ERROR, "链接不是文件",
    "{file}：是一个链接（快捷方式），不是文件本身，未读取", "请把文件本身（而不是链接或快捷方式）放入收件箱")
ENCRYPTED_FILE = _declare(
    "encrypted-file", ERROR, "文件设有密码",
    "{file}：文件设置了打开密码，无法读取", "请在 Excel/WPS 中取消密码（文件 → 信息/文档加密）后重新报送")
UNSUPPORTED_FORMAT = _declare(
    "unsupported-format", ERROR, "不是电子表格",
    "{file}：不是电子表格文件（扩展名 “{suffix}”）", "请报送 Excel/WPS 表格（.xlsx、.xls、.et）或 CSV 文件")
_SHRINK = "请删去图片、多余的工作表和行列后另存，再报送"
FILE_TOO_LARGE = _declare(
    "file-too-large", ERROR, "文件过大",
    "{file}：文件大小 {size_mb:.1f} MB，超过上限 {limit_mb:g} MB", "请删去图片和多余的工作表后再报送", forms={
        "memory": Form("{file}：读取该文件所需的内存超过上限 {limit_mb} MB", _SHRINK),
        "time": Form("{file}：读取该文件超过 {seconds:g} 秒仍未完成，超过时间上限", _SHRINK),
    })
ZIP_BOMB = _declare(
    "zip-bomb", ERROR, "解压后过大",
    "{file}：文件解压后达 {unpacked_mb:.0f} MB（压缩比 {ratio:.0f} 倍），超出安全上限",
    "请只保留三单表的内容，另存为新文件后再报送")
XML_BOMB = _declare(
    "xml-bomb", ERROR, "含有实体声明",
    "{file}：文件中含有 XML 实体声明（DOCTYPE/ENTITY），Excel 和 WPS 不会生成这样的文件，已拒绝读取",
    "请用 Excel 或 WPS 打开后另存为新的 .xlsx 文件再报送")
_TRIM_SHEETS = "表格末尾或右侧可能有误填的内容（包括空格），请删除多余的行和列，另存后再报送"
SHEET_TOO_LARGE = _declare(
    "sheet-too-large", ERROR, "工作表范围过大",
    "{file}：工作表的使用范围达 {rows} 行 × {cols} 列，超出安全上限", _TRIM_SHEETS, forms={
        "workbook": Form("{file}：{sheets} 个工作表的使用范围合计达 {cells} 个单元格，超出安全上限",
                         "请删除不需要的工作表和多余的行列，只保留三单表，另存后再报送"),
        "csv": Form("{file}：CSV 文件的范围至少达 {rows} 行 × {cols} 列，超出安全上限", _TRIM_SHEETS),
    })
EMPTY_WORKBOOK = _declare(
    "empty-workbook", ERROR, "表格为空", "{file}：表格中没有任何内容", "请填写三单表后再报送")

# -- the sheet and its header (parse.py) ---------------------------------------------------------

NO_HEADER = _declare(
    "no-header", ERROR, "找不到表头", "{file}：找不到三单表的表头", "表头应包含 {fields} 等列，请使用统一模板")
IGNORED_SHEET = _declare(
    "ignored-sheet", WARNING, "另有工作表未读取",
    "工作表 “{other}” 也有三单表表头，但只读取了 “{chosen}”", "请把全部事项填在同一张工作表中")
MISSING_COLUMN = _declare(
    "missing-column", ERROR, "缺少必填列",
    "{where}：表头缺少 “{field}” 列", "请在表头中加入 “{field}” 列（也可写作 {aliases}）", forms={
        "no-alias": Form("{where}：表头缺少 “{field}” 列", "请在表头中加入 “{field}” 列"),
    })
NO_ROWS = _declare("no-rows", ERROR, "没有事项", "{where}：表头下没有任何事项", "请在表头下逐行填写整改事项")
TOO_MANY_ROWS = _declare(
    "too-many-rows", ERROR, "事项行数过多",
    "{where}：表头下有 {rows} 行事项，超过每个文件 {limit} 行的上限",
    "请核对表格下方是否误填了内容；事项确实很多时请分成几个文件报送")
BAD_REPORT_DATE = _declare(
    "bad-report-date", WARNING, "填报日期无效", "{where}：填报日期 “{text}” 不是有效日期，按收到日期计算", "{hint}")

# -- who submits (submitter.py) --------------------------------------------------------------------

UNKNOWN_SUBMITTER = _declare(
    "unknown-submitter", ERROR, "填报单位不明", "{where}：填报单位 “{text}” 不是已登记的单位", "{hint}", forms={
        "folder": Form("报送文件夹 “{folder}” 不是已登记的单位", "请把文件放入以本单位登记名称命名的文件夹"),
        "undetermined": Form("无法确定填报单位",
                             "请在表头上方加一行 “填报单位：本单位名称”，或放入 inbox/本单位名称/ 文件夹"),
    })
SUBMITTER_MISMATCH = _declare(
    "submitter-mismatch", ERROR, "填报单位与文件夹不符",
    "{where}：填报单位 “{text}” 与报送文件夹 “{folder}” 不一致",
    "请放入 {unit} 的文件夹，或把填报单位改为 {folder_unit}")
LEAD_UNIT_MISMATCH = _declare(
    "lead-unit-mismatch", ERROR, "非本单位牵头事项",
    "{where}：牵头责任单位 “{unit}” 不是填报单位 {submitter}",
    "各单位只报送本单位牵头的事项，其他单位牵头的事项由该单位报送")

# -- one row's cells (parse.py) ----------------------------------------------------------------------

EMPTY_REQUIRED = _declare("empty-required", ERROR, "必填项未填写", "{where}：{field} 未填写", "每个事项都要填写{field}")
FORMULA_NO_VALUE = _declare(
    "formula-no-value", ERROR, "公式没有计算结果",
    "{where}：{field} 是公式，但文件中没有保存公式的计算结果",
    "请用 Excel 或 WPS 打开文件，确认显示无误后保存，再重新报送（其他软件生成的表格可能不含公式结果）")
ERROR_CELL = _declare(
    "error-cell", ERROR, "单元格为错误值",
    "{where}：{field} 是错误值 {error}", "公式出错（如 #REF! 表示引用的单元格已被删除），请改正公式或直接填写内容")
BAD_ITEM_ID = _declare(
    "bad-item-id", ERROR, "编号格式有误",
    "{where}：编号 “{text}” 不是台账编号（如 2026-0001）", "首次报送请留空；再次报送请照抄回执中的编号")
BAD_DEADLINE = _declare("bad-deadline", ERROR, "整改时限无效", "{where}：整改时限 “{text}” 不是有效日期", "{hint}")
BAD_DATE = _declare("bad-date", ERROR, "完成日期无效", "{where}：{field} “{text}” 不是有效日期", "{hint}")
UNKNOWN_STATUS = _declare("unknown-status", ERROR, "完成情况无法识别", "{where}：{field} “{text}” 无法识别", "{hint}")
_UNKNOWN_UNIT = "{where}：{field} “{text}” 不是已登记的单位"
UNKNOWN_UNIT = _declare(
    "unknown-unit", ERROR, "单位未登记", _UNKNOWN_UNIT, "{hint}", forms={
        "several": Form(_UNKNOWN_UNIT, "牵头责任单位只填一个单位，其余单位请填入配合责任单位"),
        "group": Form(_UNKNOWN_UNIT, "牵头责任单位应是一个具体单位，泛指的单位请填入配合责任单位"),
    })
DONE_WITHOUT_DATE = _declare(
    "done-without-date", WARNING, "缺少完成日期", "{where}：完成情况为 已完成，但未填写完成日期", "请填写完成日期")
DATE_WITHOUT_DONE = _declare(
    "date-without-done", WARNING, "完成情况未填已完成",
    "{where}：填写了完成日期，但完成情况不是 已完成", "已完成的事项请把完成情况填为 已完成")
NEEDS_HELP_WITHOUT_REASON = _declare(
    "needs-help-without-reason", ERROR, "需上级协调未写明原因",
    "{where}：完成情况为 需上级协调，但整改进展和备注都没有写明需要协调的问题和原因",
    "请在整改进展或备注中写明需上级协调解决的具体问题、原因和已做的工作，再重新报送")
DUPLICATE_PROBLEM = _declare(
    "duplicate-problem", ERROR, "问题重复",
    "{where}：整改问题与 {first} 重复", "同一问题只填一行；多项措施请写在同一行的整改措施中")
_LEFT_OUT, _FIX_LISTED = "问题过多：只列出前 {limit} 条，另有 {more} 条未列出", "请先改正已列出的问题，再重新报送检查"
# Issue 17: the three lists complete, deadlines as written, sources as categories.
IGNORED_COLUMN = _declare(
    "ignored-column", WARNING, "该栏不录入台帐",
    "{where}：“{label}”一栏不录入台帐，其中内容不会保存", "该栏内容请另行报送督查室；如无需要可删去该栏")
NO_OWNER = _declare(
    "no-owner", WARNING, "责任人未明确",
    "{where}：事项未填写责任人（具体责任人或责任领导），已登记为“责任人未明确”",
    "整改要落实到岗到人：请在责任人栏填写具体责任人，在责任领导栏填写分管领导")
MONTH_ONLY_DEADLINE = _declare(
    "month-only-deadline", WARNING, "整改时限只写到月份",
    "{where}：整改时限 “{text}” 只写到月份，按该月最后一天 {day} 计算",
    "请写明日期，如 2026年12月31日 或 2026年12月底前")
UNKNOWN_SOURCE = _declare(
    "unknown-source", WARNING, "问题来源无法归类",
    "{where}：问题来源 “{text}” 无法归入已有类别，按“其他”统计（原文照录）", "问题来源请写：{categories}")
TOO_MANY_FINDINGS = _declare(
    "too-many-findings", WARNING, "问题过多", _LEFT_OUT, _FIX_LISTED, forms={
        "errors-left-out": Form(_LEFT_OUT + "（其中 {hidden} 处错误，整个文件未录入台帐）", _FIX_LISTED, ERROR),
    })

# -- against the ledger (merge.py) -----------------------------------------------------------------

UNKNOWN_ID = _declare(
    "unknown-id", ERROR, "编号不存在",
    "{where}：台帐中没有编号 {item_id}", "新问题请留空编号；已有问题请照抄反馈表中的编号")
FOREIGN_ID = _declare(
    "foreign-id", ERROR, "编号属于其他单位",
    "{where}：编号 {item_id} 属于 {owner}，不是 {unit} 的事项", "请核对编号；只能报送本单位牵头的事项")
DUPLICATE_ID = _declare(
    "duplicate-id", ERROR, "编号重复",
    "{where}：编号 {item_id} 在本表中出现两次（另见第 {first_row} 行）", "每个编号只填一行")
DEADLINE_CHANGE_IGNORED = _declare(
    "deadline-change-ignored", WARNING, "时限修改未采纳",
    "{where}：编号 {item_id} 的整改时限由“{old}”改为“{new}”未被采纳，台帐仍按原时限计算",
    "延期须在时限届满前书面申请，经督查室批准后由督查室登记（sancha extend）")

_STALE_HINT = "请使用最新的反馈表报送（每周的反馈表会附上台帐中的最新情况）"
STALE_VALUE = _declare(
    "stale-value", WARNING, "旧表中的旧值未采用",
    "{where}：{title} 本表为“{new}”，台帐中已于 {changed_on} 更新为“{current}”，晚于本表的 {made_on}，未采用本表的旧值",
    _STALE_HINT, forms={
        "moved": Form("{where}：牵头责任单位 本表为 {unit}，台帐中 {item_id} 已于 {changed_on} 移交 {owner}"
                      "（晚于本表的 {made_on}），本行未录入台帐", "请使用最新的反馈表报送；该事项今后由接收单位报送"),
        # a township running sancha keeps an item the district moved away (两级联动)
        "kept": Form("{where}：台帐中 {item_id} 已于 {changed_on} 移交 {owner}，不再由 {unit} 办理，本行未录入台帐",
                     "请在本级台帐中作废该事项（sancha void），今后的报表中就不再有这一行"),
    })
STATUS_REGRESSION = _declare(
    "status-regression", WARNING, "已完成事项不能改回未完成",
    "{where}：{item_id} 已{done}，本行的完成情况“{status}”未被采纳，本行其他内容也未录入",
    "已完成的事项如出现反弹，请联系督查室重新打开（sancha reopen）后再报送")
ID_MISMATCH = _declare(
    "id-mismatch", ERROR, "编号与整改问题不符",
    "{where}：编号 {item_id} 在台帐中是另一个问题，与本行的整改问题“{problem}”不符",
    "{item_id} 的整改问题是“{item_problem}”；请核对编号，新问题请留空编号")
SIMILAR_PROBLEM = _declare(
    "similar-problem", WARNING, "与未完成事项相近",
    "{where}：新问题“{problem}”与本单位未完成的 {other_id}“{other}”十分相近，已作为新事项 {item_id} 登记",
    "如是同一问题，请在编号栏填写 {other_id} 后重新报送，并告知督查室作废 {item_id}")
DONE_IN_FUTURE = _declare(
    "done-in-future", ERROR, "完成日期晚于填报日期", "{where}：完成日期 {done_on} 晚于{limit}",
    "完成日期只能填写已经完成整改的日期；尚未完成的请将完成情况填写为推进中")
VOIDED_ID = _declare(
    "voided-id", WARNING, "事项已作废", "{where}：编号 {item_id} 已于 {voided_on} 作废，本行未录入台帐",
    "该事项已由督查室作废，今后无需报送")

UNKNOWN_INSPECTION = _declare(
    "unknown-inspection", WARNING, "检查名称未登记",
    "{where}：检查名称 “{name}” 不是已登记的检查，事项未归入任何检查", "{hint}")

_COOPERATION_HINT = "配合情况只填本单位作为配合责任单位的事项；请使用最新的反馈表"
NOT_CO_UNIT = _declare(
    "not-co-unit", WARNING, "配合情况未录入",
    "{where}：{item_id} 的配合责任单位中没有 {unit}，本行配合情况未录入", _COOPERATION_HINT, forms={
        "unknown": Form("{where}：台帐中没有编号 {item_id}，本行配合情况未录入", _COOPERATION_HINT),
    })

# -- the inbox (ledger/ingest.py) ------------------------------------------------------------------

UNKNOWN_FOLDER = _declare(
    "unknown-folder", WARNING, "文件夹不是登记单位",
    "文件所在文件夹 “{folder}” 不是登记的单位名称", "请把文件放进 inbox/<单位名称>/ 或直接放进 inbox/")
_SAME_BYTES = "{file} 与 {received:%Y年%m月%d日} 收到的 {first} 内容完全相同，本次未作任何改动"
DUPLICATE_FILE = _declare(  # of an accepted file only: a rejected one sent again is processed again
    "duplicate-file", WARNING, "重复报送", _SAME_BYTES, "如需更新，请修改后重新报送")

# -- the office's action sheet 督查室操作 (intake/action_sheet.py, ledger/sheet_actions.py) -----------

ACTION_SHEET_HEADER = _declare(
    "action-sheet-header", ERROR, "操作表缺少列", "{where}：督查室操作表缺少 “{column}” 列",
    "请使用每周三单工作台帐中的“督查室操作”工作表，不要删改表头（编号、操作、日期、新时限、移交单位、说明）")
ACTION_DONE = _declare(
    "action-done", WARNING, "操作已办理", "{where}：第 {row} 行 {text}", None)
ACTION_REFUSED = _declare(
    "action-refused", ERROR, "操作未办理", "{where}：第 {row} 行 {item} {operation}未办理：{reason}",
    "请修改该行后把表重新放入 inbox/督查室/（已办理的行请删去）")

# -- 佐证材料 in the inbox (ledger/ingest.py, intake/evidence.py) ------------------------------------

_EVIDENCE_NAMING = "文件名以事项编号开头（如 2026-0007_整改照片.jpg），或放入 inbox/<单位名称>/佐证/<编号>/ 文件夹"
EVIDENCE_UNKNOWN_ID = _declare(
    "evidence-unknown-id", ERROR, "佐证材料编号不存在",
    "{file}：台帐中没有编号 {item_id}，佐证材料未收录", "请核对编号后重新报送：" + _EVIDENCE_NAMING, forms={
        "no-id": Form("{file}：放在佐证文件夹中，但没有标明事项编号，佐证材料未收录", "请" + _EVIDENCE_NAMING),
        "bad-id": Form("{file}：“{named}” 不是有效的事项编号（应如 2026-0007），佐证材料未收录",
                       "请照抄反馈表中的编号：" + _EVIDENCE_NAMING),
    })
EVIDENCE_FOREIGN_ID = _declare(
    "evidence-foreign-id", ERROR, "佐证材料不属于本单位事项",
    "{file}：{item_id} 由 {owner} 牵头，{unit} 不是其牵头或配合单位，佐证材料未收录",
    "只能报送本单位牵头或配合事项的佐证材料；请核对编号", forms={
        "no-unit": Form("{file}：不在已登记单位的文件夹中，无法确定是哪个单位报送的 {item_id} 佐证材料，未收录",
                        "请把佐证材料放入 inbox/<单位名称>/ 后重新报送"),
    })
EVIDENCE_TYPE = _declare(
    "evidence-type", ERROR, "佐证材料类型不允许",
    "{file}：“{suffix}” 类型的文件不能作为佐证材料", "可报送的类型：{types}", forms={
        "disguised": Form("{file}：文件内容不是扩展名所示的 {suffix} 文件，佐证材料未收录",
                          "请报送原始文件，不要修改文件的扩展名"),
    })
EVIDENCE_TOO_LARGE = _declare(
    "evidence-too-large", ERROR, "佐证材料过大",
    "{file}：文件大小 {size_mb:.1f} MB，超过佐证材料上限 {limit_mb:g} MB，未收录",
    "请压缩图片或把材料拆成几个文件分别报送")
EVIDENCE_IN_REPORT = _declare(
    "evidence-in-report", WARNING, "随报表的佐证材料未收录",
    "{file}：随报表报送的 {item_id} 佐证材料 {name} 未收录：{reason}",
    "报表其余内容已录入；请核对后把该材料直接报送，放入 inbox/<单位名称>/佐证/<编号>/")

# -- sancha doctor: the workspace (service/doctor.py) ----------------------------------------------

CONFIG_INVALID = _declare(
    "config-invalid", ERROR, "配置有误", "{error}", "请改正 {path} 后再运行 sancha doctor", scope=WORKSPACE)
UNIT_FOLDER_CLASH = _declare(
    "unit-folder-clash", ERROR, "回执文件夹重名",
    "单位 “{name}” 与 “{other}” 的回执文件夹同为 outbox/{folder}/",
    "请在 sancha.toml 中改用可区分的单位名称（名称中不要用 \\ / : * ? \" < > | 和首尾的点）", scope=WORKSPACE)
TEMPLATE_MISSING = _declare(
    "template-missing", ERROR, "缺少模板", "缺少模板 {path}", "请运行 sancha templates 写入默认模板", scope=WORKSPACE)
_TEMPLATE_RESTORE = "请撤销对模板的修改，或运行 sancha templates --force 恢复默认模板（会覆盖修改）"
_TEMPLATE_SPELLING = "请检查模板中 {{{{ }}}} 内的字段名拼写（一个字段须在同一段文字中一次输入）"  # {{ }} shown
TEMPLATE_BROKEN = _declare(
    "template-broken", ERROR, "模板无法生成文档", "模板 {name} 无法生成文档：{error}", _TEMPLATE_RESTORE,
    scope=WORKSPACE, forms={
        # a rendering error worded by output.documents.render: template, paragraph, what is wrong
        "rendered": Form("{problem}", _TEMPLATE_RESTORE),
    })
TEMPLATE_UNKNOWN_VARIABLE = _declare(
    "template-unknown-variable", ERROR, "模板字段未知", "模板 {name} 使用了未知的字段：{fields}", _TEMPLATE_SPELLING,
    scope=WORKSPACE, forms={
        # an unknown field or attribute met while rendering: template, tag, paragraph, nearest name
        "rendered": Form("{problem}", _TEMPLATE_SPELLING),
    })
DATABASE_UNREADABLE = _declare(
    "database-unreadable", ERROR, "数据库无法打开", "台帐数据库 {path} 无法打开：{error}",
    "请停止所有 sancha 进程，从备份恢复 data/ledger.sqlite", scope=WORKSPACE)
LEDGER_LOST = _declare(
    "ledger-lost", ERROR, "台帐丢失或损坏", "{error}", "恢复前，所有 sancha 命令都会停止（退出码 2）", scope=WORKSPACE)
DATABASE_INTEGRITY = _declare(
    "database-integrity", ERROR, "数据库检查未通过", "台帐数据库检查未通过：{problem}",
    "请停止所有 sancha 进程，备份 data/ 后联系系统管理员", scope=WORKSPACE)
LEDGER_UNIT_UNREGISTERED = _declare(
    "ledger-unit-unregistered", ERROR, "事项的单位未登记",
    "台帐中 {count} 个事项（如 {first}）的牵头责任单位 “{name}” 不是 sancha.toml 登记的单位，"
    "这些事项不会出现在任何单位的反馈表和督办通知单中",
    "如该单位已更名（机构改革），请在 sancha.toml {new_name}的 [[units]] 中加上 aliases = [\"{name}\"]，"
    "它的事项即归新名称；仍是独立单位的，请登记 [[units]] name = \"{name}\"；"
    "事项改由其他单位牵头的，请用 sancha reassign 编号 --to 单位 --note 理由 移交", scope=WORKSPACE)
CALENDAR_PROVISIONAL = _declare(
    "calendar-provisional", WARNING, "日历为暂定", "{year} 年的工作日按暂定规则推算（尚无国务院公布的放假安排）",
    "国务院公布 {year} 年节假日安排后，请升级 chinesecalendar，或在 sancha.toml [calendar] 的 "
    "holidays / workdays 中补充 {year} 年的放假和调休上班日期", scope=WORKSPACE)
STUCK_RECORDED = _declare(
    "stuck-recorded", WARNING, "回执未完成", "{name} 已入帐但回执未完成（处理中断）",
    "请运行 sancha ingest，会补写回执并清理收件箱", scope=WORKSPACE)
STUCK_INBOX = _declare(
    "stuck-inbox", WARNING, "文件滞留收件箱", "{path} 在收件箱中已超过 {hours} 小时未处理",
    "请确认 sancha watch 正在运行，或运行 sancha ingest", scope=WORKSPACE)
LEFTOVER_TEMP = _declare(
    "leftover-temp", WARNING, "残留临时文件", "{path} 是中断写入留下的临时文件", "确认没有 sancha 在运行后可以删除",
    scope=WORKSPACE)
FOLDER_NOT_WRITABLE = _declare(
    "folder-not-writable", ERROR, "文件夹不可写", "无法写入 {folder}：{error}",
    "请给运行 sancha 的账户开放该文件夹的写权限，并确认磁盘未满", scope=WORKSPACE)
