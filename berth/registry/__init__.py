"""The /v2/ data plane: one route table, thin handlers."""
