"""boto3 at its defaults against the local server, for test/clients/boto3.test.ts.

Usage: boto3_client.py ENDPOINT BUCKET STEP WORKDIR. The client gets only endpoint_url; credentials and
region come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION), as a
user runs it. Each step prints one JSON object of what it observed; the test asserts on it.
"""
import hashlib
import json
import os
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
import requests
from boto3.s3.transfer import TransferConfig

endpoint, bucket, step, workdir = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def http(method, url, data=None, headers=None):
    """(status, body) of a plain urllib request; HTTP errors are results, not exceptions."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def transfer():
    """upload_file/download_file through the transfer manager: 40 MiB, above the 8 MiB multipart threshold."""
    src = os.path.join(workdir, "big.bin")
    with open(src, "wb") as f:
        for _ in range(40):
            f.write(os.urandom(1 << 20))
    parts = []
    s3.meta.events.register("before-send.s3.UploadPart", lambda request, **kw: parts.append(request.url))
    config = TransferConfig()  # the defaults: 8 MiB threshold and parts, 10 threads
    s3.upload_file(src, bucket, "transfer/big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="transfer/big.bin")
    ranged = []
    s3.meta.events.register("before-send.s3.GetObject", lambda request, **kw: ranged.append(request.headers.get("Range")))
    dst = os.path.join(workdir, "big-copy.bin")
    s3.download_file(bucket, "transfer/big.bin", dst, Config=config)
    return {
        "threshold": config.multipart_threshold, "concurrency": config.max_concurrency,
        "size": head["ContentLength"], "etag": head["ETag"], "uploadParts": len(parts),
        "rangedGets": len([r for r in ranged if r]), "sent": sha256_file(src), "received": sha256_file(dst),
    }


def paginate():
    """list_objects_v2 over 1010 keys in pages of 100 (with and without a delimiter), list_object_versions in pages of 2."""
    keys = [f"page/k{i:04d}" for i in range(1000)] + [f"page/dir{d}/x" for d in range(10)]
    started = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))
    print(f"{len(keys)} puts: {time.monotonic() - started:.1f}s", file=sys.stderr)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="page/", PaginationConfig={"PageSize": 100})
    flat, flat_pages = [], 0
    for p in pages:
        flat_pages += 1
        flat += [o["Key"] for o in p.get("Contents", [])]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="page/", Delimiter="/", PaginationConfig={"PageSize": 100})
    shallow, prefixes, shallow_pages = [], [], 0
    for p in pages:
        shallow_pages += 1
        shallow += [o["Key"] for o in p.get("Contents", [])]
        prefixes += [c["Prefix"] for c in p.get("CommonPrefixes", [])]

    vbucket = bucket + "-versions"
    s3.create_bucket(Bucket=vbucket)
    s3.put_bucket_versioning(Bucket=vbucket, VersioningConfiguration={"Status": "Enabled"})
    written = []
    for key in ["a", "a", "a", "b", "b"]:
        written.append((key, s3.put_object(Bucket=vbucket, Key=key, Body=os.urandom(10))["VersionId"]))
    marker = s3.delete_object(Bucket=vbucket, Key="b")
    versions, markers, vpages = [], [], 0
    for p in s3.get_paginator("list_object_versions").paginate(Bucket=vbucket, PaginationConfig={"PageSize": 2}):
        vpages += 1
        versions += [[v["Key"], v["VersionId"], v["IsLatest"]] for v in p.get("Versions", [])]
        markers += [[m["Key"], m["VersionId"], m["IsLatest"]] for m in p.get("DeleteMarkers", [])]
    return {
        "keys": sorted(keys), "flat": flat, "flatPages": flat_pages,
        "shallow": shallow, "prefixes": prefixes, "shallowPages": shallow_pages,
        "written": written, "deleteMarker": [marker.get("DeleteMarker"), marker.get("VersionId")],
        "versions": versions, "markers": markers, "versionPages": vpages,
    }


def presign():
    """generate_presigned_url (GET, PUT) with urllib; generate_presigned_post with a real multipart/form-data POST."""
    body = os.urandom(100_000)
    # SigV2 signs the Content-Type, and urllib sends one with every body: presign the one it will send.
    params = {"Bucket": bucket, "Key": "presigned/up.bin", "ContentType": "application/octet-stream"}
    put_url = s3.generate_presigned_url("put_object", Params=params, ExpiresIn=600)
    put_status, put_error = http("PUT", put_url, data=body, headers={"Content-Type": "application/octet-stream"})
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "presigned/up.bin"}, ExpiresIn=600)
    get_status, got = http("GET", get_url)
    forged_status, _ = http("GET", get_url.replace("presigned/up.bin", "presigned/other.bin"))

    form_body = os.urandom(30_000)
    post = s3.generate_presigned_post(
        bucket, "posted/${filename}",
        Fields={"success_action_status": "201"},
        Conditions=[["starts-with", "$key", "posted/"], ["content-length-range", 1, 50_000], {"success_action_status": "201"}],
        ExpiresIn=600,
    )
    res = requests.post(post["url"], data=post["fields"], files={"file": ("form.bin", form_body)})
    posted = s3.get_object(Bucket=bucket, Key="posted/form.bin")["Body"].read()
    too_big = requests.post(post["url"], data=post["fields"], files={"file": ("huge.bin", os.urandom(60_000))})
    return {
        "putUrl": put_url, "putStatus": put_status, "putError": put_error.decode(), "getStatus": get_status, "forgedStatus": forged_status,
        "sent": hashlib.sha256(body).hexdigest(), "received": hashlib.sha256(got).hexdigest(),
        "postFields": sorted(post["fields"]), "postStatus": res.status_code, "postBody": res.text,
        "postSent": hashlib.sha256(form_body).hexdigest(), "postStored": hashlib.sha256(posted).hexdigest(),
        "tooBigStatus": too_big.status_code, "tooBigBody": too_big.text,
        "tooBigStored": "Contents" in s3.list_objects_v2(Bucket=bucket, Prefix="posted/huge.bin"),
    }


def delete_objects():
    """delete_objects of existing and missing keys, verbose and quiet."""
    for k in ["del/a", "del/b", "del/c", "del/keep"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    verbose = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "del/a"}, {"Key": "del/b"}, {"Key": "del/missing"}]})
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "del/c"}], "Quiet": True})
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="del/").get("Contents", [])]
    return {
        "deleted": sorted(d["Key"] for d in verbose.get("Deleted", [])), "errors": verbose.get("Errors", []),
        "quietDeleted": quiet.get("Deleted", []), "quietErrors": quiet.get("Errors", []), "left": left,
    }


def setup():
    s3.create_bucket(Bucket=bucket)
    return {"buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]], "boto3": boto3.__version__}


print(json.dumps({"setup": setup, "transfer": transfer, "paginate": paginate, "presign": presign, "delete": delete_objects}[step]()))
