"""sancha.toml: an admin's first mistakes, each told in Chinese with what to write instead.

Every message pipeline/config.py can raise is triggered here and read back whole.
"""

import pytest
from builders import CONFIG_TOML, make_config, sancha_toml

from pipeline.config import ConfigError, Fonts, Limits, Rules, WatchSettings, parse_config
from pipeline.workspace import Workspace

OFFICE = '[office]\nname = "大观区人民政府办公室"\n'


def error(text: str) -> str:
    with pytest.raises(ConfigError) as e:
        parse_config(text)
    return str(e.value)


def test_the_test_configuration_reads_whole():
    config = make_config()
    assert config.office_name == "大观区人民政府办公室" and config.doc_prefix == "观政办"
    assert config.cc == ("区纪委监委", "区委办") and config.office_aliases == ("区委区政府督查室", "督查室")
    assert config.unit_names[:2] == ("区财政局", "区住房城乡建设局") and len(config.units) == 10
    assert config.units[0].aliases == ("财政局", "区财政")
    assert config.groups == ("各乡镇街道", "各预算单位", "区直各部门")
    assert [d.isoformat() for d in config.holidays] == ["2027-01-01"]
    assert config.signature == config.office_name  # 落款 defaults to the office
    assert (config.rules, config.watch, config.limits) == (Rules(), WatchSettings(), Limits())


def test_a_toml_syntax_error_names_line_and_column():
    assert error(OFFICE + "contact = 区委区政府督查室\n") == (
        "sancha.toml 格式有误（第 3 行第 11 列）：值无效。"
        "常见原因：文字没有加英文双引号、括号或引号不成对、同一个键写了两次"
    )


def test_a_file_cut_short_is_a_syntax_error_at_its_end():
    assert error(OFFICE + 'cc = ["区纪委监委",').startswith("sancha.toml 格式有误（文件末尾）：")


def test_a_key_given_twice_is_a_syntax_error():
    assert error(OFFICE + 'name = "另一个名称"\n').startswith("sancha.toml 格式有误（第 3 行第 15 列）：同一个键写了两次。")


def test_the_office_needs_a_name():
    expected = "sancha.toml: [office] 缺少 name（办公室全称，例如 “大观区人民政府办公室”）"
    assert error('[[units]]\nname = "区财政局"\n') == expected
    assert error('[office]\nname = "  "\n') == expected
    assert error("[office]\nname = ''\n") == expected


def test_office_written_as_a_value_instead_of_a_table():
    assert error('office = "大观区人民政府办公室"\n') == "sancha.toml: [office] 应是一个表"


def test_office_lists_must_be_lists_of_text():
    assert error(OFFICE + "cc = [1, 2]\n") == 'sancha.toml: [office] cc 应是字符串列表，例如 [office] cc = ["区纪委监委"]'
    assert error(OFFICE + "aliases = 3\n") == (
        'sancha.toml: [office] aliases 应是字符串列表，例如 [office] aliases = ["区纪委监委"]'
    )
    assert parse_config(OFFICE + 'cc = "区纪委监委"\n').cc == ("区纪委监委",)  # one name is a list of one


def test_units_must_be_an_array_of_tables():
    assert error(OFFICE + '[units]\nname = "区财政局"\n') == "sancha.toml: 单位应写成 [[units]] 表数组"
    assert error('units = ["区财政局"]\n' + OFFICE) == (
        'sancha.toml: 第 1 个单位应是 [[units]] 表，写成 [[units]] 下一行 name = "区财政局"'
    )


def test_a_unit_needs_a_name():
    assert error(OFFICE + '[[units]]\nname = "区财政局"\n[[units]]\naliases = ["审计局"]\n') == (
        "sancha.toml: 第 2 个 [[units]] 缺少 name"
    )


def test_unit_aliases_must_be_text():
    assert error(OFFICE + '[[units]]\nname = "区财政局"\naliases = [["财政局"]]\n') == (
        'sancha.toml: [[units]] 区财政局 aliases 应是字符串列表，例如 [[units]] 区财政局 aliases = ["区纪委监委"]'
    )


def test_a_unit_registered_twice():
    assert error(CONFIG_TOML + '\n[[units]]\nname = "海口镇"\n') == "sancha.toml: 单位重复登记：海口镇"


