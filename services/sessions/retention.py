"""What sessions keeps for a limited time (enforced by services.common.retention; listed in the README).

An evaluation's comment is a participant's own words: read for the session's evaluation and the
final report, then cleared. The score stays (the averages, shown only for groups large enough).
"""

from services.common.retention import RetentionRule

RULES = (
    RetentionRule(
        name="evaluation_comments", description="comments of submitted evaluations", table="evaluations",
        age_column="submitted_at", holds="comment IS NOT NULL", clear=("comment",), default_days=365),
)
