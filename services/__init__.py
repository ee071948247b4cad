"""progadmin: programme administration for a sector fund, four services over Kafka."""
