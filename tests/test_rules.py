"""The measure-9 contact rule (dashboard/rules.py): what is due on a day, compliant, on track,
at risk, and where its numbers are configured. Plain functions, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.rules import (
    CONTACT_RULE,
    ContactRule,
    contact_rule_from,
    halves_completed,
    load_contact_rule,
    quarters_completed,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "remote", "visits"),
    [
        (D(2024, 1, 1), 0, 0),
        (D(2024, 2, 29), 0, 0),  # leap day: nothing due yet
        (D(2024, 3, 30), 0, 0),
        (D(2024, 3, 31), 1, 0),  # first quarter complete on its last day
        (D(2024, 6, 29), 1, 0),
        (D(2024, 6, 30), 2, 1),  # first half complete
        (D(2024, 9, 29), 2, 1),
        (D(2024, 9, 30), 3, 1),
        (D(2024, 12, 30), 3, 1),
        (D(2024, 12, 31), 4, 2),  # the year's rule
        (D(2025, 2, 28), 0, 0),
        (D(2025, 3, 31), 1, 0),
    ],
)
def test_what_is_due_at_quarter_boundaries(day, remote, visits):
    due = ContactRule().requirement(day)
    assert (due.remote, due.visits) == (remote, visits)


def test_quarters_and_halves():
    assert [quarters_completed(D(2024, m, d)) for m, d in ((3, 30), (3, 31), (12, 31))] == [0, 1, 4]
    assert [halves_completed(D(2024, m, d)) for m, d in ((6, 29), (6, 30), (12, 31))] == [0, 1, 2]


def test_four_calls_and_one_visit():
    rule = ContactRule()
    last = D(2024, 6, 20)
    year_end = rule.assess(D(2024, 12, 31), remote=4, visits=1, last_contact=last)
    assert not year_end.compliant and not year_end.on_track and year_end.at_risk
    # At the end of Q2 (2 contacts and 1 visit due) the same counts are on track...
    q2 = rule.assess(D(2024, 6, 30), remote=4, visits=1, last_contact=last)
    assert q2.on_track and not q2.compliant and not q2.at_risk
    # ... but only with the visit.
    no_visit = rule.assess(D(2024, 6, 30), remote=4, visits=0, last_contact=last)
    assert not no_visit.on_track and no_visit.at_risk and no_visit.pace_short


@pytest.mark.parametrize("year", [2024, 2025])
def test_on_track_at_the_end_of_q1_or_h1_is_not_short_of_pace(year):
    rule = ContactRule()
    for day in (D(year, 3, 31), D(year, 6, 30)):
        due = rule.requirement(day)
        verdict = rule.assess(day, due.remote, due.visits, last_contact=day)
        assert verdict.on_track and not verdict.pace_short and not verdict.at_risk, day
        # one contact fewer is behind, and short of pace
        short = rule.assess(day, due.remote - 1, due.visits, last_contact=day)
        assert not short.on_track and short.pace_short, day


def test_one_visit_by_the_end_of_q3_is_on_track_but_short_of_pace():
    rule = ContactRule()
    day = D(2024, 9, 30)
    three_contacts = rule.assess(day, remote=3, visits=2, last_contact=day)
    assert three_contacts.on_track and not three_contacts.pace_short
    one_visit = rule.assess(day, remote=3, visits=1, last_contact=day)
    assert one_visit.on_track and one_visit.pace_short and one_visit.at_risk


def test_pace_warns_between_quarter_ends():
    rule = ContactRule()
    # 1 contact by 19 June: on track (1 due) but at that pace the year ends with 2.
    verdict = rule.assess(D(2024, 6, 19), remote=1, visits=0, last_contact=D(2024, 6, 1))
    assert verdict.on_track and verdict.pace_short and verdict.at_risk
    # Before the first quarter ends the pace is not judged: January does not flag everyone;
    # visits are judged from the end of the first half.
    early = rule.assess(D(2024, 3, 30), remote=0, visits=0, last_contact=None)
    assert early.on_track and not early.pace_short and not early.at_risk
    spring = rule.assess(D(2024, 5, 31), remote=2, visits=0, last_contact=D(2024, 5, 1))
    assert spring.on_track and not spring.pace_short


def test_quiet_for_ninety_days():
    rule = ContactRule()
    day = D(2024, 6, 30)  # 90 days back is 1 April
    assert rule.standard(day).quiet_cutoff == D(2024, 4, 1)
    assert rule.assess(day, 9, 9, last_contact=D(2024, 4, 2)).quiet is False
    quiet = rule.assess(day, 3, 1, last_contact=D(2024, 4, 1))
    assert quiet.quiet and quiet.at_risk and quiet.on_track
    # Already compliant for the year: quiet, but not at risk.
    done = rule.assess(day, 4, 2, last_contact=D(2024, 3, 1))
    assert done.quiet and done.compliant and not done.at_risk
    # Without a contact the pairing's start (or 1 January) is what the quiet days count from.
    assert rule.assess(D(2024, 3, 30), 0, 0, None).quiet is False
    assert rule.assess(D(2024, 3, 31), 0, 0, None).quiet is True
    assert rule.assess(D(2024, 6, 30), 0, 0, None, started_on=D(2024, 5, 1)).quiet is False


def test_standard_counts_the_leap_day():
    std = ContactRule().standard(D(2024, 2, 29))
    assert (std.elapsed_days, std.year_days) == (60, 366)
    assert not std.judge_remote_pace and not std.judge_visit_pace
    std = ContactRule().standard(D(2024, 3, 31))
    assert std.judge_remote_pace and not std.judge_visit_pace
    std = ContactRule().standard(D(2025, 12, 31))
    assert (std.elapsed_days, std.year_days) == (365, 365)
    assert std.judge_remote_pace and std.judge_visit_pace
    assert (std.year.remote, std.year.visits) == (4, 2)


def test_visit_counting_as_contact_is_one_setting():
    rule = ContactRule(visit_counts_as_contact=True)
    assert rule.requirement(D(2024, 6, 30)).visit_counts_as_contact
    assert rule.standard(D(2024, 6, 30)).due.visit_counts_as_contact
    assert not ContactRule().requirement(D(2024, 6, 30)).visit_counts_as_contact


def test_defaults_are_the_source_rule():
    rule = ContactRule()
    assert (rule.remote_per_year, rule.visits_per_year) == (4, 2)
    assert rule.visit_counts_as_contact is False and rule.quiet_days == 90


def test_overrides_from_secrets_and_environment(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        "[rules]\nremote_per_year = 6\nvisit_counts_as_contact = true\nquiet_days = 60\n",
        encoding="utf-8",
    )
    rule, problems = load_contact_rule({}, tmp_path)
    assert problems == []
    assert rule == ContactRule(remote_per_year=6, visit_counts_as_contact=True, quiet_days=60)
    assert rule.requirement(D(2024, 9, 30)).remote == 4  # 6 a year, three quarters done
    # The environment wins over the file.
    rule, _ = load_contact_rule({"DASHBOARD_RULES_REMOTE_PER_YEAR": "8"}, tmp_path)
    assert rule.remote_per_year == 8 and rule.quiet_days == 60


def test_unusable_settings_keep_the_default_and_say_why():
    rule, problems = contact_rule_from(
        {"remote_per_year": "four", "visit_counts_as_contact": "maybe", "visits": 3}
    )
    assert rule == ContactRule()
    assert len(problems) == 3
    assert any("remote_per_year" in p for p in problems)
    assert any("visits" in p and "未知" in p for p in problems)


def test_no_configuration_means_defaults(tmp_path):
    assert load_contact_rule({}, tmp_path) == (ContactRule(), [])
    assert isinstance(CONTACT_RULE, ContactRule)
