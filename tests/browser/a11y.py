"""Accessibility checks of the browser pass as plain functions (empty list = fine): an axe-core
audit that allows exactly the Streamlit-internal violations listed in docs/accessibility.md,
the page's declared language, and whether the focused element shows it has focus."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .harness import ROOT, wait_settled

DOC = ROOT / "docs" / "accessibility.md"
EXPANDER_TOGGLES = "[data-testid='stMain'] [data-testid='stExpander'] details:not([open]) > summary"
HTML_LANG = {"zh": "zh-CN", "en": "en"}


@dataclass(frozen=True)
class Allowed:
    """A violation Streamlit causes and the app cannot fix: an axe rule on a Streamlit element."""

    rule: str
    testid: str

    def covers(self, rule: str, node: dict) -> bool:
        return rule == self.rule and f'data-testid="{self.testid}"' in node.get("html", "")


def allowed_violations() -> list[Allowed]:
    """The rows of the table "Streamlit-internal violations allowed by the audit" in the doc."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Streamlit-internal violations allowed by the audit", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| \w+ \| `(\w+)` \|", section, flags=re.M)
    return [Allowed(rule, testid) for rule, testid in rows]


def axe_problems(page, allowed: list[Allowed], seen: set[Allowed] | None = None) -> list[str]:
    """Run axe-core (bundled by axe-playwright-python, no network) on the page as it is now;
    every violating node not covered by an allowed entry is a problem."""
    from axe_playwright_python.base import AXE_SCRIPT

    # Streamlit changes pages without reloading the document: inject axe once per document.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    problems = []
    for violation in results["violations"]:
        for node in violation["nodes"]:
            covering = next((a for a in allowed if a.covers(violation["id"], node)), None)
            if covering is not None:
                if seen is not None:
                    seen.add(covering)
                continue
            problems.append(
                f"axe {violation['id']} ({violation['impact']}): {node['html'][:160]} "
                f"— {node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return problems


def lang_problems(page, lang: str) -> list[str]:
    """The page says which language it is in, so that a screen reader pronounces it."""
    wanted = HTML_LANG[lang]
    try:
        page.wait_for_function("l => document.documentElement.lang === l", arg=wanted, timeout=5000)
    except Exception:
        found = page.evaluate("document.documentElement.lang")
        return [f'<html lang="{found}">, expected "{wanted}"']
    return []


def open_expanders(page) -> None:
    """Open every closed expander of the main area (the charts' data tables among them), so
    that the audit reads what is inside too."""
    toggles = page.locator(EXPANDER_TOGGLES)
    for _ in range(toggles.count()):
        toggles.first.click()
        page.wait_for_timeout(100)
    wait_settled(page)


# Whether the element with focus shows it: a visible outline of at least 2 px on it, or on the
# box of a select/text field whose input has focus. Returns null when fine, else a description.
FOCUS_SHOWN_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;  // past the last stop: the browser's own
  const rect = el.getBoundingClientRect();
  const describe = `${el.tagName.toLowerCase()}${el.getAttribute('aria-label') ? `[aria-label="${el.getAttribute('aria-label')}"]` : ''} "${(el.innerText || el.value || '').slice(0, 40)}"`;
  const ringed = n => {
    if (!n) return false;
    const s = getComputedStyle(n);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && s.outlineColor !== 'rgba(0, 0, 0, 0)';
  };
  const box = el.closest('[data-baseweb="select"], [data-baseweb="input"], [data-baseweb="textarea"]');
  if (ringed(el) || ringed(box)) return null;
  if (rect.width === 0 && rect.height === 0 && !box) return null;
  return `focus not visible on ${describe}`;
}
"""


def focus_problem(page) -> str | None:
    return page.evaluate(FOCUS_SHOWN_JS)
