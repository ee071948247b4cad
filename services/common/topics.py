"""Create every service's topic and dead-letter topic.

    python -m services.common.topics
"""

from __future__ import annotations

import sys

from services.common.broker import all_topics, ensure_topics
from services.common.config import Settings


def main() -> int:
    settings = Settings.from_env("enrolment")
    created = ensure_topics(settings)
    print(f"topics: {len(all_topics(settings))} wanted, created {len(created)}"
          + "".join(f"\n  {t}" for t in created))
    return 0


if __name__ == "__main__":
    sys.exit(main())
