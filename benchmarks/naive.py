"""The naive baseline: each page's (and tab's) headline figures computed the way most dashboards are
written, by loading whole tables into pandas (`pd.read_sql_table`) and filtering and grouping
there. Province, the whole year, the same rules as the dashboard.

`figures(engine, page, year)` gives the same figures from the dashboard's own data layer, so the
report can say that both ways agree (a baseline that computed something else would prove
nothing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from data_access.models import REMOTE_CHANNELS

FACILITY_TARGETS = {"love_hut": "m6_love_huts", "day_care": "m8_day_care"}


def _as_of(year: int) -> dt.date:
    """The dashboard's as-of day for the whole year (dashboard.rules.as_of)."""
    from dashboard.rules import as_of
    from data_access.scope import Filters

    return as_of(Filters(year))


class Tables:
    """Whole tables, each read once (with pd.read_sql_table) the first time a page needs it."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._read: dict[str, pd.DataFrame] = {}
        self.made: dict[str, pd.DataFrame] = {}  # frames derived from them

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._read:
            self._read[name] = pd.read_sql_table(name, self.engine)
        return self._read[name]


# --- pieces -----------------------------------------------------------------------------------


def _budget(db: Tables, year: int) -> dict:
    lines = db["budget_lines"]
    allocations = db["budget_allocations"]
    paid = db["disbursements"]
    counties = db["counties"]
    lines = lines[lines["year"] == year][["id", "measure_id", "code"]]
    planned = allocations.merge(lines, left_on="line_id", right_on="id")
    paid = paid.merge(lines, left_on="line_id", right_on="id")
    paid = paid[
        (paid["paid_on"] >= pd.Timestamp(year, 1, 1))
        & (paid["paid_on"] <= pd.Timestamp(year, 12, 31))
    ]
    by_measure = pd.concat(
        [
            planned.groupby("measure_id")["planned_fen"].sum(),
            paid.groupby("measure_id")["amount_fen"].sum(),
        ],
        axis=1,
    ).fillna(0)
    by_line = pd.concat(
        [
            planned.groupby("line_id")["planned_fen"].sum(),
            paid.groupby("line_id")["amount_fen"].sum(),
        ],
        axis=1,
    ).fillna(0)
    prefecture = counties.set_index("code")["prefecture_code"]
    by_prefecture = paid.groupby(paid["county_code"].map(prefecture))["amount_fen"].sum()
    monthly = paid.groupby(paid["paid_on"].dt.month)["amount_fen"].sum()
    return {
        "planned_fen": int(by_measure["planned_fen"].sum()),
        "disbursed_fen": int(by_measure["amount_fen"].sum()),
        "lines": len(by_line),
        "prefectures_paid": len(by_prefecture),
        "months_paid": len(monthly),
    }


def _facilities(db: Tables, year: int) -> tuple[dict, pd.DataFrame]:
    end = pd.Timestamp(_as_of(year))
    facilities = db["facilities"]
    changes = db["facility_status_changes"]
    indicators = db["indicators"]
    targets = db["indicator_targets"]
    counties = db["counties"]
    changes = changes[changes["changed_on"] <= end].sort_values(["facility_id", "changed_on", "id"])
    status = changes.groupby("facility_id").tail(1)[["facility_id", "status"]]
    found = facilities.drop(columns="status").merge(status, left_on="id", right_on="facility_id")
    found = found.merge(
        counties[["code", "prefecture_code"]], left_on="county_code", right_on="code"
    )
    targets = targets[targets["year"] == year].merge(
        indicators[["id", "code"]], left_on="indicator_id", right_on="id"
    )
    figures = {}
    for kind, code in FACILITY_TARGETS.items():
        own = found[found["kind"] == kind]
        figures[f"{kind}_operating"] = int((own["status"] == "operating").sum())
        figures[f"{kind}_target"] = int(targets.loc[targets["code"] == code, "target"].sum())
    return figures, found


def _pairings(db: Tables, year: int) -> pd.DataFrame:
    """One row per pairing active in the year: recipient's county, cadre, remote contacts and
    visits from 1 January to the as-of day, and the last contact."""
    day = pd.Timestamp(_as_of(year))
    start = pd.Timestamp(year, 1, 1)
    contacts = db["contacts"]
    pairings = db["pairings"]
    recipients = db["recipients"]
    contacts = contacts[(contacts["contacted_on"] >= start) & (contacts["contacted_on"] <= day)]
    contacts = contacts.assign(
        remote=contacts["channel"].isin(REMOTE_CHANNELS), visit=contacts["channel"] == "visit"
    )
    per = contacts.groupby("pairing_id").agg(
        remote=("remote", "sum"), visits=("visit", "sum"), last_contact=("contacted_on", "max")
    )
    active = pairings[
        (pairings["started_on"] <= day)
        & (pairings["ended_on"].isna() | (pairings["ended_on"] >= start))
    ]
    frame = active.merge(
        recipients[["id", "county_code"]],
        left_on="recipient_id",
        right_on="id",
        suffixes=("", "_r"),
    ).merge(per, left_on="id", right_index=True, how="left")
    frame[["remote", "visits"]] = frame[["remote", "visits"]].fillna(0).astype(int)
    return frame


def _compliance(frame: pd.DataFrame, year: int) -> dict:
    from dashboard.rules import CONTACT_RULE

    need = CONTACT_RULE.requirement(_as_of(year))
    remote = frame["remote"] + (frame["visits"] if need.visit_counts_as_contact else 0)
    meeting = (remote >= need.remote) & (frame["visits"] >= need.visits)
    return {"pairings": len(frame), "meeting": int(meeting.sum())}


def _indicators(db: Tables, year: int) -> int:
    values = db["indicator_values"]
    indicators = db["indicators"]
    values = values[values["month"].dt.year == year].merge(
        indicators[["id", "kind"]], left_on="indicator_id", right_on="id"
    )
    counted = values[values["kind"] == "count"].groupby("indicator_id")["value"].sum()
    return len(counted)


# --- pages ------------------------------------------------------------------------------------


def overview(engine, year: int) -> dict:
    db = Tables(engine)
    budget = _budget(db, year)
    facilities, _ = _facilities(db, year)
    compliance = _compliance(_pairings(db, year), year)
    _indicators(db, year)
    return {
        "planned_fen": budget["planned_fen"],
        "disbursed_fen": budget["disbursed_fen"],
        **compliance,
        "love_hut_operating": facilities["love_hut_operating"],
        "day_care_operating": facilities["day_care_operating"],
    }


def budget(engine, year: int) -> dict:
    db = Tables(engine)
    figures = _budget(db, year)
    facilities, _ = _facilities(db, year)
    compliance = _compliance(_pairings(db, year), year)
    _indicators(db, year)
    return {
        "planned_fen": figures["planned_fen"],
        "disbursed_fen": figures["disbursed_fen"],
        "lines": figures["lines"],
        **compliance,
        "love_hut_operating": facilities["love_hut_operating"],
    }


def maps(engine, year: int) -> dict:
    db = Tables(engine)
    figures, found = _facilities(db, year)
    found.groupby(["prefecture_code", "kind", "status"]).size()
    return {
        "facilities": len(found),
        "love_hut_operating": figures["love_hut_operating"],
        "love_hut_target": figures["love_hut_target"],
        "day_care_operating": figures["day_care_operating"],
    }


def _judged(db: Tables, year: int) -> pd.DataFrame:
    """Every pairing active in the year, judged as the contacts page judges it: remote
    contacts and visits counted, compliant, on track, at risk, and what is missing by now.
    Made once per page run."""
    if "judged" not in db.made:
        db.made["judged"] = _judge(db, year)
    return db.made["judged"]


def _judge(db: Tables, year: int) -> pd.DataFrame:
    from dashboard.rules import CONTACT_RULE

    std = CONTACT_RULE.standard(_as_of(year))
    frame = _pairings(db, year)
    remote = frame["remote"] + (frame["visits"] if std.due.visit_counts_as_contact else 0)
    visits = frame["visits"]
    compliant = (remote >= std.year.remote) & (visits >= std.year.visits)
    on_track = (remote >= std.due.remote) & (visits >= std.due.visits)
    pace = pd.Series(False, index=frame.index)
    if std.judge_remote_pace:
        pace |= remote * std.year_days < std.year.remote * std.elapsed_days
    if std.judge_visit_pace:
        pace |= visits * std.year_days < std.year.visits * std.elapsed_days
    since = frame["started_on"].where(
        frame["started_on"] > pd.Timestamp(year, 1, 1), pd.Timestamp(year, 1, 1)
    )
    quiet = frame["last_contact"].fillna(since) <= pd.Timestamp(std.quiet_cutoff)
    return frame.assign(
        counted=remote,
        compliant=compliant,
        on_track=on_track,
        at_risk=~compliant & (pace | quiet),
        missing=(std.due.remote - remote).clip(lower=0) + (std.due.visits - visits).clip(lower=0),
    )


def _contact_counts(db: Tables, year: int) -> dict:
    """Above the contacts page's tabs, and in its first tab: the counts by area and level."""
    frame = _judged(db, year).merge(
        db["cadres"][["id", "level"]], left_on="cadre_id", right_on="id", suffixes=("", "_c")
    )
    flags = ["compliant", "on_track", "at_risk"]
    frame.groupby(["county_code", "level"])[flags].sum()
    return {
        "pairings": len(frame),
        **{flag: int(frame[flag].sum()) for flag in flags},
        "never_contacted": int(((frame["counted"] + frame["visits"]) == 0).sum()),
        "never_visited": int((frame["visits"] == 0).sum()),
    }


