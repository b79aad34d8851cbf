"""Who is calling: SigV4 on the ECR API and STS, registry tokens on /v2/, and access keys."""
