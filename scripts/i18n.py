"""Keep the German catalogue complete: extract messages, merge them into de/messages.po, fill and compile.

    .venv/bin/python scripts/i18n.py              # extract + update; lists messages without German
    .venv/bin/python scripts/i18n.py new.json     # … then fills them from {"msgid": "German", …} and compiles

A plural message takes a list of two German forms. tests/test_i18n.py fails while any message lacks German.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "feedback/translations/messages.pot"
PO = ROOT / "feedback/translations/de/LC_MESSAGES/messages.po"
KEYWORDS = ["_l", "lazy_gettext", "ngettext:1,2", "lazy_ngettext:1,2"]


def extract() -> Catalog:
    """The messages the code and templates use now (pybabel extract, as configured in babel.cfg)."""
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", *keywords, "--no-location",
         "--sort-output", "--omit-header", "-o", str(POT), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with POT.open("rb") as handle:
        return read_po(handle)


def main(argv: list[str]) -> int:
    template = extract()
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    catalog.update(template, no_fuzzy_matching=True)
    if argv:
        german = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        for message in catalog:
            if message.id and message.id in german or (isinstance(message.id, tuple) and message.id[0] in german):
                key = message.id if isinstance(message.id, str) else message.id[0]
                value = german[key]
                message.string = tuple(value) if isinstance(value, list) else value
    missing = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=76, sort_output=True, ignore_obsolete=True)
    with PO.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog)
    for message_id in missing:
        print(json.dumps(message_id if isinstance(message_id, str) else message_id[0], ensure_ascii=False))
    print(f"{len(missing)} message(s) without German", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
