"""The pure OCI content model: digests, names, media types, manifests. No I/O."""
