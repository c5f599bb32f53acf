"""The guided filing dialog: given the working state and one message's understanding, what to
say back and what to ask next. Pure: no Flask, no database. The service gives it the facts it
needs (`Env`), carries out what it asks for (`Absorbed.sync`, `.command`), writes the values
through the filing service and gives the dialog back what the filing then holds.

A turn is: `absorb` (fold the message in; answer a question on the way) → the service writes the
values to the draft filing → `said_back` (what the filing now holds) and `reject` (each refused
value, in plain words) → `prompt` (ask for the next missing item).

Modules: `common` (items, Env, values in words), `absorb` (one answer), `choices` (the offered
options, a handler each, and typed labels), `family` (consent, identity, family members),
`problems` (refusals in plain words), `prompts` (one function per question), `cards`.
"""
from server.chat.dialog.absorb import absorb, contact_name_in, said_back
from server.chat.dialog.cards import after_submit_words, result_card, summary_card
from server.chat.dialog.choices import HANDLERS, apply_choice, is_choice, typed_choice
from server.chat.dialog.common import (DRAFT_FIELDS, FIELD_TO_KEY, LABELS, SLOT_KEYS, SYNCED, Absorbed,
                                       Env, draft_of, new_state, official_name, options, place_name,
                                       slot_words, text)
from server.chat.dialog.family import id_number_in, person_name_in, whose
from server.chat.dialog.problems import place_explanation, reject
from server.chat.dialog.prompts import QUESTIONS, next_item, prompt

__all__ = ["DRAFT_FIELDS", "FIELD_TO_KEY", "HANDLERS", "LABELS", "QUESTIONS", "SLOT_KEYS", "SYNCED",
           "Absorbed", "Env", "absorb", "after_submit_words", "apply_choice", "contact_name_in",
           "draft_of", "id_number_in", "is_choice", "new_state", "next_item", "official_name",
           "options", "person_name_in", "place_explanation", "place_name", "prompt", "reject",
           "result_card", "said_back", "slot_words", "summary_card", "text", "typed_choice", "whose"]