def test_an_alias_that_belongs_to_two_units():
    text = OFFICE + '[[units]]\nname = "区财政局"\naliases = ["财政局"]\n[[units]]\nname = "区审计局"\naliases = ["财政局"]\n'
    assert error(text) == "sancha.toml: 名称 “财政局” 同时属于 区财政局 和 区审计局，请删去其一"


def test_a_unit_name_that_is_another_units_alias():
    assert error(CONFIG_TOML + '\n[[units]]\nname = "审计局"\n') == (
        "sancha.toml: 名称 “审计局” 同时属于 区审计局 和 审计局，请删去其一"
    )


def test_group_phrases_must_be_text():
    assert error(OFFICE + "[groups]\nphrases = [1]\n") == (
        'sancha.toml: [groups] phrases 应是字符串列表，例如 [groups] phrases = ["区纪委监委"]'
    )


def test_calendar_dates_must_be_dates():
    assert error(OFFICE + '[calendar]\nholidays = ["2027-02-30"]\n') == (
        "sancha.toml: [calendar] holidays 中的 “2027-02-30” 不是日期，请写成 2027-01-01"
    )
    assert error(OFFICE + '[calendar]\nworkdays = ["2027年2月20日"]\n') == (
        "sancha.toml: [calendar] workdays 中的 “2027年2月20日” 不是日期，请写成 2027-01-01"
    )


def test_calendar_dates_must_be_a_list():
    assert error(OFFICE + '[calendar]\nholidays = "2027-01-01"\n') == (
        'sancha.toml: [calendar] holidays 应是日期列表，例如 holidays = ["2027-01-01"]'
    )


def test_calendar_written_as_a_value_instead_of_a_table():
    assert error("calendar = 2027\n" + OFFICE) == "sancha.toml: [calendar] 应是一个表"


def test_calendar_dates_may_be_toml_dates_or_text_and_are_sorted_once():
    config = parse_config(OFFICE + '[calendar]\nholidays = [2027-01-04, "2027-01-01", "2027-01-04"]\n')
    assert [d.isoformat() for d in config.holidays] == ["2027-01-01", "2027-01-04"]


def test_rules_watch_and_limits_must_be_tables():
    for section in ("rules", "watch", "limits"):
        assert error(f"{section} = 3\n" + OFFICE) == f"sancha.toml: [{section}] 应是一个表"


def test_an_unknown_key_names_the_keys_there_are():
    assert error(OFFICE + "[rules]\ndue_soon_days = 5\n") == (
        "sancha.toml: [rules] 中有未知的键 due_soon_days；可用的键：due_soon_workdays, report_within_workdays, "
        "key_overdue_workdays, lookback_days, notice_reply_workdays, commend_min_due, reissue_hours, "
        "measures_within_workdays, close_requires_evidence, ongoing_report_every, warn_after_workdays, "
        "accountability_after_workdays, name_persons"  # issues 17, 23 and 18
    )
    assert error(OFFICE + "[watch]\npoll = true\nseconds = 1\n") == (
        "sancha.toml: [watch] 中有未知的键 poll, seconds；可用的键：polling, interval, settle_seconds, rescan_seconds"
    )
    assert error(OFFICE + "[limits]\nmax_mb = 5\n").startswith(
        "sancha.toml: [limits] 中有未知的键 max_mb；可用的键：max_file_mb, max_uncompressed_mb, "
    )


@pytest.mark.parametrize(("line", "message"), [
    ('[rules]\ndue_soon_workdays = "3"\n', "[rules] due_soon_workdays 应是整数，现在是 '3'"),
    ("[rules]\nlookback_days = 30.5\n", "[rules] lookback_days 应是整数，现在是 30.5"),
    ("[rules]\ncommend_min_due = true\n", "[rules] commend_min_due 应是整数，现在是 True"),
    ('[watch]\npolling = "yes"\n', "[watch] polling 应是true 或 false，现在是 'yes'"),
    ("[watch]\ninterval = false\n", "[watch] interval 应是数字，现在是 False"),
    ('[limits]\nmax_file_mb = "50"\n', "[limits] max_file_mb 应是数字，现在是 '50'"),
])
def test_a_value_of_the_wrong_type_says_what_it_should_be(line, message):
    assert error(OFFICE + line) == f"sancha.toml: {message}"


