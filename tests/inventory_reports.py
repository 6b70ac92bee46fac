"""Writers of real-format inventory reports, for the tests: S3 Inventory (CSV.gz without a header,
ORC, Parquet, plus manifest.json in the documented layout) and GCS Storage Insights (CSV with a
header or Parquet shards, plus ``<config>_<snapshot>_manifest.json``)."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@dataclass
class Obj:
    key: str
    size: int
    modified: datetime
    encryption: str = "SSE-S3"
    public: bool = False  # the object ACL grants AllUsers READ
    latest: bool = True
    delete_marker: bool = False
    version_id: str = ""
    acl_unavailable: bool = False


def acl_value(obj: Obj) -> str:
    """``ObjectAccessControlList`` as S3 Inventory writes it: base64-encoded JSON."""
    if obj.acl_unavailable:
        doc: dict[str, Any] = {"version": "2022-11-10", "status": "UNAVAILABLE"}
    else:
        grants = [{"canonicalId": OWNER, "type": "CanonicalUser", "permission": "FULL_CONTROL"}]
        if obj.public:
            grants.append({"uri": ALL_USERS, "type": "Group", "permission": "READ"})
        doc = {"version": "2022-11-10", "status": "AVAILABLE", "grants": grants}
    return base64.b64encode(json.dumps(doc).encode()).decode()


S3_FIELDS = ["Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker", "Size", "LastModifiedDate", "ETag",
             "StorageClass", "EncryptionStatus", "ObjectAccessControlList", "ObjectOwner"]
SNAKE = {"Bucket": "bucket", "Key": "key", "VersionId": "version_id", "IsLatest": "is_latest",
         "IsDeleteMarker": "is_delete_marker", "Size": "size", "LastModifiedDate": "last_modified_date",
         "ETag": "e_tag", "StorageClass": "storage_class", "EncryptionStatus": "encryption_status",
         "ObjectAccessControlList": "object_access_control_list", "ObjectOwner": "object_owner"}


def _fields(versions: bool, acl: bool, encryption: bool) -> list[str]:
    out = [f for f in S3_FIELDS if versions or f not in ("VersionId", "IsLatest", "IsDeleteMarker")]
    if not acl:
        out = [f for f in out if f not in ("ObjectAccessControlList", "ObjectOwner")]
    if not encryption:
        out = [f for f in out if f != "EncryptionStatus"]
    return out


def _row(bucket: str, o: Obj) -> dict[str, Any]:
    return {"Bucket": bucket, "Key": o.key, "VersionId": o.version_id, "IsLatest": o.latest,
            "IsDeleteMarker": o.delete_marker, "Size": None if o.delete_marker else o.size,
            "LastModifiedDate": o.modified, "ETag": "" if o.delete_marker else "d41d8cd98f00b204e9800998ecf8427e",
            "StorageClass": "STANDARD", "EncryptionStatus": o.encryption, "ObjectAccessControlList": acl_value(o),
            "ObjectOwner": OWNER}


def s3_file(bucket: str, objs: list[Obj], fmt: str, fields: list[str]) -> bytes:
    """One S3 Inventory data file of ``objs`` in ``fmt`` (CSV is gzip'd, keys URL-encoded)."""
    rows = [_row(bucket, o) for o in objs]
    if fmt == "CSV":
        text = io.StringIO()
        w = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for r in rows:
            out = []
            for f in fields:
                v = r[f]
                if f == "Key":
                    v = quote_plus(v, safe="/")
                elif f == "LastModifiedDate":
                    v = v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
                elif isinstance(v, bool):
                    v = "true" if v else "false"
                out.append("" if v is None else v)
            w.writerow(out)
        return gzip.compress(text.getvalue().encode())
    import pyarrow as pa

    types = {"IsLatest": pa.bool_(), "IsDeleteMarker": pa.bool_(), "Size": pa.int64(),
             "LastModifiedDate": pa.timestamp("ms", tz="UTC") if fmt == "Parquet" else pa.timestamp("ms")}
    cols = {SNAKE[f]: pa.array([(r[f].replace(tzinfo=None) if f == "LastModifiedDate" and fmt == "ORC" else r[f])
                                 for r in rows], type=types.get(f, pa.string())) for f in fields}
    table = pa.table(cols)
    sink = io.BytesIO()
    if fmt == "Parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, sink, row_group_size=1000)
    else:
        from pyarrow import orc

        orc.write_table(table, sink)
    return sink.getvalue()


def put_s3_report(admin: Any, dest: str, prefix: str, source: str, config_id: str, date: datetime,
                  objs: list[Obj], fmt: str = "CSV", files: int = 2, versions: bool = False, acl: bool = True,
                  encryption: bool = True) -> str:
    """Write a report of ``source`` into ``dest`` as S3 Inventory does; returns the manifest's key."""
    base = f"{prefix.strip('/')}/{source}/{config_id}/" if prefix.strip("/") else f"{source}/{config_id}/"
    fields = _fields(versions, acl, encryption)
    ext = {"CSV": "csv.gz", "ORC": "orc", "Parquet": "parquet"}[fmt]
    keys = []
    per = max(1, -(-len(objs) // files))
    for i in range(files):
        part = objs[i * per:(i + 1) * per]
        key = f"{base}data/{uuid.uuid4()}.{ext}"
        admin.put_object(Bucket=dest, Key=key, Body=s3_file(source, part, fmt, fields))
        keys.append({"key": key, "size": 1, "MD5checksum": "0" * 32})
    if fmt == "CSV":
        schema = ", ".join(fields)
    else:
        schema = "struct<" + ",".join(f"{SNAKE[f]}:string" for f in fields) + ">"
    manifest = {"sourceBucket": source, "destinationBucket": f"arn:aws:s3:::{dest}", "version": "2016-11-30",
                "creationTimestamp": str(int(date.timestamp() * 1000)), "fileFormat": fmt, "fileSchema": schema,
                "files": keys}
    key = f"{base}{date.strftime('%Y-%m-%dT%H-%MZ')}/manifest.json"
    admin.put_object(Bucket=dest, Key=key, Body=json.dumps(manifest).encode())
    return key


def put_gcs_report(admin: Any, dest: str, path: str, config: str, snapshot: datetime, source: str,
                   objs: list[Obj], fmt: str = "CSV", shards: int = 2) -> str:
    """Write a Storage Insights report of ``source`` under ``gs://dest/path``; returns the manifest's name."""
    stamp = snapshot.strftime("%Y-%m-%dT%H:%M")
    folder = f"{path.strip('/')}/" if path.strip("/") else ""
    bucket = admin.bucket(dest)
    fields = ["project", "bucket", "name", "location", "size", "timeCreated", "timeDeleted", "updated",
              "storageClass", "etag"]
    names = []
    per = max(1, -(-len(objs) // shards))
    for i in range(shards):
        part = objs[i * per:(i + 1) * per]
        rows = [{"project": "123456", "bucket": source, "name": o.key, "location": "US", "size": o.size,
                 "timeCreated": o.modified, "timeDeleted": None if o.latest else o.modified,
                 "updated": o.modified, "storageClass": "STANDARD", "etag": "CJ"} for o in part]
        name = f"{config}_{stamp}_{i}.{'csv' if fmt == 'CSV' else 'parquet'}"
        if fmt == "CSV":
            text = io.StringIO()
            w = csv.writer(text, lineterminator="\n")
            w.writerow(fields)
            for r in rows:
                w.writerow(["" if r[f] is None else (r[f].strftime("%Y-%m-%dT%H:%M:%S.%fZ") if isinstance(r[f], datetime)
                                                     else r[f]) for f in fields])
            data = text.getvalue().encode()
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            ts = pa.timestamp("us", tz="UTC")
            types = {"size": pa.int64(), "timeCreated": ts, "timeDeleted": ts, "updated": ts}
            table = pa.table({f: pa.array([r[f] for r in rows], type=types.get(f, pa.string())) for f in fields})
            sink = io.BytesIO()
            pq.write_table(table, sink)
            data = sink.getvalue()
        bucket.blob(folder + name).upload_from_string(data)
        names.append(name)
    manifest = {"report_config": {"display_name": config}, "records_processed": len(objs),
                "snapshot_time": snapshot.strftime("%Y-%m-%dT%H:%M:%SZ"), "shard_count": shards,
                "report_shards_file_names": names}
    name = f"{folder}{config}_{stamp}_manifest.json"
    bucket.blob(name).upload_from_string(json.dumps(manifest).encode())
    return name
