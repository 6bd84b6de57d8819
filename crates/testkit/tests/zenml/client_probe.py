"""ZenML's own client (zenml==0.98.0 from PyPI) against a keyward server.

Run by `client.rs`: python client_probe.py <server url> <admin API key>.
Each step prints one JSON line {"step": ..., ...} on stdout for the Rust test to assert on; an
unexpected exception ends the run with a traceback and a non-zero exit. Never prints a key.
"""

import json
import os
import sys
import tempfile
import time

# Keep the client's configuration and credential cache away from the user's, and quiet.
os.environ["ZENML_CONFIG_PATH"] = tempfile.mkdtemp(prefix="zenml-probe-")
os.environ["ZENML_ANALYTICS_OPT_IN"] = "false"
os.environ.setdefault("ZENML_LOGGING_VERBOSITY", "ERROR")

from zenml.exceptions import (  # noqa: E402
    AuthorizationException,
    CredentialsNotValid,
    EntityExistsError,
    IllegalOperationError,
)
from zenml.models import (  # noqa: E402
    APIKeyFilter,
    APIKeyRequest,
    APIKeyRotateRequest,
    APIKeyUpdate,
    ServiceAccountFilter,
    ServiceAccountRequest,
)
from zenml.zen_stores.rest_zen_store import (  # noqa: E402
    RestZenStore,
    RestZenStoreConfiguration,
)

URL, ADMIN_KEY = sys.argv[1], sys.argv[2]


def emit(step, **fields):
    print(json.dumps({"step": step, **fields}, default=str), flush=True)


def store(api_key):
    return RestZenStore(
        config=RestZenStoreConfiguration(url=URL, api_key=api_key),
        skip_default_registrations=True,
    )


def outcome(call):
    """The name of the exception `call` raises, or "ok"."""
    try:
        call()
        return "ok"
    except Exception as error:  # noqa: BLE001 - the name is what is asserted on
        return type(error).__name__


def can_log_in(api_key):
    # GET /api/v1/current-user: the client logs in with the key first.
    return outcome(lambda: store(api_key).get_user())


admin = store(ADMIN_KEY)
info = admin.get_store_info()
emit("info", version=info.version, auth_scheme=str(info.auth_scheme), pro=info.is_pro_server())

account = admin.create_service_account(
    ServiceAccountRequest(name="probe-sa", active=True, description="made by the probe")
)
emit("create_account", id=account.id, name=account.name, active=account.active)
found = admin.list_service_accounts(ServiceAccountFilter(name="equals:probe-sa"))
emit("list_accounts", total=found.total, names=[a.name for a in found.items])

key1 = admin.create_api_key(account.id, APIKeyRequest(name="key1", description="first key"))
key2 = admin.create_api_key(account.id, APIKeyRequest(name="key2", description="second key"))
emit(
    "create_keys",
    names=[key1.name, key2.name],
    keyward_format=[k.key.startswith("kw_") for k in (key1, key2)],
    described=key1.description,
    retain=key1.retain_period_minutes,
)
emit(
    "duplicate",
    error=outcome(lambda: admin.create_api_key(account.id, APIKeyRequest(name="key1"))),
)

# Lists with ZenML's filter models, as the client serialises them.
pages = [
    admin.list_api_keys(
        account.id,
        APIKeyFilter(name="startswith:key", sort_by="desc:created", size=1, page=page),
    )
    for page in (1, 2)
]
emit(
    "list_paged",
    totals=[p.total for p in pages],
    total_pages=[p.total_pages for p in pages],
    names=[[k.name for k in p.items] for p in pages],
)
listed = {
    "oneof": APIKeyFilter(name='oneof:["key1","nope"]'),
    "or": APIKeyFilter(name="contains:2", description="contains:first", logical_operator="or"),
    "created_and_active": APIKeyFilter(created="gte:2000-01-01 00:00:00", active=True),
    "sorted_by_name_desc": APIKeyFilter(sort_by="desc:name"),
}
for label, model in listed.items():
    page = admin.list_api_keys(account.id, model, hydrate=True)
    emit("list", label=label, names=[k.name for k in page.items], total=page.total)
# The client's own filter model refuses a bad sort before sending it; sent anyway (through the
# store's raw GET), keyward's 422 comes back as the same exception ZenML's server causes.
emit(
    "bad_sort",
    error=outcome(
        lambda: admin.get(
            f"/service_accounts/{account.id}/api_keys", params={"sort_by": "desc:nonexistent"}
        )
    ),
)

