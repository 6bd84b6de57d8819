"""Drives keyward's SpaceONE face, set to generation C (`spaceone.generation = "1.12"`), through
the stubs of the current `spaceone-api` 2.0.x package.

Every call carries `token` metadata, as spacectl and spaceone-core send it. Prints `ok <check>`
per check and never a secret; exits non-zero on the first failure. Run by `stubs_c.rs`.
"""

import argparse
import datetime
import os
import sys

import grpc
from google.protobuf import struct_pb2
from spaceone.api.core.v1 import query_pb2
from spaceone.api.identity.v1 import api_key_pb2, api_key_pb2_grpc

CHECKS = []
SERVICE = "/spaceone.api.identity.v1.APIKey/"


def check(name):
    def wrap(fn):
        CHECKS.append((name, fn))
        return fn

    return wrap


def value(v):
    out = struct_pb2.Value()
    if isinstance(v, list):
        out.list_value.extend(v)
    else:
        out.string_value = v
    return out


def filt(k, o, v):
    return query_pb2.Filter(k=k, o=o, v=value(v))


def iso(text):
    assert text.endswith("Z"), text
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Probe:
    def __init__(self, endpoint, domain, alice, bob, token):
        self.channel = grpc.insecure_channel(endpoint)
        self.stub = api_key_pb2_grpc.APIKeyStub(self.channel)
        self.domain = domain
        self.alice = alice
        self.bob = bob
        self.meta = (("token", token),)
        self.ids = {}

    def call(self, method, request, meta=None):
        return getattr(self.stub, method)(request, metadata=self.meta if meta is None else meta)

    def expect_error(self, call, code, fragment):
        try:
            call()
        except grpc.RpcError as error:
            assert error.code() == code, (error.code(), error.details())
            assert fragment in (error.details() or ""), error.details()
            return
        raise AssertionError("the call was not refused")

    def mine(self):
        return filt("user_id", "in", [self.alice, self.bob])

    def list(self, **query):
        filters = [self.mine()] + query.pop("filter", [])
        q = query_pb2.Query(filter=filters, **query)
        return self.call("list", api_key_pb2.APIKeyQuery(query=q, domain_id=self.domain))


@check("create")
def create(p):
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    for name, user in [("a1", p.alice), ("a2", p.alice), ("b1", p.bob), ("b2", p.bob)]:
        req = api_key_pb2.CreateAPIKeyRequest(user_id=user, domain_id=p.domain)
        info = p.call("create", req)
        assert info.api_key.startswith("kw_"), "the secret is returned once"
        assert info.state == api_key_pb2.APIKeyInfo.State.ENABLED
        assert info.user_id == user and info.domain_id == p.domain
        assert iso(info.created_at) > before, info.created_at
        assert info.last_accessed_at == ""
        p.ids[name] = info.api_key_id


@check("get_only")
def get_only(p):
    req = api_key_pb2.GetAPIKeyRequest(api_key_id=p.ids["a1"], domain_id=p.domain)
    info = p.call("get", req)
    assert info.api_key == "", "never shown again"
    assert info.user_id == p.alice and info.created_at
    req.only.extend(["api_key_id", "created_at"])
    info = p.call("get", req)
    assert info.api_key_id == p.ids["a1"] and info.created_at and info.user_id == ""


@check("enable_disable")
def enable_disable(p):
    req = api_key_pb2.APIKeyRequest(api_key_id=p.ids["b1"], domain_id=p.domain)
    assert p.call("disable", req).state == api_key_pb2.APIKeyInfo.State.DISABLED
    assert p.call("enable", req).state == api_key_pb2.APIKeyInfo.State.ENABLED
    assert p.call("disable", req).state == api_key_pb2.APIKeyInfo.State.DISABLED


@check("list_query")
def list_query(p):
    ids = lambda answer: {k.api_key_id for k in answer.results}
    everything = p.list()
    assert everything.total_count == 4, everything.total_count
    disabled = p.list(filter=[filt("state", "eq", "DISABLED")])
    assert ids(disabled) == {p.ids["b1"]}
    either = p.list(filter_or=[filt("api_key_id", "eq", p.ids["a1"]), filt("state", "eq", "DISABLED")])
    assert ids(either) == {p.ids["a1"], p.ids["b1"]}
    last = p.list(
        sort=query_pb2.Sort(keys=[query_pb2.SortKey(key="api_key_id", desc=True)]),
        page=query_pb2.Page(start=1, limit=1),
    )
    assert last.total_count == 4 and ids(last) == {max(p.ids.values())}, ids(last)
    counted = p.list(count_only=True)
    assert counted.total_count == 4 and len(counted.results) == 0
    minimal = p.list(minimal=True)
    assert all(k.user_id and not k.domain_id and not k.created_at for k in minimal.results)
    keyword = p.list(keyword=p.bob)
    assert ids(keyword) == {p.ids["b1"], p.ids["b2"]}
    by_fields = p.call(
        "list",
        api_key_pb2.APIKeyQuery(
            user_id=p.bob, state=api_key_pb2.APIKeyQuery.State.ENABLED, domain_id=p.domain
        ),
    )
    assert ids(by_fields) == {p.ids["b2"]}
    two_keys = query_pb2.Sort(keys=[query_pb2.SortKey(key="state"), query_pb2.SortKey(key="user_id")])
    p.expect_error(lambda: p.list(sort=two_keys), grpc.StatusCode.INVALID_ARGUMENT, "one key")
    unwind = query_pb2.Unwind(path="tags")
    p.expect_error(lambda: p.list(unwind=unwind), grpc.StatusCode.INVALID_ARGUMENT, "unwind")


