"""The compacted contacts topic: where personal contact data lives on Kafka, and only there.

Domain topics keep every event forever (projections must always be
rebuildable), so they must not hold what an erasure has to remove. Names,
e-mail addresses and languages therefore go to `progadmin.enrolment.contacts`
(cleanup.policy=compact), keyed by person id, as `ContactDetailsChanged.v1`
CloudEvents. Erasing a person writes a tombstone (same key, null value);
log compaction then removes every earlier record of that key, and the
tombstone itself after `delete.retention.ms`. Consumers that mail or name
people (notifications, sessions) read this topic beside the domain topics.

Why this and not per-person encryption keys: it is Kafka's own mechanism,
there is no key service to run, back up and make highly available, the
deletion is real (no ciphertext whose key might survive in a backup), and
the consumers already erase their copies on PersonErased.
"""

from __future__ import annotations

from services.common.topic_specs import CONTACTS as CONTACTS_TOPIC
from services.common.topic_specs import contacts_topic

__all__ = ["CONTACTS_TOPIC", "CONTACT_DETAILS_CHANGED", "TOMBSTONE_PREFIX", "contacts_topic", "tombstone_handler_key"]

# The topic and its settings are declared with every other topic (topic_specs: cleanup.policy=compact).
CONTACT_DETAILS_CHANGED = "progadmin.enrolment.ContactDetailsChanged.v1"


TOMBSTONE_PREFIX = "tombstone:"


def tombstone_handler_key(topic: str) -> str:
    """The entry in a consumer's handler table that takes the tombstones of `topic` (unprefixed name).

    A tombstone has no event (no type to dispatch on), so it is dispatched on its
    topic; the handler gets `{"type": <this key>, "subject": <record key>, "data": None}`.
    """
    return f"{TOMBSTONE_PREFIX}{topic}"
