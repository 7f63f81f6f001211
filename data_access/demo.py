"""Reference data for every database, and deterministic demo data for trying the dashboard.

The source's figures (budget lines, province targets) are used exactly. Everything the source
does not give (how money and targets split over areas, disbursements, facilities, cadres,
recipients, contacts, indicator values) is illustrative, and is marked so in the data.

报送情况 (the reporting calendar) in the demo: every county sends its monthly ledgers of
disbursements, contacts and indicator values as import batches (status "demo"), most of them
in the four days before the due day (the 5th of the following month). Six counties are
chronically late (about two months in three, by 1–10 days); about 4 % of other ledgers are
1–3 days late; three counties never sent December's ledgers and a few other ledgers are
missing (about 0.2 % of other ledgers too); a few counties sent January's and February's contact records in one batch in early
March (January late, February on time); four county-months have a nil return (零报告) for
indicator values instead of a batch.

数据质量 problems planted in the demo (its own random stream, after everything else), so that
every rule of data_access.quality finds something: six cadres whose contacts were moved into
the last week of each quarter (bunched); five contacts entered twice; three contacts dated
before their pairing started and three pairings ended before their last contact; three contacts
dated after the day their batch was imported; two cadres with five home visits in one day; two
cadres with a second pairing far away in their own prefecture and home visits to both on one day;
the same note text copied on 15 contacts in one county and on 12 in another; two county budget
lines paid above plan; two operating facilities without an opening date and one whose
coordinates lie in a neighbouring county. The month totals of payments vary enough that the
outlier rule finds some months, and a few cadres have more pairings than one person can serve.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select

from data_access import geography, idnumbers, tallies
from data_access.db import bump_data_version, set_meta, sync_id_sequences
from data_access.models import (
    BatchCoverage,
    BudgetAllocation,
    BudgetLine,
    Cadre,
    Contact,
    ContactCount,
    County,
    Disbursement,
    Facility,
    FacilityStatusChange,
    ImportBatch,
    ImportError_,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Measure,
    NilReturn,
    Pairing,
    PairingFact,
    PairingTally,
    Prefecture,
    Recipient,
)
from data_access.reference import (
    BUDGET_LINES,
    BUDGET_YEAR,
    COUNTIES,
    INDICATORS,
    MEASURES,
    PREFECTURES,
    PROVINCIAL_SEAT,
)

SEED = 20240220  # the date of the notice
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Scale:
    cadres: int
    recipients: int


SCALES = {
    "demo": Scale(cadres=800, recipients=2_600),
    "province": Scale(cadres=30_000, recipients=100_000),
}

# Program data, children first, so that deleting in this order respects foreign keys.
PROGRAM_TABLES = [
    PairingTally,
    ContactCount,
    PairingFact,
    Contact,
    Pairing,
    Recipient,
    Cadre,
    FacilityStatusChange,
    Facility,
    IndicatorValue,
    IndicatorTarget,
    Disbursement,
    BudgetAllocation,
    BudgetLine,
    NilReturn,
    BatchCoverage,
    ImportError_,
    ImportBatch,
]


DEMO_BATCH = "demo"  # the status of the import batches the demo's reporting calendar is made of


class DemoRefused(RuntimeError):
    """The database holds data that did not come from the demo generator."""


def _quiet(_fraction: float, _message: str) -> None:
    pass


# --- reference data ---------------------------------------------------------------------------


def load_reference(conn: Connection) -> None:
    """Insert areas, measures and indicators if they are missing (idempotent)."""
    if conn.execute(select(func.count()).select_from(Prefecture)).scalar_one():
        return
    conn.execute(
        insert(Prefecture),
        [
            {"code": code, "name": name, "short_name": short, "sort": i}
            for i, (code, (name, short)) in enumerate(PREFECTURES.items())
        ],
    )
    conn.execute(
        insert(County),
        [
            {"code": code, "prefecture_code": pref, "name": name, "short_name": short, "sort": i}
            for i, (code, pref, name, short) in enumerate(COUNTIES)
        ],
    )
    conn.execute(
        insert(Measure),
        [
            {"id": m.id, "name_zh": m.name_zh, "name_en": m.name_en, "summary_zh": m.summary_zh}
            for m in MEASURES
        ],
    )
    conn.execute(
        insert(Indicator),
        [
            {
                "code": ind.code,
                "measure_id": ind.measure_id,
                "name_zh": ind.name_zh,
                "name_en": ind.name_en,
                "unit_zh": ind.unit_zh,
                "unit_en": ind.unit_en,
                "kind": ind.kind,
                "rate_target": ind.rate_target,
                "source": ind.source,
                "illustrative_target": ind.illustrative_target,
                "sort": i,
            }
            for i, ind in enumerate(INDICATORS)
        ],
    )


# --- helpers ----------------------------------------------------------------------------------


def split(total: int, weights: Sequence[float]) -> list[int]:
    """Split an integer total in proportion to weights, exactly (largest remainder)."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _chunks(rows: list, size: int = 20_000) -> Iterable[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = "建国秀英玉兰志强红梅海军桂芳文华丽娟明亮春燕小龙永福国庆淑珍德胜金花振华晓东玉梅世杰兰英光明宏伟"
