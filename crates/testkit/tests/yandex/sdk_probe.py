"""Drives keyward's Yandex Cloud IAM face with the vendor's own generated stubs.

The stubs come from the `yandexcloud` package on PyPI (yandex.cloud.iam.v1.api_key_service_pb2_grpc,
yandex.cloud.operation.operation_service_pb2_grpc): if keyward's wire contract differs from the
vendor's in a package, message, field number or type URL, these calls fail or read wrong values.

Run by `sdk.rs` against a running keyward. Arguments: --endpoint HOST:PORT (gRPC and HTTP share
it), --service-account ID, --admin-principal ID. Credentials come from the environment, never the
command line: KEYWARD_ADMIN_TOKEN (a keyward:admin key) and KEYWARD_DATA_KEY (a key without a
management role). Prints `ok <check>` per check and `probe passed: N checks` at the end; exits
non-zero at the first failure.
"""

import argparse
import datetime
import json
import os
import re
import sys
import time
import urllib.request

import grpc
from google.protobuf import empty_pb2, field_mask_pb2, timestamp_pb2

import yandexcloud
from yandex.cloud.iam.v1 import api_key_pb2, api_key_service_pb2 as svc, api_key_service_pb2_grpc
from yandex.cloud.operation import operation_service_pb2, operation_service_pb2_grpc

PASSED = []


def check(name):
    def wrap(fn):
        def run(*args):
            fn(*args)
            PASSED.append(name)
            print(f"ok {name}", flush=True)

        return run

    return wrap


def ts(at):
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(at)
    return stamp


def expect_error(call, code, fragment=""):
    try:
        call()
    except grpc.RpcError as error:
        assert error.code() == code, (error.code(), error.details())
        assert fragment in (error.details() or ""), (fragment, error.details())
        return error
    raise AssertionError(f"expected {code}, the call succeeded")


class BearerInterceptor(grpc.UnaryUnaryClientInterceptor):
    """What an SDK user adds to `SDK.client(..., insecure=True)`, which sends no credential."""

    def __init__(self, token):
        self.token = token

    def intercept_unary_unary(self, continuation, details, request):
        metadata = list(details.metadata or []) + [("authorization", f"Bearer {self.token}")]
        details = details._replace(metadata=metadata)
        return continuation(details, request)