def _behind_list(db: Tables, year: int) -> dict:
    """The list of pairings behind or at risk, most missing first, names masked."""
    from data_access.contacts import LIST_LIMIT

    frame = _judged(db, year)
    behind = frame[~frame["on_track"] | frame["at_risk"]].sort_values(
        ["missing", "at_risk", "last_contact", "id"],
        ascending=[False, False, True, True],
        na_position="first",
    )
    listed = behind.head(LIST_LIMIT).merge(
        db["cadres"][["id", "code", "name", "level", "unit"]],
        left_on="cadre_id",
        right_on="id",
        suffixes=("", "_cadre"),
    )
    names = db["recipients"].set_index("id")["name"]
    listed["recipient"] = listed["recipient_id"].map(names).str[0] + "*"
    return {"listed": len(behind), "first_pairing": int(listed["id"].iloc[0])}


def _trend(db: Tables, year: int) -> dict:
    """Contacts per month and channel, January to the as-of day."""
    day = pd.Timestamp(_as_of(year))
    found = db["contacts"]
    found = found[
        (found["contacted_on"] >= pd.Timestamp(year, 1, 1)) & (found["contacted_on"] <= day)
    ]
    by_month = found.groupby([found["contacted_on"].dt.month, "channel"]).size()
    return {
        "contacts": int(by_month.sum()),
        "visits": int(by_month.xs("visit", level="channel").sum()),
    }


