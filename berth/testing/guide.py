"""Documents from the ECR guide berth re-creates (shared/seed/ecr-guide.txt), as written,
for the tests and benchmarks that run them."""

# "Implementing Lifecycle Policies": the three-rule policy of put-lifecycle-policy.
LIFECYCLE_POLICY = """{
    "rules": [
      {
        "rulePriority": 1,
        "description": "Remove untagged images older than 7 days",
        "selection": {
          "tagStatus": "untagged",
          "countType": "sinceImagePushed",
          "countUnit": "days",
          "countNumber": 7
        },
        "action": {
          "type": "expire"
        }
      },
      {
        "rulePriority": 2,
        "description": "Keep only the last 30 tagged images",
        "selection": {
          "tagStatus": "tagged",
          "tagPrefixList": ["v"],
          "countType": "imageCountMoreThan",
          "countNumber": 30
        },
        "action": {
          "type": "expire"
        }
      },
      {
        "rulePriority": 3,
        "description": "Remove dev images older than 14 days",
        "selection": {
          "tagStatus": "tagged",
          "tagPrefixList": ["dev-", "feature-"],
          "countType": "sinceImagePushed",
          "countUnit": "days",
          "countNumber": 14
        },
        "action": {
          "type": "expire"
        }
      }
    ]
  }"""
