"""Schemathesis hooks for keyward's run (`tests/api/schemathesis.rs`).

`cursor` is opaque: only a value the server returned is a cursor, and the OpenAPI document cannot
say which strings those are, so every generated one is rightly refused (400 INVALID_QUERY). The
parameter is left out of generated requests; paging itself is tested in `tests/api/lists`.

`metadata` is any JSON object whose keys hold no control character and whose strings hold none but
tab, line feed and return, at any depth. The document says so in prose: a pattern can reach nested
keys and strings only through a recursive schema, which the generator does not follow. Generated
metadata has those characters removed, so it stays within what the document says.

`rate_limits` and `quotas` name each limit once per list; the document says so in prose (JSON
Schema's `uniqueItems` compares whole items, not one field). Generated lists keep the first limit
of each name.
"""

import re


import schemathesis


_KEY_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _clean(value):
    if isinstance(value, dict):
        return {_KEY_CONTROLS.sub("", k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return _TEXT_CONTROLS.sub("", value)
    return value


def _unique_names(items):
    seen, kept = set(), []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            kept.append(item)
            continue
        if name in seen:
            continue
        seen.add(name)
        kept.append(item)
    return kept


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.query:
        case.query.pop("cursor", None)
    if isinstance(case.body, dict):
        for field in ("rate_limits", "quotas"):
            if isinstance(case.body.get(field), list):
                case.body[field] = _unique_names(case.body[field])
    if isinstance(case.body, dict) and isinstance(case.body.get("metadata"), dict):
        case.body["metadata"] = _clean(case.body["metadata"])
