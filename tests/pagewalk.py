"""Reading everything a page hands to the viewer: the text of every element and the contents
of every file offered for download (CSV, XLSX, PPTX, text)."""

from __future__ import annotations

import io
import json
import zipfile

from google.protobuf import text_format

from benchmarks.probe import lazy_tabs


def rendered_texts(node) -> list[str]:
    """Every piece of text an element carries: tables as CSV, charts as their JSON, the rest
    as the element's message (labels, values, options, help)."""
    out = []
    kind = getattr(node, "type", None)
    if kind == "dataframe":
        out.append(node.value.to_csv())
    elif kind == "plotly_chart":
        out.append(json.dumps(json.loads(node.proto.spec), ensure_ascii=False))
    elif getattr(node, "proto", None) is not None:
        out.append(text_format.MessageToString(node.proto, as_utf8=True))
    for child in getattr(node, "children", {}).values():
        out.extend(rendered_texts(child))
    return out


def every_tab_text(at) -> list[str]:
    """The text of the page as it opened, and of each tab of its lazy tabs opened in turn (a
    tab that runs only when open shows nothing until then)."""
    texts = rendered_texts(at._tree)
    for key, labels in lazy_tabs(at._tree):
        for label in labels:
            at.query_params[key] = label
            at.run()
            texts += rendered_texts(at._tree)
    return texts


def download_text(data: bytes) -> str:
    """The text inside a downloaded file: the XML of an XLSX or PPTX, or decoded text."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(
                z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")
            )
    return data.decode("utf-8-sig", "replace")