@check("stat")
def stat(p):
    group = query_pb2.AggregateGroup(
        keys=[query_pb2.AggregateGroupKey(key="state", name="state")],
        fields=[query_pb2.AggregateGroupField(operator="count", name="count")],
    )
    q = query_pb2.StatisticsQuery(
        filter=[p.mine()],
        aggregate=[
            query_pb2.StatisticsAggregate(group=group),
            query_pb2.StatisticsAggregate(sort=query_pb2.AggregateSort(key="count", desc=True)),
        ],
    )
    answer = p.call("stat", api_key_pb2.APIKeyStatQuery(query=q, domain_id=p.domain))
    rows = [dict(r) for r in answer["results"]]
    assert rows == [{"state": "ENABLED", "count": 3.0}, {"state": "DISABLED", "count": 1.0}], rows
    q.aggregate.append(query_pb2.StatisticsAggregate(limit=1))
    answer = p.call("stat", api_key_pb2.APIKeyStatQuery(query=q, domain_id=p.domain))
    assert [dict(r) for r in answer["results"]] == [{"state": "ENABLED", "count": 3.0}]
    counted = query_pb2.StatisticsQuery(
        filter=[p.mine()],
        aggregate=[query_pb2.StatisticsAggregate(count=query_pb2.AggregateCount(name="n"))],
    )
    answer = p.call("stat", api_key_pb2.APIKeyStatQuery(query=counted, domain_id=p.domain))
    assert [dict(r) for r in answer["results"]] == [{"n": 4.0}]
    skip = query_pb2.StatisticsQuery(aggregate=[query_pb2.StatisticsAggregate(skip=1)])
    p.expect_error(
        lambda: p.call("stat", api_key_pb2.APIKeyStatQuery(query=skip, domain_id=p.domain)),
        grpc.StatusCode.INVALID_ARGUMENT, "ERROR_NOT_SUPPORTED_QUERY",
    )


@check("delete")
def delete(p):
    req = api_key_pb2.APIKeyRequest(api_key_id=p.ids["b2"], domain_id=p.domain)
    p.call("delete", req)
    p.expect_error(lambda: p.call("delete", req), grpc.StatusCode.NOT_FOUND, "ERROR_NOT_FOUND")


@check("update_role_unimplemented")
def update_role_unimplemented(p):
    # The 2.0.x stubs have no update_role: call the seed's method path with an empty message.
    for method in ["update_role", "update_allowed_hosts"]:
        raw = p.channel.unary_unary(
            SERVICE + method, request_serializer=lambda b: b, response_deserializer=lambda b: b
        )
        p.expect_error(lambda: raw(b"", metadata=p.meta), grpc.StatusCode.UNIMPLEMENTED, "")


@check("errors")
def errors(p):
    bad = query_pb2.Query(filter=[filt("password", "eq", "x")])
    p.expect_error(
        lambda: p.call("list", api_key_pb2.APIKeyQuery(query=bad, domain_id=p.domain)),
        grpc.StatusCode.INVALID_ARGUMENT, "ERROR_DB_QUERY",
    )
    only = api_key_pb2.GetAPIKeyRequest(
        api_key_id=p.ids["a1"], domain_id=p.domain, only=["allowed_hosts"]
    )
    p.expect_error(lambda: p.call("get", only), grpc.StatusCode.INVALID_ARGUMENT, "allowed_hosts")
    get = api_key_pb2.GetAPIKeyRequest(api_key_id=p.ids["a1"], domain_id=p.domain)
    p.expect_error(
        lambda: p.call("get", get, meta=()),
        grpc.StatusCode.UNAUTHENTICATED, "ERROR_AUTHENTICATE_FAILURE",
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--alice", required=True)
    parser.add_argument("--bob", required=True)
    args = parser.parse_args()
    probe = Probe(args.endpoint, args.domain, args.alice, args.bob, os.environ["KEYWARD_TOKEN"])
    for name, fn in CHECKS:
        fn(probe)
        print(f"ok {name}", flush=True)
    print(f"probe passed: {len(CHECKS)} checks")


if __name__ == "__main__":
    sys.exit(main())
