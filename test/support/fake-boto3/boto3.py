"""A stand-in for boto3 in test/plan-health-checks-handler.test.ts: every call is recorded, and
answered from the JSON state in $FAKE_BOTO3_STATE. (test/switch-actions-handler.test.ts runs its
handlers against moto instead: test/support/moto_switch_actions.py.)"""

import json
import os

STATE_FILE = os.environ["FAKE_BOTO3_STATE"]


def _load():
    with open(STATE_FILE) as f:
        return json.load(f)


def _save(state):
    with open(STATE_FILE, "w") as f:
        json.dump(state, f, default=str)


class _Client:
    def __init__(self, service):
        self.service = service

    def __getattr__(self, operation):
        def call(**kwargs):
            state = _load()
            state["calls"].append({"service": self.service, "operation": operation, "args": json.loads(json.dumps(kwargs, default=str))})
            try:
                return getattr(self, f"_{operation}")(state, **kwargs)
            finally:
                # A call that raises is recorded too.
                _save(state)

        return call

    # ARC Region switch: the plan's health checks in state["planHealthChecks"], state["pageSize"] to a page
    def _list_route53_health_checks(self, state, arn, hostedZoneId=None, recordName=None, nextToken=None):
        failing = state.get("failFirstCalls")
        if failing and len(state["calls"]) <= failing["count"]:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": failing["code"], "Message": "as told"}}, "ListRoute53HealthChecks")
        listed = state["planHealthChecks"].get(arn, [])
        start = int(nextToken or 0)
        size = state.get("pageSize", 100)
        page = {"healthChecks": listed[start : start + size]}
        if start + size < len(listed):
            page["nextToken"] = str(start + size)
        if state.get("appearAfterCalls") and len(state["calls"]) < state["appearAfterCalls"]:
            page = {"healthChecks": []}
        return page


def client(service, **kwargs):
    if service in _load().get("unknownServices", []):
        from botocore.exceptions import UnknownServiceError

        raise UnknownServiceError(f"Unknown service: '{service}'")
    return _Client(service)
