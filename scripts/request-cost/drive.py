#!/usr/bin/env python3
"""Sends N SigV4-signed requests of one operation to a server over one keep-alive connection."""
import http.client, json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

port, operation, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
creds = Credentials("test", "test")

def body(i):
    name = f"image-{i % 100:04d}"
    if operation == "CreateImage":
        return {"ImageName": name, "RoleArn": "arn:aws:iam::000000000000:role/r"}
    if operation == "UpdateImage":
        return {"ImageName": name, "Description": f"revision {i}"}
    return {"ImageName": name}

prepared = []
for i in range(count):
    data = json.dumps(body(i)).encode()
    request = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/", data=data,
                         headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"SageMaker.{operation}"})
    SigV4Auth(creds, "sagemaker", "us-east-1").add_auth(request)
    prepared.append((data, dict(request.headers.items())))
conn = http.client.HTTPConnection("127.0.0.1", port)
errors = 0
for data, headers in prepared:
    conn.request("POST", "/", body=data, headers=headers)
    response = conn.getresponse()
    text = response.read()
    if response.status != 200:
        errors += 1
        if errors < 3:
            print(response.status, text[:200], file=sys.stderr)
print(f"{operation}: {count} sent, {errors} errors")
