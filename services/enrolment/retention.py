"""What enrolment keeps for a limited time (enforced by services.common.retention; listed in the README).

An intake interview's notes are free text about a director and their company: needed while the
programme runs and its report is written, not for ever. The interview itself (date, commitments,
assessed level) stays: the admission decision rests on it.
"""

from services.common.retention import RetentionRule

RULES = (
    RetentionRule(
        name="intake_notes", description="notes of a held intake interview", table="intakes",
        age_column="held_on", holds="notes IS NOT NULL AND held_on IS NOT NULL", clear=("notes",),
        default_days=730),
)
