"""One small OCI distribution client, for what berth itself fetches from and sends to
registries (advisory databases today; replication and pull-through cache later)."""
