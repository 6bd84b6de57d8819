"""Drives keyward's SpaceONE face through the vendor's own generated stubs.

The stubs come from the `spaceone-api==1.5.1` package (the seed's generation), imported with
PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python. Every call carries `token` metadata, as
spacectl and spaceone-core send it. Prints `ok <check>` per check and never a secret; exits
non-zero on the first failure. Run by `stubs.rs`.
"""

import argparse
import os
import sys

import grpc
from google.protobuf import struct_pb2
from spaceone.api.core.v1 import query_pb2
from spaceone.api.identity.v1 import api_key_pb2, api_key_pb2_grpc

CHECKS = []


def check(name):
    def wrap(fn):
        CHECKS.append((name, fn))
        return fn

    return wrap


def value(v):
    out = struct_pb2.Value()
    if isinstance(v, list):
        out.list_value.extend(v)
    elif isinstance(v, bool):
        out.bool_value = v
    else:
        out.string_value = v
    return out


def filt(k, o, v):
    return query_pb2.Filter(k=k, o=o, v=value(v))


class Probe:
    def __init__(self, endpoint, domain, alice, bob, token):
        self.stub = api_key_pb2_grpc.APIKeyStub(grpc.insecure_channel(endpoint))
        self.domain = domain
        self.alice = alice
        self.bob = bob
        self.meta = (("token", token),)
        self.ids = {}

    def call(self, method, request, meta=None):
        return getattr(self.stub, method)(request, metadata=self.meta if meta is None else meta)

    def expect_error(self, method, request, code, fragment, meta=None):
        try:
            self.call(method, request, meta)
        except grpc.RpcError as error:
            assert error.code() == code, (error.code(), error.details())
            assert fragment in error.details(), error.details()
            return
        raise AssertionError(f"{method} was not refused")

    def mine(self):
        return filt("user_id", "in", [self.alice, self.bob])

    def list(self, **query):
        filters = [self.mine()] + query.pop("filter", [])
        q = query_pb2.Query(filter=filters, **query)
        return self.call("list", api_key_pb2.APIKeyQuery(query=q, domain_id=self.domain))


@check("create")
def create(p):
    Type = api_key_pb2.CreateAPIKeyRequest.APIKeyType
    for name, user, kind in [
        ("a_user", p.alice, Type.USER),
        ("a_system", p.alice, Type.SYSTEM),
        ("b_delegation", p.bob, Type.DELEGATION),
        ("b_domain", p.bob, Type.DOMAIN),
    ]:
        req = api_key_pb2.CreateAPIKeyRequest(api_key_type=kind, user_id=user, domain_id=p.domain)
        info = p.call("create", req)
        assert info.api_key.startswith("kw_"), "the secret is returned once"
        assert info.state == api_key_pb2.APIKeyInfo.State.ENABLED
        assert info.user_id == user and info.domain_id == p.domain
        assert info.created_at.seconds > 0
        p.ids[name] = info.api_key_id


@check("get_only")
def get_only(p):
    req = api_key_pb2.GetAPIKeyRequest(api_key_id=p.ids["a_user"], domain_id=p.domain)
    info = p.call("get", req)
    assert info.api_key == "", "never shown again"
    assert info.user_id == p.alice
    req.only.extend(["api_key_id"])
    info = p.call("get", req)
    assert info.api_key_id == p.ids["a_user"] and info.user_id == "" and info.domain_id == ""


@check("enable_disable")
def enable_disable(p):
    req = api_key_pb2.APIKeyRequest(api_key_id=p.ids["b_delegation"], domain_id=p.domain)
    assert p.call("disable", req).state == api_key_pb2.APIKeyInfo.State.DISABLED
    assert p.call("enable", req).state == api_key_pb2.APIKeyInfo.State.ENABLED
    assert p.call("disable", req).state == api_key_pb2.APIKeyInfo.State.DISABLED


@check("update_role")
def update_role(p):
    roles = struct_pb2.ListValue()
    roles.extend(["reader", "deployer"])
    req = api_key_pb2.UpdateAPIKeyRoleRequest(
        api_key_id=p.ids["a_user"], roles=roles, domain_id=p.domain
    )
    assert p.call("update_role", req).api_key_id == p.ids["a_user"]


