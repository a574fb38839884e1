"""An S3-compatible server on 127.0.0.1 (moto's), made the default storage as R2 is in
production: for tests that must see what object storage really does."""

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Bucket:
    client: Any  # a boto3 S3 client, straight to the server
    name: str

    def keys(self) -> list[str]:
        return [item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", [])]

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def versions(self, key: str) -> int:
        """How many writes landed at `key` (the bucket is versioned)."""
        listed = self.client.list_object_versions(Bucket=self.name, Prefix=key)
        return sum(1 for version in listed.get("Versions", []) if version["Key"] == key)


@contextmanager
def s3_compatible_storage(settings: Any, bucket_name: str = "filot-scan-test") -> Iterator[Bucket]:
    """The default storage on a fresh versioned bucket of a local moto server."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto keeps its buckets per process, across servers: each use starts from none.
    urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"))
    options = {
        "endpoint_url": f"http://{host}:{port}",
        "access_key": "test-access-key",
        "secret_key": "test-secret-key",
        "bucket_name": bucket_name,
        "region_name": "us-east-1",
        "signature_version": "s3v4",
        "default_acl": "private",
        "file_overwrite": False,
    }
    client = boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"],
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket_name)
    client.put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration={"Status": "Enabled"})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    try:
        yield Bucket(client=client, name=bucket_name)
    finally:
        server.stop()
