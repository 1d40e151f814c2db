"""The Python half of the mixed-fleet test: an app for the real `dramatiq` CLI.

    FLEET_SPEC='{"broker": "redis", ...}' python -m dramatiq fleet_app --path apps/interop/python

FLEET_SPEC (JSON): "broker" ("redis" or "rabbitmq"), "url", "namespace" (Redis), "queue",
"actor", "out_dir", "sleep_ms". Every run, as it starts, appends {"lang": "python", "message_id", "args", "pid"} to
<out_dir>/python-<pid>.jsonl: one file per worker process, so no two processes write one file.
"""

import json
import os
import threading
import time

import dramatiq

spec = json.loads(os.environ["FLEET_SPEC"])

if spec["broker"] == "redis":
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=spec["url"], namespace=spec["namespace"])
else:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    broker = RabbitmqBroker(url=spec["url"])
broker.add_middleware(dramatiq.middleware.CurrentMessage())
dramatiq.set_broker(broker)

_lock = threading.Lock()
_files = {}


def _out():
    # Opened lazily: the CLI imports this module in the parent and forks the workers.
    pid = os.getpid()
    if pid not in _files:
        _files[pid] = open(os.path.join(spec["out_dir"], f"python-{pid}.jsonl"), "a", encoding="utf-8")
    return _files[pid]


@dramatiq.actor(actor_name=spec["actor"], queue_name=spec["queue"], max_retries=0)
def fleet_job(*args):
    message = dramatiq.middleware.CurrentMessage.get_current_message()
    # Recorded as the run starts, so a message that starts twice shows twice.
    with _lock:
        out = _out()
        out.write(json.dumps({"lang": "python", "message_id": message.message_id, "args": list(args), "pid": os.getpid()}) + "\n")
        out.flush()
    time.sleep(spec["sleep_ms"] / 1000)