@check("update_allowed_hosts")
def update_allowed_hosts(p):
    req = api_key_pb2.UpdateAPIKeyHostsRequest(
        api_key_id=p.ids["a_user"],
        allowed_hosts=[api_key_pb2.Acls(name="office", cidr="10.1.0.0/16")],
        domain_id=p.domain,
    )
    info = p.call("update_allowed_hosts", req)
    assert [(a.name, a.cidr) for a in info.allowed_hosts] == [("office", "10.1.0.0/16")]


@check("list_query")
def list_query(p):
    ids = lambda answer: {k.api_key_id for k in answer.results}
    everything = p.list()
    assert everything.total_count == 4, everything.total_count
    disabled = p.list(filter=[filt("state", "eq", "DISABLED")])
    assert ids(disabled) == {p.ids["b_delegation"]}
    either = p.list(
        filter_or=[filt("api_key_type", "eq", "SYSTEM"), filt("api_key_type", "eq", "DOMAIN")]
    )
    assert ids(either) == {p.ids["a_system"], p.ids["b_domain"]}
    typed = p.list(filter=[filt("api_key_type", "in", ["USER", "DELEGATION"])])
    assert ids(typed) == {p.ids["a_user"], p.ids["b_delegation"]}
    paged = p.list(
        sort=query_pb2.Sort(key="created_at", desc=True), page=query_pb2.Page(start=2, limit=2)
    )
    assert paged.total_count == 4 and len(paged.results) == 2
    counted = p.list(count_only=True)
    assert counted.total_count == 4 and len(counted.results) == 0
    minimal = p.list(minimal=True)
    assert all(k.user_id and not k.domain_id for k in minimal.results)
    keyword = p.list(keyword=p.bob)
    assert ids(keyword) == {p.ids["b_delegation"], p.ids["b_domain"]}
    by_fields = p.call(
        "list",
        api_key_pb2.APIKeyQuery(
            user_id=p.alice, api_key_type=api_key_pb2.APIKeyQuery.APIKeyType.SYSTEM,
            domain_id=p.domain,
        ),
    )
    assert ids(by_fields) == {p.ids["a_system"]}


@check("stat")
def stat(p):
    group = query_pb2.AggregateGroup(
        keys=[query_pb2.AggregateGroupKey(key="state", name="state")],
        fields=[query_pb2.AggregateGroupField(operator="count", name="count")],
    )
    q = query_pb2.StatisticsQuery(
        filter=[p.mine()],
        aggregate=query_pb2.StatisticsAggregate(group=group),
        sort=query_pb2.StatisticsSort(name="count", desc=True),
    )
    answer = p.call("stat", api_key_pb2.APIKeyStatQuery(query=q, domain_id=p.domain))
    rows = [dict(r) for r in answer["results"]]
    assert rows == [{"state": "ENABLED", "count": 3.0}, {"state": "DISABLED", "count": 1.0}], rows


@check("delete")
def delete(p):
    req = api_key_pb2.APIKeyRequest(api_key_id=p.ids["b_domain"], domain_id=p.domain)
    p.call("delete", req)
    p.expect_error("delete", req, grpc.StatusCode.NOT_FOUND, "ERROR_NOT_FOUND")


@check("errors")
def errors(p):
    bad = query_pb2.Query(filter=[filt("password", "eq", "x")])
    p.expect_error(
        "list", api_key_pb2.APIKeyQuery(query=bad, domain_id=p.domain),
        grpc.StatusCode.INVALID_ARGUMENT, "ERROR_DB_QUERY",
    )
    regex = query_pb2.Query(filter=[filt("state", "regex", "(a+)+$")])
    p.expect_error(
        "list", api_key_pb2.APIKeyQuery(query=regex, domain_id=p.domain),
        grpc.StatusCode.INVALID_ARGUMENT, "ERROR_NOT_SUPPORTED_QUERY",
    )
    get = api_key_pb2.GetAPIKeyRequest(api_key_id=p.ids["a_user"], domain_id=p.domain)
    p.expect_error("get", get, grpc.StatusCode.UNAUTHENTICATED, "ERROR_AUTHENTICATE_FAILURE", meta=())


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