def _coverage(db: Tables, year: int) -> dict:
    """应结尽结 on the as-of day: eligible people and serving cadres without an active pairing."""
    stamp = pd.Timestamp(_as_of(year))
    pairings, recipients, cadres = db["pairings"], db["recipients"], db["cadres"]
    active = pairings[
        (pairings["started_on"] <= stamp)
        & (pairings["ended_on"].isna() | (pairings["ended_on"] >= stamp))
    ]
    eligible = recipients[recipients["eligible"].astype(bool)]
    unpaired = eligible[~eligible["id"].isin(active["recipient_id"])]
    serving = cadres[cadres["active"].astype(bool)]
    idle = serving[~serving["id"].isin(active["cadre_id"])]
    unpaired.groupby("county_code").size()
    idle.groupby("county_code").size()
    return {"recipients_unpaired": len(unpaired), "cadres_unpaired": len(idle)}


def quality(engine, year: int) -> dict:
    """数据质量: findings of the contact rules, from whole tables (the same thresholds)."""
    from data_access.quality import QualityThresholds

    th = QualityThresholds()
    db = Tables(engine)
    start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    contacts = db["contacts"]
    contacts = contacts[(contacts["contacted_on"] >= start) & (contacts["contacted_on"] <= end)]
    with_pairing = contacts.merge(
        db["pairings"][["id", "cadre_id", "started_on", "ended_on"]],
        left_on="pairing_id",
        right_on="id",
        suffixes=("", "_p"),
    )
    visits = with_pairing[with_pairing["channel"] == "visit"]
    per_day = visits.groupby(["cadre_id", "contacted_on"]).size()
    return {
        "contact_before_pairing": int(
            (with_pairing["contacted_on"] < with_pairing["started_on"]).sum()
        ),
        "contact_after_pairing": int(
            (with_pairing["contacted_on"] > with_pairing["ended_on"]).sum()
        ),
        "contact_repeated": int(
            (contacts.groupby(["pairing_id", "contacted_on", "channel"]).size() > 1).sum()
        ),
        "visits_too_many": int((per_day > th.visits_per_day).sum()),
    }


def _contacts_view(tab: Callable[[Tables, int], dict] | None = None):
    """The contacts page open on a tab: the counts above the tabs (shown on every tab) and
    what the tab shows."""

    def baseline(engine, year: int) -> dict:
        db = Tables(engine)
        return {**_contact_counts(db, year), **(tab(db, year) if tab else {})}

    return baseline


