"""Runs one handler of lib/lambda/switch_actions.py and prints its result (or its error) as JSON."""

import json
import sys

import switch_actions

try:
    print(json.dumps({"result": getattr(switch_actions, sys.argv[1])({}, None)}))
except switch_actions.NotReady as error:
    print(json.dumps({"notReady": str(error)}))