by_name = admin.get_api_key(account.id, "key1")
by_id = admin.get_api_key(account.id, key1.id, hydrate=False)
emit(
    "get",
    same=by_name.id == by_id.id == key1.id,
    description=by_name.description,
    key_hidden=by_name.key is None,
)

# The key logs in, then not once deactivated, then again once reactivated.
emit("login_key1", result=can_log_in(key1.key))
updated = admin.update_api_key(
    account.id, "key1", APIKeyUpdate(name="key1-renamed", description="updated", active=False)
)
emit("update", name=updated.name, description=updated.description, active=updated.active)
emit("login_inactive", result=can_log_in(key1.key))
admin.update_api_key(account.id, key1.id, APIKeyUpdate(active=True))
emit("login_reactivated", result=can_log_in(key1.key))
# keyward writes "last used" behind, in batches: give it a moment.
for _ in range(200):
    if admin.get_api_key(account.id, key1.id).last_login is not None:
        break
    time.sleep(0.05)
emit("last_login", present=admin.get_api_key(account.id, key1.id).last_login is not None)

# Rotation with a retain period keeps the old key working; without one it ends it.
rotated = admin.rotate_api_key(account.id, "key2", APIKeyRotateRequest(retain_period_minutes=5))
emit(
    "rotate_retain",
    new_key=rotated.key is not None and rotated.key != key2.key,
    old_login=can_log_in(key2.key),
    new_login=can_log_in(rotated.key),
    retain=admin.get_api_key(account.id, "key2").retain_period_minutes,
    rotated=admin.get_api_key(account.id, "key2").last_rotated is not None,
)
again = admin.rotate_api_key(account.id, key2.id, APIKeyRotateRequest())
emit(
    "rotate_no_retain",
    previous_login=can_log_in(rotated.key),
    oldest_login=can_log_in(key2.key),
    new_login=can_log_in(again.key),
    retain=admin.get_api_key(account.id, "key2").retain_period_minutes,
)

# A service account logged in with its own key (made here, so it holds keyward:self) manages
# its own keys, as a CI pipeline rotating its credential does, and nobody else's.
own = store(again.key)
other = admin.create_service_account(ServiceAccountRequest(name="other-sa", active=True))
theirs = admin.create_api_key(other.id, APIKeyRequest(name="theirs"))
made = own.create_api_key(account.id, APIKeyRequest(name="ci-key", description="by itself"))
emit(
    "self_create",
    name=made.name,
    listed=sorted(k.name for k in own.list_api_keys(account.id, APIKeyFilter()).items),
    login=can_log_in(made.key),
)
made_rotated = own.rotate_api_key(account.id, "ci-key", APIKeyRotateRequest())
emit(
    "self_rotate",
    old_login=can_log_in(made.key),
    new_login=can_log_in(made_rotated.key),
)
deactivated = own.update_api_key(account.id, "ci-key", APIKeyUpdate(active=False))
emit("self_deactivate", active=deactivated.active, login=can_log_in(made_rotated.key))
own.delete_api_key(account.id, "ci-key")
emit("self_delete", get=outcome(lambda: own.get_api_key(account.id, "ci-key")))
emit(
    "self_others",
    list=outcome(lambda: own.list_api_keys(other.id, APIKeyFilter())),
    get=outcome(lambda: own.get_api_key(other.id, theirs.id)),
    rotate=outcome(
        lambda: own.rotate_api_key(other.id, theirs.id, APIKeyRotateRequest())
    ),
    create=outcome(lambda: own.create_api_key(other.id, APIKeyRequest(name="planted"))),
    accounts=[a.name for a in own.list_service_accounts(ServiceAccountFilter()).items],
    theirs_login=can_log_in(theirs.key),
)

admin.delete_api_key(account.id, "key1-renamed")
emit("deleted", get=outcome(lambda: admin.get_api_key(account.id, "key1-renamed")))
remaining = admin.list_api_keys(account.id, APIKeyFilter())
emit("remaining", names=[k.name for k in remaining.items])

# Exception classes the client maps keyward's answers to.
emit(
    "exception_types",
    known=[
        cls.__name__
        for cls in (
            AuthorizationException,
            CredentialsNotValid,
            EntityExistsError,
            IllegalOperationError,
        )
    ],
)
emit("done")