def test_whole_numbers_are_taken_where_decimals_are_expected():
    config = parse_config(OFFICE + "[watch]\ninterval = 5\n[limits]\nmax_file_mb = 20\n")
    assert config.watch.interval == 5.0 and isinstance(config.watch.interval, float)
    assert config.limits.max_file_mb == 20.0


def test_a_missing_sancha_toml_says_how_to_make_one(tmp_path):
    ws = Workspace(tmp_path / "办公室")
    with pytest.raises(ConfigError) as e:
        ws.config  # noqa: B018 - reading it is the test
    assert str(e.value) == (
        f"找不到配置文件 {ws.config_path}。请先运行 sancha init {ws.root}，或用 -C 指定工作区。"
    )


def test_every_command_stops_with_the_message_and_exit_code_2(tmp_path, capsys):
    from pipeline.cli import main

    (tmp_path / "sancha.toml").write_text(sancha_toml() + '\n[[units]]\nname = "审计局"\n', encoding="utf-8")
    assert main(["-C", str(tmp_path), "status"]) == 2
    assert capsys.readouterr().err == "配置错误：sancha.toml: 名称 “审计局” 同时属于 区审计局 和 审计局，请删去其一\n"


@pytest.mark.parametrize(("text", "line", "char", "ascii_"), [
    ('[office]\nname ＝ "大观区人民政府办公室"\n', 2, "＝", "="),
    ('[office]\nname = “大观区人民政府办公室”\n', 2, "“", '"'),
    ('[office]\nname = "大观区人民政府办公室"\ncontact：“督查室”\n', 3, "：", "="),
    ("[office]\nname = ‘大观区人民政府办公室’\n", 2, "‘", "'"),
])
def test_full_width_punctuation_is_named_with_its_line(text, line, char, ascii_):
    assert error(text) == (f"sancha.toml 第 {line} 行用了全角符号 “{char}”：请改为英文半角的 {ascii_}"
                           "（切换到英文输入法再输入），文字两边用英文双引号，例如 name = \"区财政局\"")


def test_full_width_quotes_inside_a_string_are_text():
    assert parse_config('[office]\nname = "“三查三单”督查室"\n').office_name == "“三查三单”督查室"


@pytest.mark.parametrize(("line", "message"), [
    ("[rules]\ndue_soon_workdays = -1\n", "[rules] due_soon_workdays 不能为负数，现在是 -1"),
    ("[rules]\nnotice_reply_workdays = 0\n", "[rules] notice_reply_workdays 应不小于 1，现在是 0"),
    ("[watch]\ninterval = 0\n", "[watch] interval 应不小于 0.1，现在是 0.0"),
    ("[watch]\nsettle_seconds = -2\n", "[watch] settle_seconds 不能为负数，现在是 -2.0"),
    ("[watch]\nrescan_seconds = 0.05\n", "[watch] rescan_seconds 应不小于 0.1，现在是 0.05"),
    ("[limits]\nmax_file_mb = 0\n", "[limits] max_file_mb 应大于 0，现在是 0.0"),
    ("[limits]\nmax_rows = 0\n", "[limits] max_rows 应不小于 1，现在是 0"),
    ("[limits]\nmax_workbook_cells = -5\n", "[limits] max_workbook_cells 应不小于 1，现在是 -5"),
    ("[limits]\nmax_worker_seconds = 0\n", "[limits] max_worker_seconds 应不小于 1，现在是 0.0"),
    ("[limits]\nmax_worker_memory_mb = 100\n", "[limits] max_worker_memory_mb 应为 0（不用读取进程）或不小于 256，现在是 100"),
    ("[limits]\nmax_worker_memory_mb = -1\n", "[limits] max_worker_memory_mb 不能为负数，现在是 -1"),
    ("[limits]\nmax_compression_ratio = nan\n", "[limits] max_compression_ratio 应不小于 1，现在是 nan"),
])
def test_a_value_out_of_range_says_what_it_may_be(line, message):
    assert error(OFFICE + line) == f"sancha.toml: {message}"


def test_zero_worker_memory_means_no_worker_and_is_allowed():
    assert parse_config(OFFICE + "[limits]\nmax_worker_memory_mb = 0\n").limits.max_worker_memory_mb == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gbk", "gb18030"])
