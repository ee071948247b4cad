"""What notifications keeps for a limited time (enforced by services.common.retention; listed in the README).

The delivery log says which person got which mail when, and why one failed: needed to answer
questions and to keep a redelivered event from mailing twice (so a row goes only when it is
final, and the period may not be below the dedupe retention). Scheduled and sending mail is never
touched.
"""

from services.common.retention import RetentionRule

FINAL = "('sent', 'failed', 'suppressed', 'cancelled', 'unaddressed')"

RULES = (
    RetentionRule(
        name="delivery_log", description="finished deliveries in the delivery log", table="deliveries",
        age_column="updated_at", holds=f"status IN {FINAL}", default_days=365),
)
