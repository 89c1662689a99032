# Generated from milestone-v1.schema.json by `python scripts/gen_schema_check.py`:
# do not edit by hand; run it again after changing the schema.
# ruff: noqa
# fmt: off
from __future__ import annotations

import re
from typing import Any

from gitmilestone.fastschema import Check, _equal_to_one_of, _is_integer, _is_number
from gitmilestone.fastschema import _MISSING as _M

_c3 = frozenset(('blockers', 'created_at', 'handoff_notes', 'milestone_id', 'next_session_should', 'owner', 'priority', 'progress', 'status', 'steps', 'title', 'updated_at'))
_c4 = re.compile('\\n').search
_c5 = re.compile('^[a-z0-9]+(-[a-z0-9]+)*$').search
_c6 = re.compile('[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]').search
_c7 = frozenset(('HIGH', 'LOW', 'MEDIUM'))
_c8 = re.compile('[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff\\ud800-\\udfff]').search
_c9 = frozenset(('abandoned', 'blocked', 'completed', 'in_progress', 'pending'))
_c10 = 0
_c11 = 100
_c12 = re.compile('^[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|[12][0-9]))[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$').search
_c13 = re.compile('^[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|[12][0-9])) (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] UTC$').search
_c14 = frozenset(('dependencies', 'related_files', 'success_criteria', 'why'))
_c15 = frozenset(('description', 'status', 'step'))
_c16 = 1
_c17 = frozenset(('blocked', 'completed', 'in_progress', 'pending', 'skipped'))
_c18 = frozenset(('completed_at', 'completed_by', 'description', 'notes', 'reopened_at', 'reopened_by', 'started_at', 'started_by', 'status', 'step'))
_c19 = frozenset(('$schema', 'blockers', 'claimed_at', 'completion_notes', 'context', 'created_at', 'depends_on', 'handoff_at', 'handoff_by', 'handoff_notes', 'handoff_step', 'milestone_id', 'next_session_should', 'owner', 'priority', 'progress', 'renewed_at', 'revision', 'status', 'steps', 'title', 'updated_at', 'updated_by'))


