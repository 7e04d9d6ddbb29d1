"""Keep the catalogues complete: extract messages once, merge them into every language's messages.po, fill one
language from a JSON file and compile them all.

    .venv/bin/python scripts/i18n.py                  # extract + update; lists messages without German
    .venv/bin/python scripts/i18n.py new.json         # … then fills them from {"msgid": "German", …} and compiles
    .venv/bin/python scripts/i18n.py --lang pl        # lists the respondent pages' messages without Polish
    .venv/bin/python scripts/i18n.py --lang pl pl.json   # … and fills them from {"msgid": "Polski", …}

German translates every message (the dashboard is German and English). The other respondent languages
(feedback.i18n.RESPONDENT_LANGUAGES) translate the messages of the respondent pages, the files babel-respondent.cfg
names; their other messages may stay empty (gettext shows the English). A plural message takes a list of the
language's plural forms (Polish has three). tests/test_i18n.py fails while a message lacks its translation.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "feedback/translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "de/LC_MESSAGES/messages.po"
RESPONDENT_CFG = ROOT / "babel-respondent.cfg"
KEYWORDS = ["_l", "lazy_gettext", "ngettext:1,2", "lazy_ngettext:1,2"]
#: The languages with a catalogue: English is the source language; German is complete; the others cover the
#: respondent pages (kept in step with feedback.i18n.RESPONDENT_LANGUAGES, which tests/test_i18n.py checks).
CATALOGUES = ("de", "fr", "es", "it", "nl", "pl", "tr")
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def po_path(language: str) -> Path:
    """The messages.po of a language."""
    return TRANSLATIONS / language / "LC_MESSAGES/messages.po"


def key(message_id: str | tuple[str, ...]) -> str:
    """A message's msgid (a plural's singular)."""
    return message_id if isinstance(message_id, str) else message_id[0]


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


def respondent_messages() -> set[str]:
    """The msgids of the respondent pages: every message of the files babel-respondent.cfg names."""
    with RESPONDENT_CFG.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(RESPONDENT_CFG))
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    return {key(message) for _file, _line, message, _comments, _context in found}


def translated(message: object) -> bool:
    """The message has every form of its translation."""
    string = getattr(message, "string", None)
    return bool(all(string) if isinstance(string, tuple) else string)


def _fill(catalog: Catalog, texts: dict[str, str | list[str]]) -> list[str]:
    """Put the JSON's translations into the catalogue; the problems found (wrong placeholders or plural forms)."""
    problems = []
    for message in catalog:
        if not message.id or key(message.id) not in texts:
            continue
        value = texts[key(message.id)]
        forms = value if isinstance(value, list) else [value]
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        known = {p for text in ids for p in PLACEHOLDER.findall(text)}
        if isinstance(message.id, tuple) and len(forms) != catalog.num_plurals:
            problems.append(f"{key(message.id)!r}: {catalog.num_plurals} plural forms wanted, {len(forms)} given")
            continue
        # a plural's form may leave out the number ("one item"); every other placeholder stays as it is
        wanted = {p for p in known if not isinstance(message.id, tuple) or not p.startswith("%(num)")}
        if any(not wanted <= set(PLACEHOLDER.findall(form)) <= known for form in forms):
            problems.append(f"{key(message.id)!r}: the placeholders must stay {sorted(known)}")
            continue
        message.string = tuple(forms) if isinstance(message.id, tuple) else forms[0]
        message.flags.discard("fuzzy")
    return problems


def update(language: str, template: Catalog, texts: dict[str, str | list[str]] | None) -> Catalog:
    """Merge the template into the language's catalogue (a new one when it has none), fill it, write and compile."""
    path = po_path(language)
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=language, project="feedback", fuzzy=False)
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)  # update() adopts the template's new messages
    for problem in _fill(catalog, texts) if texts else []:
        print(problem, file=sys.stderr)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=76, sort_output=True, ignore_obsolete=True)
    with path.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog)
    return catalog


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", choices=CATALOGUES, default="de", help="the language to fill and check")
    parser.add_argument("json", nargs="?", help='{"msgid": "translation", …}; a plural takes a list of forms')
    args = parser.parse_args(argv)
    texts = json.loads(Path(args.json).read_text(encoding="utf-8")) if args.json else None
    template = extract()
    catalogues = {language: update(language, template, texts if language == args.lang else None)
                  for language in CATALOGUES}  # fmt: skip
    needed = None if args.lang == "de" else respondent_messages()
    catalog = catalogues[args.lang]
    missing = [m.id for m in catalog if m.id and not translated(m) and (needed is None or key(m.id) in needed)]
    for message_id in missing:
        print(json.dumps(key(message_id), ensure_ascii=False))
    what = "message(s)" if needed is None else "respondent message(s)"
    print(f"{len(missing)} {what} without {'German' if args.lang == 'de' else args.lang}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
