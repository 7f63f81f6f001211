"""The ledgers (台账) staff can import: their columns as the templates show them, what each
column accepts, and the templates themselves (XLSX with a notes sheet).

The importer (importer.py) reads files against these definitions; nothing here touches the
database, so templates can be built without one."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from data_access.reference import BUDGET_LINES, BUDGET_YEAR, COUNTIES, INDICATORS, PREFECTURES

# Allowed values as people write them → the stored code.
FACILITY_KIND_LABELS = {"爱心屋": "love_hut", "日间照料中心": "day_care"}
FACILITY_STATUS_LABELS = {
    "规划": "planned",
    "在建": "building",
    "运营": "operating",
    "暂停": "suspended",
}
CADRE_LEVEL_LABELS = {"省级": "province", "市级": "prefecture", "县级": "county"}
CHANNEL_LABELS = {
    "电话": "phone",
    "微信": "wechat",
    "短信": "sms",
    "其他远程": "other",
    "入户探视": "visit",
}
CATEGORY_LABELS = {c: c for c in ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")}
GRADE_LABELS = {"一级": "1", "二级": "2", "三级": "3", "四级": "4"}

# Other spellings people use for the same allowed value.
CHOICE_ALIASES = {
    "爱心屋": ("“爱心屋”", "love_hut"),
    "日间照料中心": ("日间照料服务中心", "日间照料", "day_care"),
    "规划": ("计划", "筹建", "planned"),
    "在建": ("建设中", "building"),
    "运营": ("运营中", "已运营", "正常运营", "operating"),
    "暂停": ("暂停运营", "停运", "suspended"),
    "省级": ("省", "省残联", "province"),
    "市级": ("市", "市州", "市州级", "prefecture"),
    "县级": ("县", "县区", "县区级", "county"),
    "电话": ("phone", "电话联系"),
    "微信": ("wechat", "微信联系"),
    "短信": ("sms",),
    "其他远程": ("其他", "other", "视频", "视频通话"),
    "入户探视": ("入户", "上门", "上门探视", "入户走访", "visit"),
    "一级": ("1", "一", "1级"),
    "二级": ("2", "二", "2级"),
    "三级": ("3", "三", "3级"),
    "四级": ("4", "四", "4级"),
}

# Column kinds: text, code, area, date, month, money, int, decimal, coord, choice, bool,
# id_number, phone4.
KIND_FORMAT = {
    "text": "文字",
    "code": "编码（文字或数字）",
    "area": "县区全称、常用简称或6位行政区划代码（GB/T 2260），如“城关区”或“620102”",
    "date": "日期：2024-03-05、2024/3/5、2024年3月5日或Excel日期",
    "month": "月份：2024-03、2024年3月，或该月任一日期",
    "money": "金额；表头写明单位：“（元）”或“（万元）”，精确到分，不能为负",
    "int": "整数，不能为负",
    "decimal": "数值，最多两位小数，不能为负",
    "coord": "经纬度（十进制度），如 103.83417",
    "choice": "只能填下列之一",
    "bool": "是 / 否",
    "id_number": "18位居民身份证号，请设为文本格式；只保存校验摘要和末4位，不保存全号",
    "phone4": "手机号后4位（填写完整手机号时只保存后4位）",
    "prefecture": "市州名称或6位代码，如“兰州市”或“620100”",
}


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as the template shows it, without the unit
    kind: str
    required: bool = True
    note: str = ""
    choices: dict[str, str] | None = None
    aliases: tuple[str, ...] = ()
    example: object = None
    max_length: int | None = None
    unit: str | None = None  # the template's unit for money: 元 or 万元
    blank: object = None  # what a blank cell means (在岗: 是), said in a warning when used
    in_template: bool = True  # False: read when a file has it, not offered in the template

    @property
    def template_header(self) -> str:
        return f"{self.header}（{self.unit}）" if self.unit else self.header

    def allowed(self) -> str:
        if self.choices:
            return "、".join(self.choices)
        if self.kind == "bool":
            return "是、否"
        return ""


@dataclass(frozen=True)
class Ledger:
    name: str  # the --table name
    title: str  # 中文名
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the natural key, in column keys
    # The date column that the 年度 option and "not in the future" check, and by whose month
    # (with the county) replace mode replaces.
    dated: str | None = None
    notes: tuple[str, ...] = field(default=())
    optional_key: tuple[str, ...] = ()  # parts of the key that count only when given

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def template_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.in_template)

    @property
    def sheet_title(self) -> str:
        return self.title[:31]


# Any ledger with a county may also carry the prefecture; it must agree with the county.
PREFECTURE = Column(
    "prefecture",
    "市州",
    "prefecture",
    required=False,
    note="可选；填写时须与县区所属市州一致",
    aliases=("市州名称", "所属市州", "市(州)", "地市", "市州代码"),
    in_template=False,
)

AREA_NOTE = "填县区全称（城关区）、常用简称（城关）或6位代码（620102）；可带市州名（兰州市城关区）。嘉峪关市直接填“嘉峪关市”。"

LEDGERS: dict[str, Ledger] = {
    ledger.name: ledger
    for ledger in (
        Ledger(
            "disbursements",
            "预算支出台账",
            "各县区每笔资金支付。同一科目、县区、日期、金额和凭证号的行视为同一笔，重复导入不会重复计入。",
            (
                Column(
                    "line_code",
                    "预算科目编码",
                    "code",
                    note="十大提升措施预算科目编码，见“预算科目”表；按支付日期所在年度匹配",
                    aliases=("科目编码", "预算科目", "科目代码"),
                    example="6.1",
                    max_length=16,
                ),
                Column(
                    "county_code",
                    "县区",
                    "area",
                    note=AREA_NOTE,
                    aliases=("县区名称", "县区代码", "地区", "行政区划代码"),
                    example="城关区",
                ),
                Column(
                    "paid_on",
                    "支付日期",
                    "date",
                    aliases=("日期", "支出日期", "拨付日期"),
                    example=dt.date(BUDGET_YEAR, 3, 5),
                ),
                Column(
                    "amount_fen",
                    "金额",
                    "money",
                    note="表头须写明单位：“金额（元）”或“金额（万元）”；超过县区计划会提示警告",
                    aliases=("支付金额", "支出金额", "拨付金额"),
                    example=Decimal("12500.00"),
                    unit="元",
                ),
                Column(
                    "voucher",
                    "凭证号",
                    "text",
                    required=False,
                    aliases=("凭证编号", "凭证"),
                    note="同一科目、县区、日期和金额的两笔支付以凭证号区分",
                    example="示例-2024-03-0015",
                    max_length=60,
                ),
                PREFECTURE,
            ),
            key=("line_id", "county_code", "paid_on", "amount_fen", "voucher"),
            dated="paid_on",
            optional_key=("voucher",),
        ),
        Ledger(
            "facilities",
            "设施台账",
            "“爱心屋”和日间照料服务中心。以设施编码为准；状态或状态日期变化时追加一条状态变更记录。",
            (
                Column(
                    "code",
                    "设施编码",
                    "code",
                    note="每个设施唯一且不变，如 AXW-620102-01",
                    aliases=("编码", "设施代码"),
                    example="示例-AXW-620102-01",
                    max_length=40,
                ),
                Column(
                    "kind",
                    "设施类型",
                    "choice",
                    choices=FACILITY_KIND_LABELS,
                    aliases=("类型",),
                    example="爱心屋",
                ),
                Column(
                    "name",
                    "设施名称",
                    "text",
                    aliases=("名称",),
                    example="城关区东岗“爱心屋”",
                    max_length=120,
                ),
                Column("county_code", "县区", "area", note=AREA_NOTE, example="城关区"),
                Column(
                    "address",
                    "地址",
                    "text",
                    required=False,
                    example="城关区东岗路12号",
                    max_length=200,
                ),
                Column(
                    "lon",
                    "经度",
                    "coord",
                    note="十进制度，最多5位小数；坐标不在所填县区内时提示警告",
                    example=Decimal("103.83417"),
                ),
                Column(
                    "lat",
                    "纬度",
                    "coord",
                    note="十进制度，最多5位小数",
                    example=Decimal("36.05704"),
                ),
                Column(
                    "status",
                    "状态",
                    "choice",
                    choices=FACILITY_STATUS_LABELS,
                    aliases=("运营状态",),
                    example="运营",
                ),
                Column(
                    "status_since",
                    "状态日期",
                    "date",
                    note="进入当前状态的日期",
                    aliases=("状态变更日期",),
                    example=dt.date(BUDGET_YEAR, 5, 20),
                ),
                Column(
                    "opened_on",
                    "开业日期",
                    "date",
                    required=False,
                    aliases=("投入运营日期",),
                    example=dt.date(BUDGET_YEAR, 5, 20),
                ),
                Column(
                    "disabled_jobs",
                    "安置就业人数",
                    "int",
                    required=False,
                    note="“爱心屋”安置残疾人或其直系亲属就业人数",
                    aliases=("就业岗位", "安置就业"),
                    example=2,
                ),
                Column(
                    "places",
                    "床位数",
                    "int",
                    required=False,
                    note="日间照料中心服务床位（名额）",
                    aliases=("服务名额", "床位"),
                ),
                Column(
                    "people_served",
                    "服务人数",
                    "int",
                    required=False,
                    aliases=("服务对象人数",),
                ),
                Column(
                    "operator",
                    "运营方",
                    "text",
                    required=False,
                    aliases=("运营单位",),
                    example="县残联",
                    max_length=120,
                ),
                PREFECTURE,
            ),
            key=("code",),
        ),
        Ledger(
            "cadres",
            "干部名册",
            "省、市、县残联在职干部。以干部编码为准。",
            (
                Column(
                    "code",
                    "干部编码",
                    "code",
                    note="每名干部唯一且不变",
                    aliases=("编码", "干部代码"),
                    example="示例-GS-C-0001",
                    max_length=40,
                ),
                Column("name", "姓名", "text", example="王建国", max_length=40),
                Column(
                    "level",
                    "层级",
                    "choice",
                    choices=CADRE_LEVEL_LABELS,
                    aliases=("单位层级", "级别"),
                    example="县级",
                ),
                Column(
                    "unit",
                    "单位",
                    "text",
                    aliases=("所在单位", "工作单位"),
                    example="城关区残疾人联合会",
                    max_length=120,
                ),
                Column(
                    "county_code",
                    "所在县区",
                    "area",
                    note="单位所在县区；省残联干部填“城关区”。" + AREA_NOTE,
                    aliases=("县区",),
                    example="城关区",
                ),
                Column(
                    "phone_last4",
                    "手机号后四位",
                    "phone4",
                    required=False,
                    aliases=("手机号", "联系电话", "手机后四位"),
                    example="1234",
                ),
                Column(
                    "active",
                    "在岗",
                    "bool",
                    required=False,
                    note="留空视为“是”",
                    aliases=("是否在岗",),
                    example="是",
                    blank=True,
                ),
                PREFECTURE,
            ),
            key=("code",),
        ),
        Ledger(
            "recipients",
            "困难重度残疾人名册",
            "结对关爱对象。以对象编码为准；身份证号只保存校验摘要（SHA-256）和末4位，不保存全号。",
            (
                Column(
                    "code",
                    "对象编码",
                    "code",
                    note="每名对象唯一且不变",
                    aliases=("编码", "对象代码"),
                    example="示例-GS-R-0001",
                    max_length=40,
                ),
                Column("name", "姓名", "text", example="李秀英", max_length=40),
                Column(
                    "id_number",
                    "身份证号",
                    "id_number",
                    required=False,
                    note="留空则保留已有记录的身份证信息",
                    aliases=("身份证号码", "公民身份号码"),
                    example="620102198001010025",
                ),
                Column(
                    "county_code",
                    "县区",
                    "area",
                    note="户籍或居住县区。" + AREA_NOTE,
                    aliases=("所在县区",),
                    example="城关区",
                ),
                Column(
                    "category",
                    "残疾类别",
                    "choice",
                    choices=CATEGORY_LABELS,
                    aliases=("类别",),
                    example="肢体",
                ),
                Column(
                    "grade",
                    "残疾等级",
                    "choice",
                    choices=GRADE_LABELS,
                    aliases=("等级",),
                    example="一级",
                ),
                Column(
                    "eligible",
                    "纳入结对",
                    "bool",
                    required=False,
                    note="是否属于应结对的困难重度残疾人；留空视为“是”",
                    aliases=("是否纳入结对", "应结对"),
                    example="是",
                    blank=True,
                ),
                PREFECTURE,
            ),
            key=("code",),
        ),
        Ledger(
            "pairings",
            "结对关系",
            "干部与对象的结对。同一干部、对象和结对日期视为同一结对；须先导入干部名册和对象名册。",
            (
                Column(
                    "cadre_code",
                    "干部编码",
                    "code",
                    aliases=("干部代码",),
                    example="示例-GS-C-0001",
                    max_length=40,
                ),
                Column(
                    "recipient_code",
                    "对象编码",
                    "code",
                    aliases=("对象代码",),
                    example="示例-GS-R-0001",
                    max_length=40,
                ),
                Column(
                    "started_on",
                    "结对日期",
                    "date",
                    aliases=("开始日期", "结对开始日期"),
                    example=dt.date(BUDGET_YEAR, 1, 1),
                ),
                Column(
                    "ended_on",
                    "结束日期",
                    "date",
                    required=False,
                    note="结对仍在继续时留空",
                    aliases=("结对结束日期",),
                ),
            ),
            key=("cadre_id", "recipient_id", "started_on"),
        ),
        Ledger(
            "contacts",
            "联系记录",
            "干部每次联系或入户探视。同一结对、日期和方式视为同一次；须先导入结对关系。",
            (
                Column(
                    "cadre_code",
                    "干部编码",
                    "code",
                    aliases=("干部代码",),
                    example="示例-GS-C-0001",
                    max_length=40,
                ),
                Column(
                    "recipient_code",
                    "对象编码",
                    "code",
                    aliases=("对象代码",),
                    example="示例-GS-R-0001",
                    max_length=40,
                ),
                Column(
                    "contacted_on",
                    "联系日期",
                    "date",
                    note="须在结对期间内，不能晚于今天；选择了年度时须在该年度内",
                    aliases=("日期", "探视日期"),
                    example=dt.date(BUDGET_YEAR, 3, 5),
                ),
                Column(
                    "channel",
                    "联系方式",
                    "choice",
                    choices=CHANNEL_LABELS,
                    note="电话、微信、短信、其他远程计为远程联系；入户探视计为入户",
                    aliases=("方式",),
                    example="入户探视",
                ),
                Column(
                    "note", "备注", "text", required=False, example="了解康复需求", max_length=200
                ),
            ),
            key=("pairing_id", "contacted_on", "channel"),
            dated="contacted_on",
        ),
        Ledger(
            "indicator_values",
            "指标完成值",
            "各县区各指标每月完成值：数量类指标填当月新增，比率类指标填月末比率（%）。",
            (
                Column(
                    "indicator_code",
                    "指标编码",
                    "code",
                    note="见“指标”表；也可填指标名称",
                    aliases=("指标", "指标名称"),
                    example="示例-m4_child_rehab",
                    max_length=120,
                ),
                Column("county_code", "县区", "area", note=AREA_NOTE, example="城关区"),
                Column(
                    "month",
                    "月份",
                    "month",
                    aliases=("月度", "统计月份"),
                    example=f"{BUDGET_YEAR}-03",
                ),
                Column(
                    "value",
                    "完成值",
                    "decimal",
                    note="比率类指标填百分数（0–100），如 96.5",
                    aliases=("数值", "完成数"),
                    example=Decimal("12"),
                ),
                PREFECTURE,
            ),
            key=("indicator_id", "county_code", "month"),
            dated="month",
        ),
    )
}

# --table also accepts the Chinese titles.
ALIASES = {ledger.title: name for name, ledger in LEDGERS.items()}


def find(name: str) -> Ledger | None:
    name = (name or "").strip()
    return LEDGERS.get(name) or LEDGERS.get(ALIASES.get(name, ""))


# --- templates --------------------------------------------------------------------------------

_BOLD = Font(bold=True)
_EXAMPLE = Font(italic=True, color="808080")
TEXT_KINDS = ("code", "id_number", "phone4")
EXAMPLE_MARK = "示例"  # the example row's codes start with it; the importer skips such rows
EXAMPLE_NOTE = "第2行是示例行（编码以“示例”开头，灰色斜体），导入时自动跳过，可覆盖或删除。"
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def _notes_row(col: Column) -> list[str]:
    fmt = KIND_FORMAT[col.kind]
    if col.choices:
        fmt = f"{fmt}：{col.allowed()}"
    example = col.example
    if isinstance(example, dt.date):
        example = example.isoformat()
    return [
        col.template_header,
        "必填" if col.required else "选填",
        fmt,
        col.note,
        "" if example is None else str(example),
    ]


def template(name: str) -> bytes:
    """The XLSX template of a ledger: the data sheet with Chinese headers and one example row,
    a notes sheet, and the reference lists (areas, and budget lines or indicators)."""
    ledger = LEDGERS[name]
    wb = Workbook()
    ws = wb.active
    ws.title = ledger.sheet_title
    for i, col in enumerate(ledger.template_columns, start=1):
        cell = ws.cell(row=1, column=i, value=col.template_header)
        cell.font, cell.fill = _BOLD, _HEAD_FILL
        value = col.example
        example = ws.cell(
            row=2, column=i, value=float(value) if isinstance(value, Decimal) else value
        )
        example.font = _EXAMPLE
        letter = get_column_letter(i)
        # Codes, identity numbers and phone numbers are text to the bottom of the sheet, so that
        # Excel keeps their leading zeros and all 18 digits.
        if col.kind in TEXT_KINDS:
            ws.column_dimensions[letter].number_format = "@"
        if isinstance(value, dt.date):
            example.number_format = "yyyy-mm-dd"
        elif col.kind in TEXT_KINDS or col.kind in ("text", "area", "month"):
            example.number_format = "@"
        elif col.kind == "money":
            example.number_format = "#,##0.00"
        ws.column_dimensions[letter].width = max(12, 2 * len(col.template_header) + 4)
    ws.freeze_panes = "A2"

    notes = wb.create_sheet("填写说明")
    notes.append([ledger.title])
    notes["A1"].font = Font(bold=True, size=13)
    notes.append([ledger.description])
    notes.append(
        [
            "第1行为表头，请勿修改或合并表头单元格；从第2行起每行一条记录。"
            + EXAMPLE_NOTE
            + "请填写数值而不是公式；日期可写作 2024-03-05、2024/3/5 或 2024年3月5日。"
            "也可另存为 CSV（UTF-8 或 GBK 编码）导入。"
        ]
    )
    notes.append([])
    notes.append(["列名", "是否必填", "格式或允许值", "说明", "示例"])
    for cell in notes[5]:
        cell.font, cell.fill = _BOLD, _HEAD_FILL
    for col in ledger.template_columns:
        notes.append(_notes_row(col))
    for letter, width in zip("ABCDE", (18, 10, 60, 60, 20), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=6):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    areas = wb.create_sheet("县区代码")
    areas.append(["市州", "县区代码", "县区全称", "常用简称"])
    for cell in areas[1]:
        cell.font = _BOLD
    for code, pref, full, short in COUNTIES:
        areas.append([PREFECTURES[pref][0], code, full, short])
    if name == "disbursements":
        lines = wb.create_sheet("预算科目")
        lines.append(["年度", "科目编码", "措施", "科目名称", "计划（万元）"])
        for cell in lines[1]:
            cell.font = _BOLD
        for line in BUDGET_LINES:
            lines.append(
                [BUDGET_YEAR, line.code, line.measure_id, line.name_zh, float(line.wan_yuan)]
            )
    if name == "indicator_values":
        sheet = wb.create_sheet("指标")
        sheet.append(["指标编码", "措施", "指标名称", "单位", "类型"])
        for cell in sheet[1]:
            cell.font = _BOLD
        for ind in INDICATORS:
            if ind.source == "values":
                sheet.append(
                    [
                        ind.code,
                        ind.measure_id,
                        ind.name_zh,
                        ind.unit_zh,
                        "比率" if ind.kind == "rate" else "数量",
                    ]
                )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