class Probe:
    def __init__(self, args):
        self.endpoint = args.endpoint
        self.sa = args.service_account
        self.admin_principal = args.admin_principal
        self.token = os.environ["KEYWARD_ADMIN_TOKEN"]
        self.data_key = os.environ["KEYWARD_DATA_KEY"]
        channel = grpc.insecure_channel(self.endpoint)
        self.keys = api_key_service_pb2_grpc.ApiKeyServiceStub(channel)
        self.ops = operation_service_pb2_grpc.OperationServiceStub(channel)
        self.auth = [("authorization", f"Bearer {self.token}")]

    def now(self):
        return datetime.datetime.now(datetime.timezone.utc)

    def create(self, **fields):
        fields.setdefault("service_account_id", self.sa)
        return self.keys.Create(svc.CreateApiKeyRequest(**fields), metadata=self.auth)

    def get(self, key_id):
        return self.keys.Get(svc.GetApiKeyRequest(api_key_id=key_id), metadata=self.auth)

    def update(self, key_id, paths, **fields):
        mask = field_mask_pb2.FieldMask(paths=paths)
        request = svc.UpdateApiKeyRequest(api_key_id=key_id, update_mask=mask, **fields)
        return self.keys.Update(request, metadata=self.auth)

    def verify(self, secret):
        body = json.dumps({"key": secret}).encode()
        request = urllib.request.Request(
            f"http://{self.endpoint}/v1/keys/verify",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)["code"]

    def pages(self, call, make_request):
        """Every item of every page, and the number of pages, following next_page_token."""
        items, token, pages = [], "", 0
        while True:
            page = call(make_request(token), metadata=self.auth)
            pages += 1
            items.append(page)
            token = page.next_page_token
            if not token:
                return items, pages

    @check("sdk_client")
    def sdk_client(self):
        sdk = yandexcloud.SDK(iam_token="unused: the interceptor sends keyward's key")
        client = sdk.client(
            api_key_service_pb2_grpc.ApiKeyServiceStub,
            endpoint=self.endpoint,
            insecure=True,
            interceptor=BearerInterceptor(self.token),
        )
        client.List(svc.ListApiKeysRequest(service_account_id=self.sa))

    @check("create_every_field")
    def create_every_field(self):
        expires = (self.now() + datetime.timedelta(days=30)).replace(microsecond=0)
        created = self.create(
            description="sdk probe", scopes=["yc.ydb.topics.manage", "probe.read"], expires_at=ts(expires)
        )
        key, secret = created.api_key, created.secret
        assert re.fullmatch(r"[0-9a-f-]{36}", key.id), key.id
        assert key.service_account_id == self.sa
        assert key.HasField("created_at")
        assert abs(key.created_at.ToDatetime(datetime.timezone.utc) - self.now()) < datetime.timedelta(minutes=5)
        assert key.description == "sdk probe"
        assert not key.HasField("last_used_at")
        assert key.scope == "yc.ydb.topics.manage", key.scope
        assert list(key.scopes) == ["yc.ydb.topics.manage", "probe.read"]
        assert key.expires_at.ToDatetime(datetime.timezone.utc) == expires
        assert key.masked_secret == "****" + secret[-4:], key.masked_secret
        assert secret.startswith("kw_")
        assert self.get(key.id) == key
        self.key, self.secret = key, secret

    @check("verify_and_last_used")
    def verify_and_last_used(self):
        assert self.verify(self.secret) == "VALID"
        for _ in range(400):
            key = self.get(self.key.id)
            if key.HasField("last_used_at"):
                return
            time.sleep(0.025)
        raise AssertionError("last_used_at never appeared")

    @check("list_pages")
    def list_pages(self):
        made = [self.key.id] + [self.create(description=f"page {i}").api_key.id for i in range(4)]
        pages, count = self.pages(
            self.keys.List,
            lambda token: svc.ListApiKeysRequest(service_account_id=self.sa, page_size=2, page_token=token),
        )
        assert count == 3, count
        assert [k.id for page in pages for k in page.api_keys] == made
        whole = self.keys.List(svc.ListApiKeysRequest(service_account_id=self.sa), metadata=self.auth)
        assert [k.id for k in whole.api_keys] == made and whole.next_page_token == ""
        own = self.keys.List(svc.ListApiKeysRequest(), metadata=self.auth)
        assert [k.service_account_id for k in own.api_keys] == [self.admin_principal]

    @check("update_masks")
    def update_masks(self):
        key_id = self.key.id
        op = self.update(key_id, ["description"], description="renamed", scopes=["ignored"])
        assert op.done and op.WhichOneof("result") == "response"
        assert op.description == "Update API key"
        assert op.created_by == self.admin_principal
        assert op.created_at == op.modified_at and op.HasField("created_at")
        assert op.metadata.type_url == "type.googleapis.com/yandex.cloud.iam.v1.UpdateApiKeyMetadata"
        metadata = svc.UpdateApiKeyMetadata()
        assert op.metadata.Unpack(metadata) and metadata.api_key_id == key_id
        assert op.response.type_url == "type.googleapis.com/yandex.cloud.iam.v1.ApiKey"
        key = api_key_pb2.ApiKey()
        assert op.response.Unpack(key)
        assert key.description == "renamed"
        assert list(key.scopes) == ["yc.ydb.topics.manage", "probe.read"]
        assert key.HasField("expires_at")
        self.update_op = op.id

        self.update(key_id, ["scopes"], scopes=["only.this"], description="ignored")
        key = self.get(key_id)
        assert list(key.scopes) == ["only.this"] and key.description == "renamed"

        self.update(key_id, ["expires_at"])
        key = self.get(key_id)
        assert not key.HasField("expires_at"), "named and unset: no expiry"

        later = (self.now() + datetime.timedelta(days=90)).replace(microsecond=0)
        request = svc.UpdateApiKeyRequest(api_key_id=key_id, expires_at=ts(later))
        self.keys.Update(request, metadata=self.auth)
        key = self.get(key_id)
        assert key.expires_at.ToDatetime(datetime.timezone.utc) == later, "no mask: the fields set"
        assert list(key.scopes) == ["only.this"]

        expect_error(lambda: self.update(key_id, ["name"]), grpc.StatusCode.INVALID_ARGUMENT, "update_mask")
        expect_error(lambda: self.update(key_id, ["scopes"]), grpc.StatusCode.INVALID_ARGUMENT, "scopes")

    @check("list_operations")
    def list_operations(self):
        pages, count = self.pages(
            self.keys.ListOperations,
            lambda token: svc.ListApiKeyOperationsRequest(api_key_id=self.key.id, page_size=1, page_token=token),
        )
        ops = [op for page in pages for op in page.operations]
        assert count == len(ops) == 5, (count, len(ops))
        assert [op.description for op in ops] == ["Update API key"] * 4 + ["Create API key"]
        assert ops[3].id == self.update_op, "newest first"
        assert all(op.done and op.created_by == self.admin_principal for op in ops)
        first = api_key_pb2.ApiKey()
        assert ops[4].response.Unpack(first) and first.description == "sdk probe"
        for op in ops:
            got = self.ops.Get(operation_service_pb2.GetOperationRequest(operation_id=op.id), metadata=self.auth)
            assert got == op
        expect_error(
            lambda: self.ops.Cancel(
                operation_service_pb2.CancelOperationRequest(operation_id=ops[0].id), metadata=self.auth
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
            "already done",
        )

    @check("list_scopes")
    def list_scopes(self):
        pages, count = self.pages(
            self.keys.ListScopes, lambda token: svc.ListApiKeyScopesRequest(page_size=1, page_token=token)
        )
        scopes = [s for page in pages for s in page.scopes]
        assert scopes == ["only.this"], scopes
        assert count == 1
        self.create(scopes=["b.scope", "a.scope"])
        pages, count = self.pages(
            self.keys.ListScopes, lambda token: svc.ListApiKeyScopesRequest(page_size=2, page_token=token)
        )
        assert [s for page in pages for s in page.scopes] == ["a.scope", "b.scope", "only.this"]
        assert count == 2

    @check("delete")
    def delete(self):
        doomed = self.create(description="doomed")
        key_id, secret = doomed.api_key.id, doomed.secret
        assert self.verify(secret) == "VALID"
        op = self.keys.Delete(svc.DeleteApiKeyRequest(api_key_id=key_id), metadata=self.auth)
        assert op.done and op.description == "Delete API key"
        assert op.metadata.type_url == "type.googleapis.com/yandex.cloud.iam.v1.DeleteApiKeyMetadata"
        metadata = svc.DeleteApiKeyMetadata()
        assert op.metadata.Unpack(metadata) and metadata.api_key_id == key_id
        assert op.response.type_url == "type.googleapis.com/google.protobuf.Empty"
        assert op.response.Unpack(empty_pb2.Empty())
        expect_error(lambda: self.get(key_id), grpc.StatusCode.NOT_FOUND, "API key not found")
        history = self.keys.ListOperations(svc.ListApiKeyOperationsRequest(api_key_id=key_id), metadata=self.auth)
        assert [o.id for o in history.operations][0] == op.id, "the history outlives the key"
        assert self.verify(secret) == "NOT_FOUND", "the deleted key's secret stops at once"
        assert self.verify(self.secret) == "VALID", "the other keys are untouched"

    @check("validation_errors")
    def validation_errors(self):
        invalid = grpc.StatusCode.INVALID_ARGUMENT
        past = self.now() - datetime.timedelta(minutes=5)
        cases = [
            (lambda: self.get(""), "api_key_id: is required"),
            (lambda: self.get("k" * 51), "api_key_id: must be at most 50 characters"),
            (lambda: self.create(service_account_id="s" * 51), "service_account_id: must be at most 50"),
            (lambda: self.create(description="d" * 257), "description: must be at most 256 characters"),
            (lambda: self.create(scopes=[f"s{i}" for i in range(101)]), "scopes: must have at most 100 items"),
            (lambda: self.create(scopes=["dup", "dup"]), "scopes: items must be unique"),
            (lambda: self.create(scopes=["x" * 257]), "scopes: items must be at most 256 characters"),
            (lambda: self.create(expires_at=timestamp_pb2.Timestamp(seconds=-1)), "expires_at: must be between"),
            (
                lambda: self.create(expires_at=timestamp_pb2.Timestamp(seconds=4291747200)),
                "expires_at: must be between",
            ),
            (lambda: self.create(expires_at=ts(past)), "expires_at: must be in the future"),
            (lambda: self.keys.List(svc.ListApiKeysRequest(page_size=1001), metadata=self.auth), "page_size"),
            (lambda: self.keys.List(svc.ListApiKeysRequest(page_size=-5), metadata=self.auth), "page_size"),
            (
                lambda: self.keys.List(svc.ListApiKeysRequest(page_token="t" * 2001), metadata=self.auth),
                "page_token: must be at most 2000 characters",
            ),
            (
                lambda: self.keys.List(svc.ListApiKeysRequest(page_token="forged"), metadata=self.auth),
                "page_token: is not a token returned by this list",
            ),
            (
                lambda: self.keys.ListOperations(
                    svc.ListApiKeyOperationsRequest(api_key_id=self.key.id, page_size=2000), metadata=self.auth
                ),
                "page_size",
            ),
            (
                lambda: self.keys.ListScopes(svc.ListApiKeyScopesRequest(page_token="@@"), metadata=self.auth),
                "page_token",
            ),
            (
                lambda: self.ops.Get(operation_service_pb2.GetOperationRequest(), metadata=self.auth),
                "operation_id: is required",
            ),
        ]
        for call, fragment in cases:
            expect_error(call, invalid, fragment)
        # Bytes that are not a GetApiKeyRequest (field 1 as a varint): the client's mistake.
        raw = grpc.insecure_channel(self.endpoint).unary_unary("/yandex.cloud.iam.v1.ApiKeyService/Get")
        expect_error(lambda: raw(b"\x08\x01", metadata=self.auth), invalid, "not valid protobuf")

    @check("auth_errors")
    def auth_errors(self):
        request = svc.GetApiKeyRequest(api_key_id=self.key.id)
        expect_error(lambda: self.keys.Get(request), grpc.StatusCode.UNAUTHENTICATED, "Bearer")
        bogus = [("authorization", "Bearer kw_nothing")]
        expect_error(lambda: self.keys.Get(request, metadata=bogus), grpc.StatusCode.UNAUTHENTICATED)
        data = [("authorization", f"Bearer {self.data_key}")]
        expect_error(lambda: self.keys.Get(request, metadata=data), grpc.StatusCode.PERMISSION_DENIED)

    @check("not_found")
    def not_found(self):
        expect_error(lambda: self.get("0190a8f2-0000-7000-8000-000000000000"), grpc.StatusCode.NOT_FOUND)
        expect_error(lambda: self.get("aje6o61dvog2h6g9a33s"), grpc.StatusCode.NOT_FOUND)
        expect_error(
            lambda: self.create(service_account_id="0190a8f2-0000-7000-8000-000000000000"),
            grpc.StatusCode.NOT_FOUND,
            "service account not found",
        )
        expect_error(
            lambda: self.ops.Get(operation_service_pb2.GetOperationRequest(operation_id="op1"), metadata=self.auth),
            grpc.StatusCode.NOT_FOUND,
        )

    def run(self):
        for step in (
            self.sdk_client,
            self.create_every_field,
            self.verify_and_last_used,
            self.list_pages,
            self.update_masks,
            self.list_operations,
            self.list_scopes,
            self.delete,
            self.validation_errors,
            self.auth_errors,
            self.not_found,
        ):
            step()
        print(f"probe passed: {len(PASSED)} checks", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--service-account", required=True)
    parser.add_argument("--admin-principal", required=True)
    Probe(parser.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