PLACES = [
    "东岗",
    "西站",
    "南关",
    "北滨河",
    "新区",
    "和平",
    "幸福",
    "阳光",
    "安居",
    "滨河",
    "广场",
    "中心",
    "文化",
    "团结",
    "友谊",
    "建设",
    "民主",
    "长乐",
    "利民",
    "永安",
]
CATEGORIES = ["肢体", "肢体", "肢体", "视力", "智力", "精神", "听力", "言语", "多重"]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _county_weights(rng: random.Random) -> dict[str, float]:
    """Illustrative population weights: districts of Lanzhou heavier, pastoral counties lighter."""
    weights = {}
    for code, pref, name, _short in COUNTIES:
        w = rng.uniform(0.6, 1.6)
        if pref == "620100":
            w *= 1.5
        if pref in ("620200", "620300") or "自治县" in name:
            w *= 0.6
        weights[code] = w
    return weights


# --- generation -------------------------------------------------------------------------------


def clear_program_data(conn: Connection) -> None:
    for table in PROGRAM_TABLES:
        conn.execute(delete(table))


def generate(
    engine: Engine, scale: str = "demo", *, force: bool = False, progress: Progress = _quiet
) -> dict[str, int]:
    """Replace the program data with demo data of the given scale, in one transaction.

    Refuses when the database holds imported data, unless force is set: demo data never
    silently replaces a federation's own ledgers."""
    if scale not in SCALES:
        raise ValueError(f"未知的规模：{scale}（可选 demo、province）")
    size = SCALES[scale]
    rng = random.Random(SEED)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        imported = conn.execute(
            select(func.count()).select_from(ImportBatch).where(ImportBatch.status != DEMO_BATCH)
        ).scalar_one()
        if imported and not force:
            raise DemoRefused(
                f"数据库中已有 {imported} 批导入的台账数据，生成演示数据会覆盖它们。"
                "如确需覆盖，请加 --force。"
            )
        progress(0.0, "清空旧数据…")
        # Hundreds of thousands of contacts: tally them once at the end, not row by row.
        tallies.defer(conn)
        clear_program_data(conn)
        load_reference(conn)
        weights = _county_weights(rng)
        progress(0.05, "预算与支出…")
        counts.update(_budget(conn, rng, weights))
        progress(0.15, "指标目标与进展…")
        counts.update(_indicators(conn, rng, weights))
        progress(0.2, "爱心屋与日间照料中心…")
        counts.update(_facilities(conn, rng, weights))
        counts.update(_people(conn, rng, weights, size, progress))
        counts.update(_reporting(conn))
        _plant_problems(conn)
        progress(0.98, "联系记录汇总…")
        tallies.rebuild(conn)
        sync_id_sequences(conn)
        set_meta(conn, "contents", "demo")
        set_meta(conn, "demo_scale", scale)
        set_meta(conn, "data_as_of", f"{BUDGET_YEAR}-12-31")
        bump_data_version(conn)
    progress(1.0, "完成")
    return counts


