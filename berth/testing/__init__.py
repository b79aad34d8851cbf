"""Supported test helpers: OCI layout builders and a berth server in a subprocess."""
