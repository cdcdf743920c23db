"""kgitops: Kafka topics and Schema Registry subjects kept in Git."""

__version__ = "0.1.0"