def _budget(conn: Connection, rng: random.Random, weights: dict[str, float]) -> dict[str, int]:
    counties = list(weights)
    disbursements = []
    allocations = []
    for line in BUDGET_LINES:
        line_id = conn.execute(
            insert(BudgetLine).values(
                year=BUDGET_YEAR,
                code=line.code,
                measure_id=line.measure_id,
                name_zh=line.name_zh,
                name_en=line.name_en,
                planned_fen=line.planned_fen,
                illustrative=False,
            )
        ).inserted_primary_key[0]
        # Split in whole yuan so county plans read as budgets do.
        plans = [p * 100 for p in split(line.planned_fen // 100, [weights[c] for c in counties])]
        line_pace = rng.uniform(0.75, 1.15)
        for county, plan in zip(counties, plans, strict=True):
            allocations.append({"line_id": line_id, "county_code": county, "planned_fen": plan})
            pace = line_pace * rng.uniform(0.8, 1.15)
            final_share = min(1.0, rng.uniform(0.9, 1.03) * (0.9 + 0.1 * min(pace, 1.0)))
            previous = 0
            for month in range(1, 13):
                # Spending lags the calendar early in the year and catches up in December.
                share = (
                    final_share if month == 12 else min(final_share, pace * (month / 12) ** 1.25)
                )
                cumulative = int(plan * share) // 100 * 100
                amount = cumulative - previous
                if amount > 0:
                    day = rng.randint(5, calendar.monthrange(BUDGET_YEAR, month)[1])
                    disbursements.append(
                        {
                            "line_id": line_id,
                            "county_code": county,
                            "paid_on": dt.date(BUDGET_YEAR, month, day),
                            "amount_fen": amount,
                            "voucher": f"{line.code}-{county}-{month:02d}",
                        }
                    )
                    previous = cumulative
    conn.execute(insert(BudgetAllocation), allocations)
    for chunk in _chunks(disbursements):
        conn.execute(insert(Disbursement), chunk)
    return {"budget_lines": len(BUDGET_LINES), "disbursements": len(disbursements)}


def _facility_allocation(
    rng: random.Random, weights: dict[str, float], total: int, every_prefecture: bool
) -> dict[str, int]:
    """How many facilities each county is to have (illustrative; the source gives totals)."""
    per_pref: dict[str, list[str]] = {}
    for code, pref, _n, _s in COUNTIES:
        per_pref.setdefault(pref, []).append(code)
    allocation: dict[str, int] = {}
    prefs = list(per_pref)
    if every_prefecture:
        pref_counts = [
            1 + n
            for n in split(
                total - len(prefs), [sum(weights[c] for c in per_pref[p]) for p in prefs]
            )
        ]
    else:
        pref_counts = split(total, [sum(weights[c] for c in per_pref[p]) for p in prefs])
    for pref, n in zip(prefs, pref_counts, strict=True):
        for _ in range(n):
            county = rng.choices(per_pref[pref], [weights[c] for c in per_pref[pref]])[0]
            allocation[county] = allocation.get(county, 0) + 1
    return allocation


def _indicators(conn: Connection, rng: random.Random, weights: dict[str, float]) -> dict[str, int]:
    ids = dict(conn.execute(select(Indicator.code, Indicator.id)).all())
    counties = list(weights)
    targets, values = [], []
    # Facilities' allocations are drawn once here so targets and facility rows agree.
    facility_alloc = {
        "m6_love_huts": _facility_allocation(rng, weights, 60, every_prefecture=True),
        "m8_day_care": _facility_allocation(rng, weights, 20, every_prefecture=False),
    }
    for ind in INDICATORS:
        if ind.code in facility_alloc:
            alloc = facility_alloc[ind.code]
            targets += [
                {
                    "indicator_id": ids[ind.code],
                    "year": BUDGET_YEAR,
                    "county_code": c,
                    "target": Decimal(n),
                }
                for c, n in alloc.items()
            ]
            continue
        if ind.source != "values":
            continue
        if ind.kind == "rate":
            for county in counties:
                level = rng.uniform(90, 99.5)
                for month in range(1, 13):
                    values.append(
                        _value(
                            ids[ind.code],
                            county,
                            month,
                            min(100, level + month * rng.uniform(0, 0.25)),
                        )
                    )
            continue
        # Count indicators: a target split over counties (when the source gives one), and
        # monthly achievements that reach 70-105 % of it by December.
        total = ind.target or rng.randint(3_000, 12_000)
        county_targets = split(total, [weights[c] for c in counties])
        if ind.target:
            targets += [
                {
                    "indicator_id": ids[ind.code],
                    "year": BUDGET_YEAR,
                    "county_code": c,
                    "target": Decimal(t),
                }
                for c, t in zip(counties, county_targets, strict=True)
                if t
            ]
        for county, goal in zip(counties, county_targets, strict=True):
            reach = round(goal * rng.uniform(0.7, 1.05))
            monthly = split(
                reach, [rng.uniform(0.5, 1.5) * (1.3 if m > 9 else 1) for m in range(1, 13)]
            )
            values += [
                _value(ids[ind.code], county, m, n) for m, n in enumerate(monthly, start=1) if n
            ]
    conn.execute(insert(IndicatorTarget), targets)
    for chunk in _chunks(values):
        conn.execute(insert(IndicatorValue), chunk)
    conn.info["facility_alloc"] = facility_alloc
    return {"indicator_values": len(values)}


def _value(indicator_id: int, county: str, month: int, value: float) -> dict:
    return {
        "indicator_id": indicator_id,
        "county_code": county,
        "month": dt.date(BUDGET_YEAR, month, 1),
        "value": Decimal(str(round(value, 2))),
        "illustrative": True,
    }


COUNTY_NAME = {code: name for code, _p, name, _s in COUNTIES}


def _facilities(conn: Connection, rng: random.Random, weights: dict[str, float]) -> dict[str, int]:
    alloc = conn.info.pop("facility_alloc")
    end = dt.date(BUDGET_YEAR, 12, 31)
    n = 0
    for kind, indicator in (("love_hut", "m6_love_huts"), ("day_care", "m8_day_care")):
        for county, count in sorted(alloc[indicator].items()):
            for i in range(count):
                n += 1
                lon, lat = geography.random_point(county, rng)
                place = rng.choice(PLACES)
                name = (
                    f"{COUNTY_NAME[county]}{place}“爱心屋”"
                    if kind == "love_hut"
                    else f"{COUNTY_NAME[county]}残疾人日间照料服务中心"
                )
                if kind == "day_care" and i:
                    name = f"{COUNTY_NAME[county]}{place}残疾人日间照料服务中心"
                history = _status_history(rng, kind)
                status, since = history[-1]
                opened = next((d for s, d in history if s == "operating"), None)
                facility_id = conn.execute(
                    insert(Facility).values(
                        code=f"{'AXW' if kind == 'love_hut' else 'RJZL'}-{county}-{i + 1:02d}",
                        kind=kind,
                        name=name,
                        county_code=county,
                        address=f"{COUNTY_NAME[county]}{place}路{rng.randint(1, 200)}号",
                        lon=Decimal(str(lon)),
                        lat=Decimal(str(lat)),
                        status=status,
                        status_since=since,
                        opened_on=opened,
                        disabled_jobs=rng.randint(1, 4) if kind == "love_hut" else None,
                        places=rng.choice((20, 30, 40, 50)) if kind == "day_care" else None,
                        people_served=(
                            rng.randint(15, 60) if kind == "day_care" and opened else None
                        ),
                        operator=rng.choice(("县残联", "爱心企业认领", "社区共建", "社会组织运营")),
                        illustrative=True,
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    insert(FacilityStatusChange),
                    [
                        {"facility_id": facility_id, "status": s, "changed_on": d}
                        for s, d in history
                        if d <= end
                    ],
                )
    return {"facilities": n}


def _status_history(rng: random.Random, kind: str) -> list[tuple[str, dt.date]]:
    """planned → building → operating (→ suspended), stopping where the year ended."""
    day = dt.date(BUDGET_YEAR, 3, 1) + dt.timedelta(days=rng.randint(0, 60))
    history = [("planned", day)]
    fate = rng.random()
    for status, gap in (("building", (20, 90)), ("operating", (30, 120))):
        if fate < (0.1 if status == "building" else 0.25):
            break
        day += dt.timedelta(days=rng.randint(*gap))
        history.append((status, day))
    else:
        if kind == "love_hut" and fate > 0.95:
            history.append(("suspended", day + dt.timedelta(days=rng.randint(30, 90))))
    end = dt.date(BUDGET_YEAR, 12, 31)
    return [(s, min(d, end)) for s, d in history]


def _fake_id(rng: random.Random, county: str) -> str:
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 60))
    return f"{county}{birth:%Y%m%d}{rng.randint(0, 999):03d}{rng.choice('0123456789X')}"


# Behaviour of a pairing over the year: (share, remote contacts, home visits); the last
# profile starts late in the year.
PROFILES = [
    (0.62, (6, 16), (2, 4)),  # on track and compliant
    (0.16, (2, 4), (1, 2)),  # behind on contacts or visits
    (0.09, (4, 7), (0, 0)),  # calls but never visits
    (0.05, (0, 2), (0, 1)),  # barely in touch
    (0.03, (0, 0), (0, 0)),  # never contacted
    (0.05, (3, 6), (1, 2)),  # paired mid-year
]


def _people(
    conn: Connection, rng: random.Random, weights: dict[str, float], size: Scale, progress: Progress
) -> dict[str, int]:
    counties = list(weights)
    county_pref = {c: p for c, p, _n, _s in COUNTIES}
    pref_counties: dict[str, list[str]] = {}
    for c in counties:
        pref_counties.setdefault(county_pref[c], []).append(c)

    progress(0.25, "残疾人名册…")
    recipient_counties = rng.choices(counties, [weights[c] for c in counties], k=size.recipients)
    recipients = []
    seen: set[str] = set()
    id_hash = idnumbers.hasher(conn)
    for i, county in enumerate(recipient_counties, start=1):
        ident = _fake_id(rng, county)
        while ident in seen:  # identity numbers are unique; redraw the rare collision
            ident = _fake_id(rng, county)
        seen.add(ident)
        recipients.append(
            {
                "id": i,
                "code": f"R{i:06d}",
                "name": _person(rng),
                "id_hash": id_hash(ident),
                "id_last4": ident[-4:],
                "county_code": county,
                "category": rng.choice(CATEGORIES),
                "grade": rng.choice((1, 1, 2)),
                "eligible": True,
                "illustrative": True,
            }
        )
    for chunk in _chunks(recipients):
        conn.execute(insert(Recipient), chunk)
    by_county: dict[str, list[int]] = {}
    for r in recipients:
        by_county.setdefault(r["county_code"], []).append(r["id"])

    progress(0.35, "干部名册…")
    # About 1 % provincial, 19 % prefecture and 80 % county federation cadres.
    cadres = []
    n_prov = max(10, size.cadres // 100)
    n_pref = size.cadres * 19 // 100
    prefs = list(pref_counties)
    for i in range(1, size.cadres + 1):
        if i <= n_prov:
            level, county, unit = "province", PROVINCIAL_SEAT, "甘肃省残疾人联合会"
        elif i <= n_prov + n_pref:
            pref = rng.choices(prefs, [sum(weights[c] for c in pref_counties[p]) for p in prefs])[0]
            level, county = "prefecture", pref_counties[pref][0]
            unit = f"{PREFECTURES[pref][0]}残疾人联合会"
        else:
            county = rng.choices(counties, [weights[c] for c in counties])[0]
            level, unit = "county", f"{COUNTY_NAME[county]}残疾人联合会"
        cadres.append(
            {
                "id": i,
                "code": f"C{i:06d}",
                "name": _person(rng),
                "level": level,
                "unit": unit,
                "county_code": county,
                "phone_last4": f"{rng.randint(0, 9999):04d}",
                "active": True,
                "illustrative": True,
            }
        )
    for chunk in _chunks(cadres):
        conn.execute(insert(Cadre), chunk)

    progress(0.4, "结对关系…")
    # Each cadre takes recipients near their unit; about 5 % of recipients stay unpaired
    # and about 1 % of cadres (new arrivals) have no pairing yet, so 应结尽结 has gaps to show.
    unpaired = {c: rng.sample(ids, k=len(ids) // 20) for c, ids in by_county.items()}
    pool = {c: [r for r in ids if r not in set(unpaired[c])] for c, ids in by_county.items()}
    for ids in pool.values():
        rng.shuffle(ids)
    pairings = []
    cadre_ids = [c["id"] for c in cadres if rng.random() > 0.01]
    per_cadre = len([r for ids in pool.values() for r in ids]) / max(1, len(cadre_ids))
    waiting = {c: list(ids) for c, ids in pool.items()}
    start = dt.date(BUDGET_YEAR, 1, 1)
    cadre_by_id = {c["id"]: c for c in cadres}
    for cadre_id in cadre_ids:
        cadre = cadre_by_id[cadre_id]
        home = cadre["county_code"]
        if cadre["level"] == "county":
            choices = [home]
        elif cadre["level"] == "prefecture":
            choices = pref_counties[county_pref[home]]
        else:
            choices = pref_counties["620100"]
        k = max(1, round(rng.gauss(per_cadre, 0.8)))
        for _ in range(k):
            county = next((c for c in rng.sample(choices, len(choices)) if waiting[c]), None)
            if county is None:
                break
            pairings.append(
                {
                    "id": len(pairings) + 1,
                    "cadre_id": cadre_id,
                    "recipient_id": waiting[county].pop(),
                    "started_on": start,
                    "county_code": county,
                }
            )
    # Whoever is still waiting goes to a cadre of their own county, if there is one.
    county_cadres: dict[str, list[int]] = {}
    for cadre_id in cadre_ids:
        county_cadres.setdefault(cadre_by_id[cadre_id]["county_code"], []).append(cadre_id)
    for county, ids in waiting.items():
        for recipient_id in ids:
            if county_cadres.get(county):
                pairings.append(
                    {
                        "id": len(pairings) + 1,
                        "cadre_id": rng.choice(county_cadres[county]),
                        "recipient_id": recipient_id,
                        "started_on": start,
                        "county_code": county,
                    }
                )

    progress(0.45, "联系记录…")
    contacts = []
    shares = [p[0] for p in PROFILES]
    for pairing in pairings:
        profile = rng.choices(PROFILES, shares)[0]
        first = start
        if profile is PROFILES[-1]:
            first = start + dt.timedelta(days=rng.randint(120, 240))
            pairing["started_on"] = first
        for channel, n in (
            ("remote", rng.randint(*profile[1])),
            ("visit", rng.randint(*profile[2])),
        ):
            for j in range(n):
                contacts.append(
                    (
                        pairing["id"],
                        _spread_date(rng, first, j, n),
                        channel
                        if channel == "visit"
                        else rng.choices(("phone", "wechat", "sms", "other"), (5, 4, 1, 0.5))[0],
                        pairing["county_code"],
                    )
                )
    for chunk in _chunks(pairings):
        conn.execute(
            insert(Pairing), [{k: v for k, v in p.items() if k != "county_code"} for p in chunk]
        )
    contacts.sort(key=lambda c: (c[1], c[0]))
    total = len(contacts)
    for done, chunk in enumerate(_chunks(contacts, 50_000)):
        _insert_contacts(conn, chunk)
        progress(
            0.5 + 0.5 * min(1.0, (done + 1) * 50_000 / max(1, total)),
            f"联系记录 {min(total, (done + 1) * 50_000):,}/{total:,}",
        )
    return {
        "recipients": len(recipients),
        "cadres": len(cadres),
        "pairings": len(pairings),
        "contacts": total,
    }


def _insert_contacts(conn: Connection, rows: list[tuple]) -> None:
    """(pairing_id, date, channel, county) rows; PostgreSQL takes them by COPY, many times
    faster than INSERT at a million rows."""
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor.copy(
            "COPY contacts (pairing_id, contacted_on, channel, county_code) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.execute(
        insert(Contact),
        [
            {"pairing_id": p, "contacted_on": d, "channel": ch, "county_code": c}
            for p, d, ch, c in rows
        ],
    )


def _spread_date(rng: random.Random, first: dt.date, j: int, n: int) -> dt.date:
    """The j-th of n contacts, one per slice of the rest of the year, at a random day in it."""
    end = dt.date(BUDGET_YEAR, 12, 31)
    span = (end - first).days + 1
    lo, hi = span * j // n, max(span * (j + 1) // n - 1, span * j // n)
    return first + dt.timedelta(days=rng.randint(lo, hi))


# --- the reporting calendar ---------------------------------------------------------------------

REPORTED_LEDGERS = {
    "disbursements": "预算支出",
    "contacts": "联系记录",
    "indicator_values": "指标完成值",
}
CHINA = dt.timezone(dt.timedelta(hours=8))


def _due(year: int, month: int) -> dt.date:
    return dt.date(year + 1, 1, 5) if month == 12 else dt.date(year, month + 1, 5)


def _reporting(conn: Connection) -> dict[str, int]:
    """Import batches covering each county-month (see the module docstring). Its own random
    stream, so that the program data do not depend on it."""
    rng = random.Random(SEED + 16)
    counties = [code for code, _p, _n, _s in COUNTIES]
    late = set(rng.sample(counties, 6))
    silent = set(rng.sample([c for c in counties if c not in late], 3))
    merged = set(rng.sample([c for c in counties if c not in late | silent], 3))
    nils = {
        (c, m) for c, m in zip(rng.sample(counties, 4), rng.sample(range(1, 12), 4), strict=True)
    }
    year = BUDGET_YEAR
    batches, coverage, nil_rows = [], [], []

    def send(county: str, ledger: str, months: list[int], day: dt.date) -> None:
        at = dt.datetime.combine(day, dt.time(rng.randint(9, 17), rng.randint(0, 59)), CHINA)
        rows = [rng.randint(20, 400) for _ in months]
        span = "、".join(f"{m}月" for m in months)
        batch_id = len(batches)  # the batch's place in the list, until it has its id
        batches.append(
            {
                "ledger": ledger,
                "file_name": f"{year}年{span}{REPORTED_LEDGERS[ledger]}.xlsx",
                "sha256": hashlib.sha256(f"{county}{ledger}{months}".encode()).hexdigest(),
                "rows_total": sum(rows),
                "rows_added": sum(rows),
                "rows_changed": 0,
                "rows_rejected": 0,
                "imported_by": f"{county}@cdpf.gansu.gov.cn",
                "imported_at": at.astimezone(dt.UTC),
                "status": DEMO_BATCH,
            }
        )
        for month, n in zip(months, rows, strict=True):
            coverage.append(
                {
                    "batch_id": batch_id,
                    "county_code": county,
                    "month": dt.date(year, month, 1),
                    "rows": n,
                }
            )

    for county in counties:
        for ledger in REPORTED_LEDGERS:
            for month in range(1, 13):
                due = _due(year, month)
                if county in merged and ledger == "contacts" and month in (1, 2):
                    if month == 2:
                        send(county, ledger, [1, 2], dt.date(year, 3, rng.randint(1, 4)))
                    continue
                if ledger == "indicator_values" and (county, month) in nils:
                    at = dt.datetime.combine(due - dt.timedelta(days=2), dt.time(10), CHINA)
                    nil_rows.append(
                        {
                            "county_code": county,
                            "month": dt.date(year, month, 1),
                            "ledger": ledger,
                            "declared_by": f"{county}@cdpf.gansu.gov.cn",
                            "declared_at": at.astimezone(dt.UTC),
                            "note": "当月无新增完成值",
                        }
                    )
                    continue
                if (county in silent and month == 12) or rng.random() < 0.002:
                    continue
                if county in late and rng.random() < 0.65:
                    day = due + dt.timedelta(days=rng.randint(1, 10))
                elif rng.random() < 0.04:
                    day = due + dt.timedelta(days=rng.randint(1, 3))
                else:
                    day = due - dt.timedelta(days=rng.randint(0, 4))
                send(county, ledger, [month], day)
    ids = (
        conn.execute(
            insert(ImportBatch).returning(ImportBatch.id, sort_by_parameter_order=True), batches
        )
        .scalars()
        .all()
    )
    for row in coverage:
        row["batch_id"] = ids[row["batch_id"]]
    for chunk in _chunks(coverage):
        conn.execute(insert(BatchCoverage), chunk)
    conn.execute(insert(NilReturn), nil_rows)
    return {"import_batches": len(batches), "nil_returns": len(nil_rows)}


# --- data-quality problems ----------------------------------------------------------------------


def _plant_problems(conn: Connection) -> None:
    """Plant the problems the module docstring lists (before the tallies are rebuilt)."""
    rng = random.Random(SEED + 17)
    year = BUDGET_YEAR
    people = conn.execute(
        select(Pairing.id, Pairing.cadre_id, Pairing.started_on, Recipient.county_code)
        .join(Recipient, Recipient.id == Pairing.recipient_id)
        .order_by(Pairing.id)
    ).all()
    county_of = {p.id: p.county_code for p in people}
    by_cadre: dict[int, list] = {}
    for p in people:
        by_cadre.setdefault(p.cadre_id, []).append(p)
    contacts = conn.execute(
        select(Contact.id, Contact.pairing_id, Contact.contacted_on, Contact.channel).order_by(
            Contact.id
        )
    ).all()
    per_pairing: dict[int, list] = {}
    for c in contacts:
        per_pairing.setdefault(c.pairing_id, []).append(c)
    cadre_contacts = {
        cadre: [c for p in ps for c in per_pairing.get(p.id, [])] for cadre, ps in by_cadre.items()
    }
    cadres = sorted(by_cadre)
    used: set[int] = set()

    def pick(candidates: list[int], n: int) -> list[int]:
        chosen = rng.sample(sorted(set(candidates) - used), n)
        used.update(chosen)
        return chosen

    def add(pairing: int, day: dt.date, channel: str, note: str | None = None, batch=None):
        conn.execute(
            insert(Contact).values(
                pairing_id=pairing,
                contacted_on=day,
                channel=channel,
                county_code=county_of[pairing],
                note=note,
                batch_id=batch,
            )
        )

    # Bunched: every contact of six cadres moved into the last week of its quarter.
    for cadre in pick([c for c in cadres if len(cadre_contacts[c]) >= 8], 6):
        moved = []
        for c in cadre_contacts[cadre]:
            end = month_end(year, ((c.contacted_on.month - 1) // 3 + 1) * 3)
            moved.append({"_id": c.id, "day": end - dt.timedelta(days=rng.randint(0, 6))})
        conn.execute(
            Contact.__table__.update()
            .where(Contact.id == bindparam("_id"))
            .values(contacted_on=bindparam("day")),
            moved,
        )
    # Entered twice.
    for c in rng.sample(contacts, 5):
        add(c.pairing_id, c.contacted_on, c.channel)
    # Before the pairing started; after it ended.
    late_starts = [p for p in people if p.started_on > dt.date(year, 2, 1) and p.id in per_pairing]
    for p in rng.sample(late_starts, 3):
        add(p.id, p.started_on - dt.timedelta(days=12), "phone")
    long_ones = [
        p.id
        for p in people
        if p.id in per_pairing
        and max(c.contacted_on for c in per_pairing[p.id]) - p.started_on > dt.timedelta(days=60)
    ]
    for pid in rng.sample(long_ones, 3):
        last = max(c.contacted_on for c in per_pairing[pid])
        conn.execute(
            Pairing.__table__.update()
            .where(Pairing.id == pid)
            .values(ended_on=last - dt.timedelta(days=20))
        )
    # Dated after the day their batch was imported: the county's batch of the month before.
    batches = {
        (county, month.month): batch_id
        for batch_id, county, month in conn.execute(
            select(BatchCoverage.batch_id, BatchCoverage.county_code, BatchCoverage.month)
            .join(ImportBatch, ImportBatch.id == BatchCoverage.batch_id)
            .where(ImportBatch.ledger == "contacts")
        )
    }
    ahead = [
        c
        for c in contacts
        if c.contacted_on.day >= 20
        and c.contacted_on.month > 2
        and (county_of[c.pairing_id], c.contacted_on.month - 1) in batches
    ]
    for c in rng.sample(ahead, 3):
        batch = batches[(county_of[c.pairing_id], c.contacted_on.month - 1)]
        conn.execute(Contact.__table__.update().where(Contact.id == c.id).values(batch_id=batch))
    # Five home visits in one day.
    for cadre in pick([c for c in cadres if len(by_cadre[c]) >= 3], 2):
        day = dt.date(year, 6, rng.randint(10, 20))
        for i in range(5):
            add(by_cadre[cadre][i % len(by_cadre[cadre])].id, day, "visit")
    # A second pairing far away in the same prefecture (酒泉市 spans 600 km), and home visits
    # to both on one day.
    from data_access.quality import _km  # county seats' distance, as the rules measure it

    recipients = conn.execute(
        select(Recipient.id, Recipient.county_code).order_by(Recipient.id)
    ).all()
    far_from = {
        a: [b for b, p, _n, _s in COUNTIES if p == pa and b != a and _km(a, b) >= 250]
        for a, pa, _n, _s in COUNTIES
    }
    for cadre in pick([c for c in cadres if far_from[by_cadre[c][0].county_code]], 2):
        first = by_cadre[cadre][0]
        places = set(far_from[first.county_code])
        far = rng.choice([r for r in recipients if r.county_code in places])
        pairing = conn.execute(select(func.max(Pairing.id))).scalar_one() + 1  # ids given, as above
        conn.execute(
            insert(Pairing).values(
                id=pairing, cadre_id=cadre, recipient_id=far.id, started_on=dt.date(year, 1, 15)
            )
        )
        county_of[pairing] = far.county_code
        day = dt.date(year, 9, rng.randint(3, 12))
        add(first.id, day, "visit")
        add(pairing, day, "visit")
    # The same note copied across contacts of a county.
    for text, n in (
        ("电话询问近况，身体状况良好，生活稳定，无其他困难。", 15),
        ("入户走访，了解家庭困难情况并宣传助残惠残政策。", 12),
    ):
        county = rng.choice(sorted({county_of[c.pairing_id] for c in contacts}))
        own = [c.id for c in contacts if county_of[c.pairing_id] == county]
        conn.execute(
            Contact.__table__.update().where(Contact.id.in_(rng.sample(own, min(n, len(own))))),
            {"note": text},
        )
    # Paid above plan.
    allocations = conn.execute(
        select(BudgetAllocation.line_id, BudgetAllocation.county_code, BudgetAllocation.planned_fen)
        .where(BudgetAllocation.planned_fen > 0)
        .order_by(BudgetAllocation.id)
    ).all()
    for a in rng.sample(allocations, 2):
        paid = conn.execute(
            select(func.coalesce(func.sum(Disbursement.amount_fen), 0)).where(
                Disbursement.line_id == a.line_id, Disbursement.county_code == a.county_code
            )
        ).scalar_one()
        extra = int(a.planned_fen) - int(paid) + int(a.planned_fen) // 20
        conn.execute(
            insert(Disbursement).values(
                line_id=a.line_id,
                county_code=a.county_code,
                paid_on=dt.date(year, 11, 20),
                amount_fen=extra // 100 * 100,
                voucher="ZF-2024-1120",
            )
        )
    # Facilities: operating without an opening date; coordinates in a neighbouring county.
    operating = conn.execute(
        select(Facility.id, Facility.county_code)
        .where(Facility.status == "operating")
        .order_by(Facility.id)
    ).all()
    chosen = rng.sample(operating, 3)
    for f in chosen[:2]:
        conn.execute(Facility.__table__.update().where(Facility.id == f.id).values(opened_on=None))
    moved = chosen[2]
    neighbour = next(
        c
        for c, p, _n, _s in COUNTIES
        if p == moved.county_code[:4] + "00" and c != moved.county_code
    )
    lon, lat = geography.center(neighbour, "county")
    conn.execute(
        Facility.__table__.update()
        .where(Facility.id == moved.id)
        .values(lon=Decimal(f"{lon:.5f}"), lat=Decimal(f"{lat:.5f}"))
    )