def _tab(key: str) -> str:
    """The view name of one of the contacts page's tabs (the report names views this way)."""
    from dashboard.i18n import t

    return f"contacts · {t(key, 'zh')}"


BASELINES: dict[str, Callable[[object, int], dict]] = {
    "overview": overview,
    "budget": budget,
    "maps": maps,
    "quality": quality,
    "contacts": _contacts_view(),
    _tab("ct_tab_list"): _contacts_view(_behind_list),
    _tab("ct_tab_trend"): _contacts_view(_trend),
    _tab("ct_tab_coverage"): _contacts_view(_coverage),
}
# The reporting page reads the import batches' county-months (a few thousand rows), and the data
# and admin pages list import batches and users, and a cadre's record is one cadre's
# contacts: small reads that a page does the same way whichever way it is written, so they
# have no naive baseline to compare with.


# --- the same figures from the dashboard's data layer -------------------------------------------


def figures(engine, page: str, year: int) -> dict | None:
    """The view's headline figures as the dashboard's own queries give them (None for a view
    this module does not know)."""
    from dashboard.rules import CONTACT_RULE
    from data_access import budget as budget_q
    from data_access import contacts as contacts_q
    from data_access import facilities as facilities_q
    from data_access import queries
    from data_access.scope import PROVINCE, Filters

    flt = Filters(year)
    day = _as_of(year)
    if page in ("overview", "budget"):
        measures = queries.budget_by_measure(engine, PROVINCE, flt)
        facilities = queries.facility_progress(engine, PROVINCE, flt).set_index("kind")
        compliance = queries.compliance_summary(
            engine, PROVINCE, flt, CONTACT_RULE.requirement(day)
        )
        out = {
            "planned_fen": int(measures["planned_fen"].sum()),
            "disbursed_fen": int(measures["disbursed_fen"].sum()),
            "pairings": compliance["pairings"],
            "meeting": compliance["meeting"],
            "love_hut_operating": int(facilities.loc["love_hut", "operating"]),
        }
        if page == "overview":
            out["day_care_operating"] = int(facilities.loc["day_care", "operating"])
        else:
            lines = budget_q.by_line(engine, PROVINCE, flt)
            out["lines"] = int(((lines["planned_fen"] > 0) | (lines["disbursed_fen"] > 0)).sum())
        return out
    if page == "maps":
        progress = facilities_q.progress_by_area(engine, PROVINCE, flt)
        found = facilities_q.facilities(engine, PROVINCE, flt)
        kind = progress.groupby("kind")[["operating", "target"]].sum()
        return {
            "facilities": len(found),
            "love_hut_operating": int(kind.loc["love_hut", "operating"]),
            "love_hut_target": int(kind.loc["love_hut", "target"]),
            "day_care_operating": int(kind.loc["day_care", "operating"]),
        }
    if page == "quality":
        from data_access import quality as quality_q

        rules = ("contact_before_pairing", "contact_after_pairing", "contact_repeated")
        rules += ("visits_too_many",)
        found = quality_q.findings(
            engine, PROVINCE, flt, quality_q.QualityThresholds(), dt.date.today(), rules
        )
        return {rule: int((found["rule"] == rule).sum()) for rule in rules}
    if not page.startswith("contacts"):
        return None
    std = CONTACT_RULE.standard(day)
    counts = contacts_q.compliance_counts(engine, PROVINCE, flt, std)
    columns = ["pairings", "compliant", "on_track", "at_risk", "never_contacted", "never_visited"]
    out = {k: int(v) for k, v in counts[columns].sum().items()}
    if page == _tab("ct_tab_list"):
        listed = contacts_q.behind_or_at_risk(engine, PROVINCE, flt, std)
        out["listed"] = int(listed["total"].iloc[0])
        out["first_pairing"] = int(listed["pairing_id"].iloc[0])
    elif page == _tab("ct_tab_trend"):
        by_month = contacts_q.contacts_by_month(engine, PROVINCE, flt)
        out["contacts"] = int(by_month["contacts"].sum())
        out["visits"] = int(by_month.loc[by_month["channel"] == "visit", "contacts"].sum())
    elif page == _tab("ct_tab_coverage"):
        coverage = contacts_q.pairing_coverage(engine, PROVINCE, flt, day)
        out["recipients_unpaired"] = int(coverage["recipients_unpaired"].sum())
        out["cadres_unpaired"] = int(coverage["cadres_unpaired"].sum())
    elif page != "contacts":
        return None  # a cadre's record: no baseline
    return out
