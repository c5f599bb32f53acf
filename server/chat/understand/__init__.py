"""Text → slot findings for the chat-driven filing. Pure: no Flask, no database.

One message goes through these steps (`reader.understand`), each in its own module:

- normalise.py   the text in the form the rules expect
- gazetteer.py   every surface that names a place or a hospital (built once per process)
- mentions.py    place mentions in the text, joined and resolved to candidate regions
- roles.py       insured place or visit place: THE file that tells them apart
- facts.py       facts the text states, the filing type they point to, the scheme
- dates.py       the start date, against the message's own date
- family.py      whom the filing is for when the message is about a relative
- replies.py     contact name and phone, yes / no, correction markers

`merging.merge` folds one message's findings into the dialog's slot state, latest statement wins.
Everything other packages use is importable from here.
"""
from server.chat.understand.dates import parse_start_date
from server.chat.understand.facts import LONG_TERM_FACTS, derive_filing_type
from server.chat.understand.gazetteer import STOP_SURFACES, Gazetteer, get_gazetteer
from server.chat.understand.merging import merge
from server.chat.understand.model import (FILING_TYPES, INSURED, REGION_SLOTS, SLOT_ALIASES,
                                          VISIT, Ambiguity, Context, Option, RoleAmbiguity,
                                          Understanding)
from server.chat.understand.reader import understand
from server.chat.understand.roles import WORKS_THERE

__all__ = [
    "FILING_TYPES", "INSURED", "LONG_TERM_FACTS", "REGION_SLOTS", "SLOT_ALIASES", "STOP_SURFACES",
    "VISIT", "WORKS_THERE", "Ambiguity", "Context", "Gazetteer", "Option", "RoleAmbiguity",
    "Understanding",
    "derive_filing_type", "get_gazetteer", "merge", "parse_start_date", "understand",
]

# The gazetteer (catalogue index, automaton) is built here, at import, so that no chat turn pays
# for it (about 0.2 s once per process).
get_gazetteer()
