"""Storage ports (BlobStore, MetaStore) and their adapters."""
