"""Statistical disclosure control for everything the public sees: which cells to hide
(``protect_cells``), and what an outsider could still work out (``audit_cells``)."""

from evaluations.disclosure.audit import LinearFigure, attacker_intervals
from evaluations.disclosure.protect import audit_cells, number_text, protect_cells
from evaluations.disclosure.suppression import choose_suppression
from evaluations.disclosure.tables import Relation, linked_tables
from portal.disclosure import DisclosurePolicy, disclosure_policy

__all__ = [
    "DisclosurePolicy",
    "LinearFigure",
    "Relation",
    "attacker_intervals",
    "audit_cells",
    "choose_suppression",
    "disclosure_policy",
    "linked_tables",
    "number_text",
    "protect_cells",
]