def _check(x: Any) -> bool:
    if not ((isinstance(x, dict)) and x.keys() >= _c3): return False
    v1 = x.get('$schema', _M)
    if v1 is not _M:
        if not ((isinstance(v1, str))): return False
    v2 = x['milestone_id']
    if not ((isinstance(v2, str)) and not (_c4(v2) is not None) and len(v2) <= 64 and _c5(v2) is not None): return False
    v3 = x['title']
    if not ((isinstance(v3, str)) and not (_c6(v3) is not None) and len(v3) >= 1 and len(v3) <= 200): return False
    v4 = x['priority']
    if not ((type(v4) is str and v4 in _c7)): return False
    v5 = x['owner']
    if not (((isinstance(v5, str)) and not (_c8(v5) is not None) and len(v5) >= 1 and len(v5) <= 200 or (v5 is None))): return False
    v6 = x['status']
    if not ((type(v6) is str and v6 in _c9)): return False
    v7 = x['progress']
    if not (((type(v7) is int or _is_integer(v7))) and v7 >= _c10 and v7 <= _c11): return False
    v8 = x.get('revision', _M)
    if v8 is not _M:
        if not (((type(v8) is int or _is_integer(v8)) or v8 is None) and (v8 is None or (v8 >= _c10))): return False
    v9 = x['created_at']
    if not ((isinstance(v9, str)) and (_c12(v9) is not None or _c13(v9) is not None)): return False
    v10 = x['updated_at']
    if not ((isinstance(v10, str)) and (_c12(v10) is not None or _c13(v10) is not None)): return False
    v11 = x.get('updated_by', _M)
    if v11 is not _M:
        if not (((isinstance(v11, str)) and not (_c8(v11) is not None) and len(v11) >= 1 and len(v11) <= 200 or (v11 is None))): return False
    v12 = x.get('claimed_at', _M)
    if v12 is not _M:
        if not (((isinstance(v12, str)) and (_c12(v12) is not None or _c13(v12) is not None) or (v12 is None))): return False
    v13 = x.get('renewed_at', _M)
    if v13 is not _M:
        if not (((isinstance(v13, str)) and (_c12(v13) is not None or _c13(v13) is not None) or (v13 is None))): return False
    v14 = x.get('context', _M)
    if v14 is not _M:
        if not ((isinstance(v14, dict) or v14 is None)): return False
        if isinstance(v14, dict):
            v15 = v14.get('why', _M)
            if v15 is not _M:
                if not ((isinstance(v15, str) or v15 is None)): return False
            v16 = v14.get('related_files', _M)
            if v16 is not _M:
                if not ((isinstance(v16, list) or v16 is None)): return False
                if isinstance(v16, list):
                    for v17 in v16:
                        if not ((isinstance(v17, str))): return False
            v18 = v14.get('dependencies', _M)
            if v18 is not _M:
                if not ((isinstance(v18, list) or v18 is None)): return False
                if isinstance(v18, list):
                    for v19 in v18:
                        if not ((isinstance(v19, str))): return False
            v20 = v14.get('success_criteria', _M)
            if v20 is not _M:
                if not ((isinstance(v20, str) or v20 is None)): return False
            if not _c14.issuperset(v14):
                for v21 in v14:
                    if v21 not in _c14 and not v21.startswith('x-'): return False
    v23 = x.get('depends_on', _M)
    if v23 is not _M:
        if not ((isinstance(v23, list) or v23 is None)): return False
        if isinstance(v23, list):
            for v24 in v23:
                if not ((isinstance(v24, str)) and not (_c4(v24) is not None) and len(v24) <= 64 and _c5(v24) is not None): return False
    v25 = x['steps']
    if not ((isinstance(v25, list))): return False
    for v26 in v25:
        if not ((isinstance(v26, dict)) and v26.keys() >= _c15): return False
        v27 = v26['step']
        if not (((type(v27) is int or _is_integer(v27))) and v27 >= _c16): return False
        v28 = v26['description']
        if not ((isinstance(v28, str)) and not (_c6(v28) is not None) and len(v28) >= 1): return False
        v29 = v26['status']
        if not ((type(v29) is str and v29 in _c17)): return False
        v30 = v26.get('started_by', _M)
        if v30 is not _M:
            if not (((isinstance(v30, str)) and not (_c8(v30) is not None) and len(v30) >= 1 and len(v30) <= 200 or (v30 is None))): return False
        v31 = v26.get('started_at', _M)
        if v31 is not _M:
            if not (((isinstance(v31, str)) and (_c12(v31) is not None or _c13(v31) is not None) or (v31 is None))): return False
        v32 = v26.get('completed_by', _M)
        if v32 is not _M:
            if not (((isinstance(v32, str)) and not (_c8(v32) is not None) and len(v32) >= 1 and len(v32) <= 200 or (v32 is None))): return False
        v33 = v26.get('completed_at', _M)
        if v33 is not _M:
            if not (((isinstance(v33, str)) and (_c12(v33) is not None or _c13(v33) is not None) or (v33 is None))): return False
        v34 = v26.get('reopened_by', _M)
        if v34 is not _M:
            if not (((isinstance(v34, str)) and not (_c8(v34) is not None) and len(v34) >= 1 and len(v34) <= 200 or (v34 is None))): return False
        v35 = v26.get('reopened_at', _M)
        if v35 is not _M:
            if not (((isinstance(v35, str)) and (_c12(v35) is not None or _c13(v35) is not None) or (v35 is None))): return False
        v36 = v26.get('notes', _M)
        if v36 is not _M:
            if not ((isinstance(v36, str) or v36 is None)): return False
        if not _c18.issuperset(v26):
            for v37 in v26:
                if v37 not in _c18 and not v37.startswith('x-'): return False
    v39 = x['next_session_should']
    if not ((isinstance(v39, list))): return False
    for v40 in v39:
        if not ((isinstance(v40, str)) and not (_c6(v40) is not None)): return False
    v41 = x['blockers']
    if not ((isinstance(v41, list))): return False
    for v42 in v41:
        if not ((isinstance(v42, str)) and not (_c6(v42) is not None)): return False
    v43 = x['handoff_notes']
    if not ((isinstance(v43, str))): return False
    v44 = x.get('handoff_by', _M)
    if v44 is not _M:
        if not (((isinstance(v44, str)) and not (_c8(v44) is not None) and len(v44) >= 1 and len(v44) <= 200 or (v44 is None))): return False
    v45 = x.get('handoff_at', _M)
    if v45 is not _M:
        if not (((isinstance(v45, str)) and (_c12(v45) is not None or _c13(v45) is not None) or (v45 is None))): return False
    v46 = x.get('handoff_step', _M)
    if v46 is not _M:
        if not ((((type(v46) is int or _is_integer(v46))) and v46 >= _c16 or (v46 is None))): return False
    v47 = x.get('completion_notes', _M)
    if v47 is not _M:
        if not ((isinstance(v47, str) or v47 is None)): return False
    if not _c19.issuperset(x):
        for v48 in x:
            if v48 not in _c19 and not v48.startswith('x-'): return False
    return True


check: Check = _check
