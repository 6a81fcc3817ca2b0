"""Storage backends for uploaded files: a local folder or an S3-compatible object store."""
