"""The options of django-storages' S3Storage, from the environment (PSP_STORAGE=s3).

Read by psp.settings only; every variable is in the README's table. Objects are private
(no ACL, signed URLs only), encrypted at rest by the store (server-side encryption on), and
never overwritten by a second file of the same name. Uploads go up in 5 MB parts one at a
time, so a 100 MB file adds well under 10 MB to a node's memory; a store that does not answer
within seconds fails the request instead of holding it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from psp.environment import env_bool, env_int, env_str

# S3's smallest part: the most of an upload a node holds in memory at once.
PART_BYTES = 5 * 1024 * 1024


def s3_storage_options() -> dict[str, Any]:
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    bucket = env_str("S3_BUCKET", "")
    if not bucket:
        raise ImproperlyConfigured("S3_BUCKET must be set when PSP_STORAGE=s3")
    encryption = env_str("S3_SERVER_SIDE_ENCRYPTION", "AES256")
    if encryption not in ("AES256", "aws:kms"):
        raise ImproperlyConfigured("S3_SERVER_SIDE_ENCRYPTION must be AES256 or aws:kms")
    object_parameters: dict[str, str] = {"ServerSideEncryption": encryption}
    if encryption == "aws:kms" and env_str("S3_KMS_KEY_ID", ""):
        object_parameters["SSEKMSKeyId"] = env_str("S3_KMS_KEY_ID", "")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": env_str("S3_PREFIX", ""),
        "region_name": env_str("S3_REGION", "") or None,
        "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
        # Empty: boto3's own chain (instance or pod role, AWS_* variables, ~/.aws).
        "access_key": env_str("S3_ACCESS_KEY_ID", "") or None,
        "secret_key": env_str("S3_SECRET_ACCESS_KEY", "") or None,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": env_int("PSP_SIGNED_URL_SECONDS", 60),
        "file_overwrite": False,
        # A file opened for reading spills to a temporary file past 5 MB, not all in memory
        # (downloads do not open files this way: psp.storage.open_stream streams them).
        "max_memory_size": PART_BYTES,
        "object_parameters": object_parameters,
        "transfer_config": TransferConfig(
            multipart_threshold=PART_BYTES,
            multipart_chunksize=PART_BYTES,
            max_concurrency=1,
            use_threads=False,
        ),
        # Given a client_config, django-storages takes addressing and signing from it.
        "client_config": Config(
            s3={"addressing_style": "path" if env_bool("S3_PATH_STYLE", default=False) else None},
            signature_version="s3v4",
            connect_timeout=env_int("S3_CONNECT_TIMEOUT", 3),
            read_timeout=env_int("S3_READ_TIMEOUT", 30),
            retries={"max_attempts": env_int("S3_MAX_ATTEMPTS", 2), "mode": "standard"},
        ),
    }
    return options