def test_a_config_saved_by_notepad_in_any_chinese_encoding_is_read(tmp_path, encoding):
    ws = Workspace(tmp_path)
    ws.config_path.write_bytes(CONFIG_TOML.encode(encoding))
    assert ws.config == make_config()


def test_a_config_in_an_unknown_encoding_says_how_to_save_it(tmp_path):
    ws = Workspace(tmp_path)
    ws.config_path.write_bytes(b"\xff\xfe" + b"\x00\xd8" * 3)  # UTF-16 with a broken surrogate pair
    with pytest.raises(ConfigError) as e:
        ws.config  # noqa: B018 - reading it is the test
    assert str(e.value) == "sancha.toml 的编码无法识别：请用记事本打开，选择“另存为”，编码选 UTF-8 后保存"


def _sqlite_error(tmp_path, how: str) -> Exception:
    import sqlite3

    db = tmp_path / f"{how}.sqlite"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    try:
        if how == "full":
            conn = sqlite3.connect(db)
            conn.execute("PRAGMA max_page_count = 2")
            conn.execute("INSERT INTO t SELECT zeroblob(100000)")
        elif how == "read-only":
            sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True).execute("INSERT INTO t VALUES (1)")
        else:
            db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
            sqlite3.connect(db).execute("SELECT * FROM t")
    except sqlite3.DatabaseError as e:
        return e
    raise AssertionError(how)


@pytest.mark.parametrize(("how", "code", "words"), [
    ("full", 1, "磁盘空间已满"), ("read-only", 1, "只读"), ("damaged", 2, "已损坏"),
])
def test_the_environments_database_errors_are_one_chinese_line(tmp_path, how, code, words):
    from pipeline.cli import _database_error_text

    message, exit_code = _database_error_text(_sqlite_error(tmp_path, how))
    assert exit_code == code and words in message and "\n" not in message and "内部错误" not in message


def test_fonts_leaders_and_the_reissue_window_have_defaults_and_may_be_set():
    config = parse_config(OFFICE)
    assert config.fonts == Fonts() and config.fonts.body == "仿宋_GB2312" and config.fonts.title == "方正小标宋简体"
    assert config.leaders_title == "区人民政府" and config.rules.reissue_hours == 24
    config = parse_config(OFFICE.replace("[office]\n", '[office]\nleaders_title = "区政府"\n')
                          + '[rules]\nreissue_hours = 48\n[fonts]\nbody = "方正仿宋_GBK"\n'
                          + '[[units]]\nname = "区财政局"\nleader = " 张三副区长 "\n[[units]]\nname = "区审计局"\n')
    assert config.fonts.body == "方正仿宋_GBK" and config.fonts.kaiti == "楷体_GB2312"
    assert config.leaders_title == "区政府" and config.rules.reissue_hours == 48
    assert config.leader_of("区财政局") == "张三副区长" and config.leader_of("区审计局") == ""


def test_a_blank_face_or_a_leader_that_is_not_text_is_refused():
    assert error(OFFICE + '[fonts]\ntitle = " "\n') == "sancha.toml: [fonts] title 不能为空；删去这一行即使用默认字体 方正小标宋简体"
    assert error(OFFICE + '[fonts]\nsize = 16\n').startswith("sancha.toml: [fonts] 中有未知的键 size")
    assert error(OFFICE + '[[units]]\nname = "区财政局"\nleader = 3\n').startswith(
        "sancha.toml: [[units]] 区财政局 的 leader 应是字符串")


def test_evidence_settings_default_and_read_types_in_any_spelling():
    assert parse_config(OFFICE).evidence.types == ("pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "ofd",
                                                   "zip")
    assert parse_config(OFFICE).evidence.max_mb == 20.0
    config = parse_config(OFFICE + '[evidence]\ntypes = [".PDF", "jpg", "pdf"]\nmax_mb = 5\n')
    assert (config.evidence.types, config.evidence.max_mb) == (("pdf", "jpg"), 5.0)
    assert error(OFFICE + "[evidence]\nmax_mb = 0\n") == "sancha.toml: [evidence] max_mb 应大于 0，现在是 0.0"
    assert error(OFFICE + "[evidence]\ntypes = []\n").startswith("sancha.toml: [evidence] types 不能为空")
    assert error(OFFICE + "[evidence]\nmax_size = 5\n").startswith("sancha.toml: [evidence] 中有未知的键 max_size")


