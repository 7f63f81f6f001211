"""Reference data: Gansu's areas (GB/T 2260), the ten measures, and the 2024 budget lines and
targets exactly as the 2024-02-20 notice of the Gansu Disabled Persons' Federation gives them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# code: (全称, 简称)
PREFECTURES: dict[str, tuple[str, str]] = {
    "620100": ("兰州市", "兰州"),
    "620200": ("嘉峪关市", "嘉峪关"),
    "620300": ("金昌市", "金昌"),
    "620400": ("白银市", "白银"),
    "620500": ("天水市", "天水"),
    "620600": ("武威市", "武威"),
    "620700": ("张掖市", "张掖"),
    "620800": ("平凉市", "平凉"),
    "620900": ("酒泉市", "酒泉"),
    "621000": ("庆阳市", "庆阳"),
    "621100": ("定西市", "定西"),
    "621200": ("陇南市", "陇南"),
    "622900": ("临夏回族自治州", "临夏州"),
    "623000": ("甘南藏族自治州", "甘南州"),
}

# 嘉峪关市 has no county-level divisions: it is its own single county-level area.
_COUNTIES = {
    "620100": "620102:城关区 620103:七里河区 620104:西固区 620105:安宁区 620111:红古区 "
    "620121:永登县 620122:皋兰县 620123:榆中县",
    "620200": "620200:嘉峪关市",
    "620300": "620302:金川区 620321:永昌县",
    "620400": "620402:白银区 620403:平川区 620421:靖远县 620422:会宁县 620423:景泰县",
    "620500": "620502:秦州区 620503:麦积区 620521:清水县 620522:秦安县 620523:甘谷县 "
    "620524:武山县 620525:张家川回族自治县",
    "620600": "620602:凉州区 620621:民勤县 620622:古浪县 620623:天祝藏族自治县",
    "620700": "620702:甘州区 620721:肃南裕固族自治县 620722:民乐县 620723:临泽县 620724:高台县 "
    "620725:山丹县",
    "620800": "620802:崆峒区 620821:泾川县 620822:灵台县 620823:崇信县 620825:庄浪县 620826:静宁县 "
    "620881:华亭市",
    "620900": "620902:肃州区 620921:金塔县 620922:瓜州县 620923:肃北蒙古族自治县 "
    "620924:阿克塞哈萨克族自治县 620981:玉门市 620982:敦煌市",
    "621000": "621002:西峰区 621021:庆城县 621022:环县 621023:华池县 621024:合水县 621025:正宁县 "
    "621026:宁县 621027:镇原县",
    "621100": "621102:安定区 621121:通渭县 621122:陇西县 621123:渭源县 621124:临洮县 621125:漳县 "
    "621126:岷县",
    "621200": "621202:武都区 621221:成县 621222:文县 621223:宕昌县 621224:康县 621225:西和县 "
    "621226:礼县 621227:徽县 621228:两当县",
    "622900": "622901:临夏市 622921:临夏县 622922:康乐县 622923:永靖县 622924:广河县 622925:和政县 "
    "622926:东乡族自治县 622927:积石山保安族东乡族撒拉族自治县",
    "623000": "623001:合作市 623021:临潭县 623022:卓尼县 623023:舟曲县 623024:迭部县 623025:玛曲县 "
    "623026:碌曲县 623027:夏河县",
}


def _short(name: str) -> str:
    """Common short name: 张家川回族自治县 → 张家川, 七里河区 → 七里河; one-character stems
    (环县, 宁县) keep their suffix, as people say them."""
    if "族自治县" in name:
        stem = name.split("族自治县")[0]
        # Strip the nationality names (回, 藏, 裕固, 蒙古, 哈萨克, 东乡, 保安…族) one by one.
        for nationality in ("保安族东乡族撒拉", "哈萨克", "蒙古", "裕固", "东乡", "回", "藏"):
            if stem.endswith(nationality) and len(stem) > len(nationality):
                return stem[: -len(nationality)]
        return stem
    stem = name[:-1]
    return stem if len(stem) >= 2 else name


def _counties() -> list[tuple[str, str, str, str]]:
    rows = []
    for prefecture, text in _COUNTIES.items():
        for item in text.split():
            code, name = item.split(":")
            rows.append((code, prefecture, name, _short(name)))
    # 临夏市 and 临夏县 would both shorten to 临夏: an ambiguous short name is no short name.
    shorts = [r[3] for r in rows]
    return [(c, p, n, s if shorts.count(s) == 1 else n) for c, p, n, s in rows]


COUNTIES: list[tuple[str, str, str, str]] = _counties()  # (code, prefecture, 全称, 简称)

# The seat of the provincial federation, where provincial cadres' units sit.
PROVINCIAL_SEAT = "620102"


@dataclass(frozen=True)
class MeasureRef:
    id: int
    name_zh: str
    name_en: str
    summary_zh: str


MEASURES = [
    MeasureRef(
        1,
        "强基固本",
        "Strengthen the foundations",
        "摸排未持证、到期未换证残疾人，上门评残；特殊困难家庭入户访视；干部接访、邀访；"
        "日管控、周排查、月调度、季通报、年总结",
    ),
    MeasureRef(
        2, "志愿服务", "Volunteer service", "为智力、精神和重度肢体、视力残疾人提供托养照护服务"
    ),
    MeasureRef(
        3,
        "无碍共享",
        "Barrier-free sharing",
        "2023-2025年每年至少为8000户困难重度残疾人家庭进行无障碍改造",
    ),
    MeasureRef(
        4,
        "医康融合",
        "Medical and rehabilitation integration",
        "0-17岁残疾儿童康复救助；持证残疾人基本康复服务和辅助器具适配",
    ),
    MeasureRef(
        5, "助学圆梦", "Education support", "15年教育费用减免、国家助学金、甘肃电大残疾学生学费补贴"
    ),
    MeasureRef(
        6,
        "“爱心屋”助残就业",
        "Love Huts for employment",
        "在全省14个市州打造60个“爱心屋”，安置残疾人或困难重度残疾人直系亲属就业",
    ),
    MeasureRef(
        7,
        "拓岗赋能",
        "Jobs and skills",
        "农村实用技术培训、盲人按摩培训、情满陇原助残就业行动、就业补贴、新增就业",
    ),
    MeasureRef(
        8,
        "托底保障",
        "Safety net",
        "低保和两项补贴；“三类户”防止返贫动态监测；日间照料服务省级示范中心",
    ),
    MeasureRef(
        9,
        "直接联系帮扶",
        "Direct contact and support",
        "每名干部至少结对1名困难重度残疾人，每年联系不少于4次、入户探视不少于2次",
    ),
    MeasureRef(10, "典型引领", "Exemplary models", "宣传方案、媒体专栏、典型事迹收集、通报表扬"),
]


@dataclass(frozen=True)
class BudgetLineRef:
    code: str
    measure_id: int
    name_zh: str
    name_en: str
    wan_yuan: Decimal  # as the source gives it, in 万元

    @property
    def planned_fen(self) -> int:
        return int(self.wan_yuan * 1_000_000)


# The 2024 lines with money in the source; together 20,088.69 万元. Measures 1, 3, 5, 9 and 10
# have no money in the source.
BUDGET_YEAR = 2024
BUDGET_LINES = [
    BudgetLineRef("2.1", 2, "托养照护服务", "Custodial care services", Decimal("5512.8")),
    BudgetLineRef(
        "4.1", 4, "0-17岁残疾儿童康复救助", "Rehabilitation for children aged 0-17", Decimal("8559")
    ),
    BudgetLineRef(
        "4.2",
        4,
        "持证残疾人基本康复服务和辅助器具适配",
        "Basic rehabilitation and assistive devices",
        Decimal("1635.29"),
    ),
    BudgetLineRef("6.1", 6, "“爱心屋”建设运营", "Love Huts", Decimal("600")),
    BudgetLineRef(
        "7.1", 7, "农村实用技术培训", "Rural practical-technology training", Decimal("271.6")
    ),
    BudgetLineRef(
        "7.2",
        7,
        "盲人按摩分级培训和考试评定（陇原金手指）",
        "Blind massage graded training and exams",
        Decimal("500"),
    ),
    BudgetLineRef("7.3", 7, "情满陇原助残就业行动", "Employment-aid action", Decimal("1310")),
    BudgetLineRef(
        "7.4",
        7,
        "自主创业、灵活就业社保和新业态就业岗位补贴",
        "Self-employment, flexible-employment and new-form job subsidies",
        Decimal("500"),
    ),
    BudgetLineRef(
        "7.5", 7, "残疾大学生稳定就业补贴", "Subsidies for disabled graduates", Decimal("600")
    ),
    BudgetLineRef(
        "8.1",
        8,
        "日间照料服务省级示范中心（省政府为民办实事）",
        "Provincial demonstration day-care centers",
        Decimal("600"),
    ),
]


@dataclass(frozen=True)
class IndicatorRef:
    code: str
    measure_id: int
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    kind: str = "count"
    target: int | None = None  # province total for the year, as the source gives it
    rate_target: Decimal | None = None
    source: str = "values"
    illustrative_target: bool = False


INDICATORS = [
    IndicatorRef(
        "m1_assessments", 1, "上门评残", "Home disability assessments", "人次", "assessments"
    ),
    IndicatorRef(
        "m1_family_visits",
        1,
        "特殊困难残疾人家庭入户访视",
        "Visits to families in special difficulty",
        "户次",
        "visits",
    ),
    IndicatorRef("m2_custodial", 2, "托养照护服务", "Custodial care", "人", "people", target=16000),
    IndicatorRef(
        "m3_barrier_free",
        3,
        "家庭无障碍改造",
        "Home barrier-free renovations",
        "户",
        "households",
        target=8000,
    ),
    IndicatorRef(
        "m4_child_rehab",
        4,
        "0-17岁残疾儿童康复服务",
        "Children in rehabilitation",
        "名",
        "children",
        target=11103,
    ),
    IndicatorRef(
        "m4_basic_rehab",
        4,
        "持证残疾人基本康复服务",
        "Basic rehabilitation",
        "人",
        "people",
        target=134000,
    ),
    IndicatorRef(
        "m4_devices", 4, "辅助器具适配", "Assistive-device fittings", "人", "people", target=49000
    ),
    IndicatorRef(
        "m4_rehab_rate",
        4,
        "基本康复服务率",
        "Basic-rehabilitation rate",
        "%",
        "%",
        kind="rate",
        rate_target=Decimal("95"),
    ),
    IndicatorRef(
        "m4_device_rate",
        4,
        "辅具适配率",
        "Device-fitting rate",
        "%",
        "%",
        kind="rate",
        rate_target=Decimal("95"),
    ),
    IndicatorRef(
        "m5_fee_support", 5, "教育费用减免和助学补贴", "Fee waivers and grants", "人次", "students"
    ),
    IndicatorRef(
        "m6_love_huts",
        6,
        "“爱心屋”建成运营",
        "Love Huts operating",
        "个",
        "huts",
        target=60,
        source="love_hut",
    ),
    IndicatorRef(
        "m7_rural_training", 7, "农村实用技术培训", "Rural training", "人", "people", target=1544
    ),
    IndicatorRef(
        "m7_experts",
        7,
        "培训种养加能手",
        "Farming and processing experts",
        "人",
        "people",
        target=200,
    ),
    IndicatorRef(
        "m7_incubation", 7, "就业创业孵化基地", "Incubation bases", "个", "bases", target=6
    ),
    IndicatorRef(
        "m7_aid_bases",
        7,
        "省级残疾人就业帮扶基地",
        "Provincial employment-aid bases",
        "个",
        "bases",
        target=60,
    ),
    IndicatorRef(
        "m7_workshops", 7, "“美丽工坊”", "Beautiful workshops", "个", "workshops", target=2
    ),
    IndicatorRef(
        "m7_aux_institutions",
        7,
        "辅助性就业机构",
        "Auxiliary-employment institutions",
        "家",
        "institutions",
        target=35,
    ),
    IndicatorRef(
        "m7_employed",
        7,
        "安置带动困难残疾人就业增收",
        "People employed by the action",
        "人",
        "people",
        target=3600,
    ),
    IndicatorRef(
        "m7_self_employment",
        7,
        "自主创业补贴",
        "Self-employment subsidies",
        "人",
        "people",
        target=1200,
    ),
    IndicatorRef(
        "m7_flexible",
        7,
        "灵活就业社会保险补贴",
        "Flexible-employment insurance subsidies",
        "人",
        "people",
        target=1600,
    ),
    IndicatorRef(
        "m7_new_form", 7, "新业态就业岗位补贴", "New-form job subsidies", "人", "people", target=500
    ),
    IndicatorRef(
        "m7_graduates",
        7,
        "补贴残疾大学生稳定就业",
        "Graduates in stable jobs",
        "人",
        "graduates",
        target=300,
    ),
    IndicatorRef(
        "m7_new_jobs",
        7,
        "新增残疾人就业",
        "New jobs for disabled people",
        "人",
        "people",
        target=10000,
    ),
    IndicatorRef(
        "m8_monitored",
        8,
        "“三类户”防止返贫动态监测",
        "People under return-to-poverty monitoring",
        "人",
        "people",
        target=41700,
    ),
    IndicatorRef(
        "m8_day_care",
        8,
        "日间照料服务省级示范中心",
        "Day-care centers operating",
        "个",
        "centers",
        target=20,
        source="day_care",
    ),
    IndicatorRef(
        "m9_compliance",
        9,
        "干部联系帮扶达标率",
        "Cadre contact compliance",
        "%",
        "%",
        kind="rate",
        rate_target=Decimal("100"),
        source="contacts",
    ),
    IndicatorRef("m10_stories", 10, "典型事迹宣传报道", "Stories published", "篇", "stories"),
]

SOURCE_TOTAL_WAN_YUAN = sum((line.wan_yuan for line in BUDGET_LINES), Decimal(0))
