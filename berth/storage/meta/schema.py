"""The metadata schema, one for SQLite and PostgreSQL.

::

    accounts (id) ── created_at
      ├── iam_users (account_id, name)
      │     ├── user_policies (…, user_name, policy_name) → inline policy document
      │     └── user_attached_policies (…, user_name, policy_arn)
      ├── registry_policies (account_id) → the registry's resource policy
      ├── iam_roles (account_id, name) → role id, trust policy
      │     ├── role_policies (…, role_name, policy_name) → inline policy document
      │     └── role_attached_policies (…, role_name, policy_arn)
      ├── access_keys (access_key_id) → user (NULL: the account's root); secret encrypted
      ├── account_settings (account_id, name) → value
      ├── creation_templates (account_id, prefix) → the template as JSON
      └── pull_time_exclusions (account_id, principal_arn) → created_at
    repositories (id) ── account_id, name (unique together), created_at, tag mutability
      │                  and its exclusion filters (JSON), scan_on_push, encryption
      ├── repository_tags (repository_id, key) → value        resource tags
      ├── repository_policies (repository_id) → the repository's resource policy
      ├── lifecycle_policies (repository_id) → policy text, when put and last evaluated
      ├── lifecycle_previews (repository_id) → status, the policy previewed, results
      ├── repository_blobs (repository_id, digest)   blobs this repository may reach
      ├── manifests (repository_id, digest)          payload, media/artifact type, subject,
      │     │                                        image size, last pull time, status
      │     │                                        (ACTIVE/ARCHIVED/ACTIVATING) and when
      │     ├── manifest_blobs (…, manifest_digest, blob_digest)     config and layers
      │     └── manifest_children (…, parent_digest, child_digest)   an index's manifests
      ├── tags (repository_id, name) → manifest_digest
      └── uploads (id)                               open upload sessions
    blobs (digest) ── size, created_at               one row per stored blob

Times are epoch seconds (double). Digests are ``algorithm:hex`` text.
Deleting a repository cascades to everything under it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData()

DIGEST = String(160)
# Names sort bytewise everywhere, so pagination by `last` agrees on every backend.
NAME = String(256).with_variant(String(256, collation="C"), "postgresql")
TAG = String(128).with_variant(String(128, collation="C"), "postgresql")

repositories = Table(
    "repositories", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("name", NAME, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("image_tag_mutability", String(32), nullable=False, server_default="MUTABLE"),
    Column("tag_mutability_filters", Text),
    Column("scan_on_push", Boolean, nullable=False, server_default=false()),
    Column("encryption_type", String(16), nullable=False, server_default="AES256"),
    Column("kms_key", String(2048)),
    UniqueConstraint("account_id", "name", name="uq_repositories_account_name"),
)

repository_tags = Table(
    "repository_tags", metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", String(12), primary_key=True),
    Column("created_at", Double, nullable=False),
)

iam_users = Table(
    "iam_users", metadata,
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("user_id", String(32), nullable=False, unique=True),
    Column("created_at", Double, nullable=False),
)

access_keys = Table(
    "access_keys", metadata,
    Column("access_key_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False),
    Column("user_name", String(64)),
    Column("secret", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", Double, nullable=False),
    Index("ix_access_keys_user", "account_id", "user_name"),
)

user_policies = Table(
    "user_policies", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("user_name", String(64), primary_key=True),
    Column("policy_name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
    ForeignKeyConstraint(["account_id", "user_name"], ["iam_users.account_id", "iam_users.name"],
                         ondelete="CASCADE"),
)

user_attached_policies = Table(
    "user_attached_policies", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("user_name", String(64), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    ForeignKeyConstraint(["account_id", "user_name"], ["iam_users.account_id", "iam_users.name"],
                         ondelete="CASCADE"),
)

iam_roles = Table(
    "iam_roles", metadata,
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("role_id", String(32), nullable=False, unique=True),
    Column("trust_policy", Text, nullable=False),
    Column("max_session_seconds", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
)

role_policies = Table(
    "role_policies", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("role_name", String(64), primary_key=True),
    Column("policy_name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
    ForeignKeyConstraint(["account_id", "role_name"], ["iam_roles.account_id", "iam_roles.name"],
                         ondelete="CASCADE"),
)

role_attached_policies = Table(
    "role_attached_policies", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("role_name", String(64), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    ForeignKeyConstraint(["account_id", "role_name"], ["iam_roles.account_id", "iam_roles.name"],
                         ondelete="CASCADE"),
)

repository_policies = Table(
    "repository_policies", metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("document", Text, nullable=False),
)

lifecycle_policies = Table(
    "lifecycle_policies", metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("document", Text, nullable=False),
    Column("last_evaluated_at", Double),
    Column("updated_at", Double),  # when it was put: a scheduled run is due an interval later
)

lifecycle_previews = Table(
    "lifecycle_previews", metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("status", String(16), nullable=False),
    Column("document", Text, nullable=False),
    Column("results", Text),
    Column("created_at", Double, nullable=False),
)

registry_policies = Table(
    "registry_policies", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("document", Text, nullable=False),
)

pull_time_exclusions = Table(
    "pull_time_exclusions", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("principal_arn", String(200), primary_key=True),
    Column("created_at", Double, nullable=False),
)

account_settings = Table(
    "account_settings", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("value", String(64), nullable=False),
)

creation_templates = Table(
    "creation_templates", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("prefix", NAME, primary_key=True),
    Column("document", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)

blobs = Table(
    "blobs", metadata,
    Column("digest", DIGEST, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Double, nullable=False),
)

repository_blobs = Table(
    "repository_blobs", metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("digest", DIGEST, ForeignKey("blobs.digest"), primary_key=True),
    Column("created_at", Double, nullable=False),
    Index("ix_repository_blobs_digest", "digest"),
)

manifests = Table(
    "manifests", metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("digest", DIGEST, primary_key=True),
    Column("media_type", String(255), nullable=False),
    Column("artifact_type", String(255)),
    Column("subject_digest", DIGEST),
    Column("payload", LargeBinary, nullable=False),
    Column("pushed_at", Double, nullable=False),
    Column("image_size", BigInteger, nullable=False, server_default="0"),
    Column("last_pulled_at", Double),
    # ACTIVE, ARCHIVED (the archive storage class: listed, not pullable) or ACTIVATING
    Column("image_status", String(16), nullable=False, server_default="ACTIVE"),
    Column("last_archived_at", Double),
    Column("last_activated_at", Double),
    Index("ix_manifests_subject", "repository_id", "subject_digest"),
)

manifest_blobs = Table(
    "manifest_blobs", metadata,
    Column("repository_id", Integer, primary_key=True),
    Column("manifest_digest", DIGEST, primary_key=True),
    Column("blob_digest", DIGEST, ForeignKey("blobs.digest"), primary_key=True),
    Column("size", BigInteger, nullable=False),
    ForeignKeyConstraint(["repository_id", "manifest_digest"],
                         ["manifests.repository_id", "manifests.digest"], ondelete="CASCADE"),
    Index("ix_manifest_blobs_blob", "blob_digest"),
)

manifest_children = Table(
    "manifest_children", metadata,
    Column("repository_id", Integer, primary_key=True),
    Column("parent_digest", DIGEST, primary_key=True),
    Column("child_digest", DIGEST, primary_key=True),
    ForeignKeyConstraint(["repository_id", "parent_digest"],
                         ["manifests.repository_id", "manifests.digest"], ondelete="CASCADE"),
    Index("ix_manifest_children_child", "repository_id", "child_digest"),
)

tags = Table(
    "tags", metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("name", TAG, primary_key=True),
    Column("manifest_digest", DIGEST, nullable=False),
    Column("updated_at", Double, nullable=False),
    ForeignKeyConstraint(["repository_id", "manifest_digest"],
                         ["manifests.repository_id", "manifests.digest"], ondelete="CASCADE"),
    Index("ix_tags_manifest", "repository_id", "manifest_digest"),
)

uploads = Table(
    "uploads", metadata,
    Column("id", String(32), primary_key=True),
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"),
           nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    # the digest of the first hashed_size bytes, recorded by the request that wrote them,
    # so a PUT that closes the upload on another process need not read them again
    Column("hashed_size", BigInteger),
    Column("hashed_digest", String(160)),
    Index("ix_uploads_updated", "updated_at"),
)

# Background work and vulnerability scanning.
#
#   jobs (id) ── kind, key (unique together: one pending job per thing), payload (JSON),
#                run_at, attempts, lease owner and expiry, last error
#   registry_scanning (account_id) → scan type, rules (JSON)
#   layer_inventories (digest) → what one layer contains (zlib JSON), per inventory version
#   image_scans (repository_id, digest) → status, when, the database used, counts,
#                findings and the image's inventory (zlib JSON)
#     └── image_packages (…, ecosystem, name)   what to rescan when advisories change

jobs = Table(
    "jobs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("key", String(400), nullable=False),
    Column("payload", Text, nullable=False),
    Column("run_at", Double, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_owner", String(64)),
    Column("lease_until", Double),
    Column("last_error", Text),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("kind", "key", name="uq_jobs_kind_key"),
    Index("ix_jobs_due", "run_at"),
)

registry_scanning = Table(
    "registry_scanning", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("scan_type", String(16), nullable=False),
    Column("rules", Text, nullable=False),
    Column("updated_at", Double, nullable=False),
)

layer_inventories = Table(
    "layer_inventories", metadata,
    Column("digest", DIGEST, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("document", LargeBinary, nullable=False),
    Column("created_at", Double, nullable=False),
)

image_scans = Table(
    "image_scans", metadata,
    Column("repository_id", Integer, primary_key=True),
    Column("digest", DIGEST, primary_key=True),
    Column("scan_type", String(16), nullable=False),
    Column("status", String(32), nullable=False),
    Column("description", Text, nullable=False),
    Column("started_at", Double, nullable=False),
    Column("completed_at", Double),
    Column("vulndb_id", String(200)),
    Column("source_updated_at", Double),
    Column("severity_counts", Text),
    Column("findings", LargeBinary),
    Column("inventory", LargeBinary),
    ForeignKeyConstraint(["repository_id", "digest"],
                         ["manifests.repository_id", "manifests.digest"], ondelete="CASCADE"),
)

image_packages = Table(
    "image_packages", metadata,
    Column("repository_id", Integer, primary_key=True),
    Column("digest", DIGEST, primary_key=True),
    Column("ecosystem", String(100), primary_key=True),
    Column("name", String(400), primary_key=True),
    ForeignKeyConstraint(["repository_id", "digest"],
                         ["manifests.repository_id", "manifests.digest"], ondelete="CASCADE"),
    Index("ix_image_packages_key", "ecosystem", "name"),
)
