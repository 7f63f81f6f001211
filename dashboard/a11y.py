"""What every page carries for people who use a keyboard, a screen reader, browser zoom or a
phone: the page's language on <html>, a focus ring that always shows, and captions dark enough
to read. What Streamlit itself does not allow is listed in docs/accessibility.md."""

from __future__ import annotations

# The ring: 3 px in a dark blue (8.6 : 1 on white, 7.9 : 1 on the sidebar's grey), around
# whatever has keyboard focus. Streamlit's own focus styles are faint or missing on several
# widgets (a select box only tints its border). A select box or text field rings its whole box,
# not the narrow input inside it. Captions: Streamlit draws them at 60 % opacity, about 4 : 1 on
# white; WCAG asks 4.5 : 1. Here they are a solid grey of 7.6 : 1, as are the keyboard-shortcut
# hints on buttons (presentation mode's PageDown, Esc).
PAGE_CSS = """
<style>
:focus-visible {
  outline: 3px solid #1F4E9C !important;
  outline-offset: 2px !important;
}
[data-baseweb="select"] input:focus-visible,
[data-baseweb="input"] input:focus-visible,
[data-baseweb="textarea"] textarea:focus-visible { outline: none !important; }
[data-baseweb="select"]:has(input:focus-visible),
[data-baseweb="input"]:has(input:focus-visible),
[data-baseweb="textarea"]:has(textarea:focus-visible) {
  outline: 3px solid #1F4E9C !important;
  outline-offset: 2px !important;
}
[data-testid="stCaptionContainer"] { color: #4B5563 !important; opacity: 1 !important; }
button kbd { color: #4B5563 !important; opacity: 1 !important; }
</style>
"""

# Streamlit's page shell says <html lang="en"> whatever the app's language (upstream
# streamlit/streamlit#15726). The sidebar's language choice lives in the URL (?lang=English;
# absent for Chinese); this keeps <html lang> in step with it across reruns, page changes and language
# switches, so a screen reader reads Chinese as Chinese.
LANG_SCRIPT = """
<script>
(() => {
  if (window.__pageLangSync) return;
  const sync = () => {
    const chosen = new URLSearchParams(window.location.search).get("lang");
    const wanted = chosen === "English" || chosen === "en" ? "en" : "zh-CN";
    if (document.documentElement.lang !== wanted) document.documentElement.lang = wanted;
  };
  window.__pageLangSync = new MutationObserver(sync);
  window.__pageLangSync.observe(document.body, { childList: true, subtree: true });
  window.addEventListener("popstate", sync);
  sync();
})();
</script>
"""
