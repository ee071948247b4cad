"""What reporting keeps for a limited time (services.common.retention; the README's "Retention"): nothing.

Reporting holds no free text and no contact data: pseudonymous ids, dates, scores and figures,
which a report must be able to show for the whole programme. Webhook delivery attempts are the
subscribers' operational log and hold no personal data either.
"""

from services.common.retention import RetentionRule

RULES: tuple[RetentionRule, ...] = ()
