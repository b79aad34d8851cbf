"""The ECR JSON API: dispatch, SigV4, shapes (the only place ECR field names appear)."""