# -- 两级联动 (issue 21) ---------------------------------------------------------------------------

UPSTREAM = '\n[upstream]\nname = "大观区人民政府办公室"\nas_unit = "海口镇"\n'


def test_upstream_names_the_level_above_and_our_name_in_it():
    config = parse_config(sancha_toml([("海口村", ())]) + UPSTREAM)
    assert config.upstream is not None
    assert (config.upstream.name, config.upstream.as_unit, config.upstream.report) == (
        "大观区人民政府办公室", "海口镇", "assigned")
    # the level above's files are the office's own; our own name is a unit (work not yet assigned)
    assert config.is_office("大观区人民政府办公室") and config.is_registered("海口镇")
    assert config.unit_names == ("海口村", "海口镇")


def test_upstream_report_is_assigned_or_all():
    with pytest.raises(ConfigError, match="report 应为"):
        parse_config(CONFIG_TOML + UPSTREAM + 'report = "some"\n')
    with pytest.raises(ConfigError, match=r"\[upstream\] 缺少 as_unit"):
        parse_config(CONFIG_TOML + '\n[upstream]\nname = "大观区人民政府办公室"\n')


def test_runs_sancha_is_true_or_false():
    toml = CONFIG_TOML.replace('name = "海口镇"\n', 'name = "海口镇"\nruns_sancha = true\n')
    assert [u.name for u in parse_config(toml).units if u.runs_sancha] == ["海口镇"]
    with pytest.raises(ConfigError, match="runs_sancha 应是 true 或 false"):
        parse_config(CONFIG_TOML.replace('name = "海口镇"\n', 'name = "海口镇"\nruns_sancha = "是"\n'))


def test_an_upstream_list_maps_its_headers_to_fields_it_knows():
    good = ('\n[[upstream_lists]]\nname = "市政府督查室"\n'
            'columns = {"序号" = "upstream_id", "督办事项" = "problem", "责任单位" = "unit"}\n'
            'report_columns = {"序号" = "upstream_id", "办理进展" = "progress"}\n')
    (city,) = parse_config(CONFIG_TOML + good).upstream_lists
    assert city.columns == (("序号", "upstream_id"), ("督办事项", "problem"), ("责任单位", "unit"))
    assert city.report_columns == (("序号", "upstream_id"), ("办理进展", "progress"))
    with pytest.raises(ConfigError, match="“办理进展” 对应的 'progres' 不是可用的字段"):
        parse_config(CONFIG_TOML + good.replace('"办理进展" = "progress"', '"办理进展" = "progres"'))
    with pytest.raises(ConfigError, match="columns 缺少对应 unit 的列"):
        parse_config(CONFIG_TOML + good.replace(', "责任单位" = "unit"', ""))


@pytest.mark.parametrize("edit, says", [
    (lambda t: t.replace('doc_prefix = "观政办"', 'doc_prefx = "观政办"'),
     "[office] 中有未知的键 doc_prefx，是否应为 doc_prefix？"),
    (lambda t: t.replace('[[units]]\nname = "区财政局"', '[[units]]\nname = "区财政局"\nalias = ["财政局"]', 1),
     "[[units]] 区财政局 中有未知的键 alias，是否应为 aliases？"),
    (lambda t: t + '\n[rule]\nnotice_reply_workdays = 5\n', "未知的部分 [rule]，是否应为 [rules]？"),
    (lambda t: t + '\n[calendar]\nholiday = ["2027-01-01"]\n', "[calendar] 中有未知的键 holiday，是否应为 holidays？"),
])
def test_a_misspelt_key_anywhere_is_refused_with_the_closest_name(edit, says):
    """A key sancha does not read would be ignored without a word (a 发文字号 prefix or a unit's
    short names silently missing): refused, naming the key and what it probably should be."""
    text = edit(sancha_toml(holidays=()))
    assert text != sancha_toml(holidays=())
    with pytest.raises(ConfigError) as e:
        parse_config(text)
    assert says in str(e.value)
