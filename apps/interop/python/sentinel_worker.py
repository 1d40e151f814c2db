"""A real Dramatiq worker on a Redis Sentinel set, for apps/interop/test/sentinel.test.ts.

Dramatiq's RedisBroker takes a ready client, so the primary comes from redis-py's Sentinel
(`master_for`), which asks the sentinels again after a connection error or a READONLY answer.
Usage: python sentinel_worker.py '{"sentinels": [{"host": ..., "port": ...}], "name": ..., "namespace": ..., "queue": ...}'
Prints "ready", then one JSON line {"ran": i} per message of the actor `sentinel_echo`.
"""
import json
import signal
import sys
import threading
import time

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from redis.sentinel import Sentinel

spec = json.loads(sys.argv[1])
sentinel = Sentinel([(s["host"], s["port"]) for s in spec["sentinels"]], socket_timeout=1)
client = sentinel.master_for(spec["name"], socket_timeout=5)
broker = RedisBroker(client=client, namespace=spec["namespace"])
dramatiq.set_broker(broker)


out = threading.Lock()  # worker threads must not interleave their lines


@dramatiq.actor(queue_name=spec["queue"], actor_name="sentinel_echo", max_retries=0)
def sentinel_echo(i):
    with out:
        sys.stdout.write(json.dumps({"ran": i}) + "\n")
        sys.stdout.flush()


worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
worker.start()
print("ready", flush=True)
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
while not stopping:
    time.sleep(0.1)
worker.stop()
