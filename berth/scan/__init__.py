"""Vulnerability scanning: what an image contains, and which advisories name it.

Pure code over bytes and files: ``inventory`` reads layers, ``versions`` orders version
strings the way each ecosystem does, ``vulndb`` builds and reads the advisory database,
``match`` joins an inventory with it, ``sbom`` writes CycloneDX. Nothing here knows the
registry's storage or HTTP; ``berth.services.scanning`` drives it.
"""
