"""The Python end of the @q interop tests: real Dramatiq brokers and workers, driven by a spec.

Usage (the interop tests run it with the .venv-interop/ python):

    python q_interop.py produce SPEC   sends messages; prints one JSON line per message sent
    python q_interop.py produce_many SPEC
                                       sends "count" messages to one actor; one line each
    python q_interop.py worker SPEC    runs a dramatiq.Worker until SIGTERM; records every run
    python q_interop.py dead SPEC      prints the dead letters of queues, one JSON line each

SPEC is JSON text read with json.loads, so it carries Python's values exactly: 1.0 is a float,
-0.0 keeps its sign, NaN and Infinity are floats, big integers stay exact. Common keys:
"broker" ("redis" or "rabbitmq"), "url", and for Redis "namespace".

produce: "messages": [{"actor", "queue", "args": [...], "kwargs": {...}, "options": {...},
"delay": ms, "pipe_to": {"actor", "args"}}]; each is built with the real
Actor.message_with_options and enqueued by the broker (or run as a two-step dramatiq.pipeline
with pipe_to), and the printed line is
{"message_id", "queue_name", "actor_name", "bytes"}, bytes being what went on the wire.

produce_group: "members" and "callbacks" ([{"actor", "queue", "args"}]), "group_callbacks"
({"backend", "url"/"servers"}), "delay": runs a real dramatiq.group with those completion
callbacks (GroupCallbacks on that rate-limiter backend); prints {"member_ids", "callback_ids"}.

produce_many: "actor", "queue", "count", "tag": message i gets args [tag, i]; prints
{"message_id"} per message, in the order sent.

worker: "out" (a file), "actors": [{"name", "queue", "fail": n (the first n runs raise; -1
always), "sleep_ms", "returns": a value (or "returns_sum": true, the sum of its args), "options": actor options such as max_retries}], "threads",
"prefetch", "worker_timeout" (ms). Each run appends a JSON line to "out": what the actor received, with the
repr() of its arguments so the tests can tell 1 from 1.0. "ready" goes to stdout once consuming.

prometheus: like worker, with Dramatiq's Prometheus middleware added and its exposition server
(its own _run_exposition_server) started in a thread; "prom_db" (a fresh directory), "prom_port".
The environment variables the middleware reads at import are set from the spec first.

limiter: "backend" ("redis" with "url", or "memcached" with "servers"), "key", "limit", "ttl",
"threads", "attempts", "hold_ms", "start_at" (epoch ms), "out": each thread waits for start_at,
then tries `attempts` times to take a slot of one dramatiq ConcurrentRateLimiter with
acquire(raise_on_failure=False); inside a slot it appends {"lang": "python", "kind":
"enter"/"exit", "at"} lines (enter after taking the slot, exit before giving it back), and waits
"gap_ms" (default 5) between attempts.

results: "backend" ("redis" with "url", or "memcached" with "servers"), "namespace",
"prefix_keys" (use_namespace_prefix_keys), "ttl"; "store": [{"message": {"queue_name",
"actor_name", "message_id"}, "value": v} or {..., "exception": {"type", "msg"}}] stored with the
real backend's store_result/store_exception, then "read": [{"message": {...}, "block", "timeout"}]
read with get_result; prints one line per read: {"message_id", "result"} or {"message_id",
"failure": {"type", "msg", "text"}} or {"message_id", "missing": true} or {"message_id",
"timeout": true}.

worker also takes "results" ({"backend", "url"/"servers", "namespace", "prefix_keys"}: adds the
Results middleware) and "group_callbacks" ({"backend", "url"/"servers"}: adds GroupCallbacks on
that rate-limiter backend).

dead: "queues": [...]; prints {"queue", "bytes"} per dead-lettered message, from where Dramatiq
puts them (Redis: the <queue>.XQ sorted set and its .msgs hash; RabbitMQ: the <queue>.XQ queue).
"""

import json
import signal
import sys
import threading
import time

import dramatiq
from dramatiq.common import xq_name
from dramatiq.middleware import CurrentMessage


def make_broker(spec):
    kind = spec["broker"]
    if kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=spec["url"], namespace=spec["namespace"], **spec.get("broker_options", {}))
    elif kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=spec["url"], **spec.get("broker_options", {}))
    else:
        raise SystemExit(f"unknown broker {kind!r}")
    broker.add_middleware(CurrentMessage())
    dramatiq.set_broker(broker)
    return broker


def emit(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def produce(spec):
    broker = make_broker(spec)
    actors = {}
    for m in spec["messages"]:
        key = (m["actor"], m["queue"])
        if key not in actors:
            # Only the producer's declaration: the body never runs here.
            actors[key] = dramatiq.actor(lambda *a, **k: None, actor_name=m["actor"], queue_name=m["queue"], broker=broker)
        first = actors[key].message_with_options(args=tuple(m.get("args", [])), kwargs=m.get("kwargs", {}), **m.get("options", {}))
        if "pipe_to" in m:
            # pipeline() puts the next step in the first message's pipe_target option.
            nxt = m["pipe_to"]
            step = dramatiq.Message(queue_name=m["queue"], actor_name=nxt["actor"], args=tuple(nxt.get("args", [])), kwargs={}, options={})
            message = dramatiq.pipeline([first, step], broker=broker).run(delay=m.get("delay")).messages[0]
        else:
            message = broker.enqueue(first, delay=m.get("delay"))
        emit(
            {
                "message_id": message.message_id,
                "queue_name": message.queue_name,
                "actor_name": message.actor_name,
                "bytes": message.encode().decode("ascii"),
            }
        )
    broker.close()


def produce_group(spec):
    from dramatiq.middleware import GroupCallbacks

    broker = make_broker(spec)
    broker.add_middleware(GroupCallbacks(limiter_backend(spec["group_callbacks"])))

    def build(m):
        return dramatiq.Message(queue_name=m["queue"], actor_name=m["actor"], args=tuple(m.get("args", [])), kwargs={}, options={})

    g = dramatiq.group([build(m) for m in spec["members"]], broker=broker)
    for c in spec.get("callbacks", []):
        g.add_completion_callback(build(c))
    g.run(delay=spec.get("delay"))
    # run() enqueues copies of the members with the barrier's options; the ids stay.
    emit({"member_ids": [m.message_id for m in g.children], "callback_ids": [c["message_id"] for c in g.completion_callbacks]})
    broker.close()


def produce_many(spec):
    broker = make_broker(spec)
    job = dramatiq.actor(lambda *a: None, actor_name=spec["actor"], queue_name=spec["queue"], broker=broker)
    for i in range(spec["count"]):
        emit({"message_id": job.send(spec["tag"], i).message_id})
    broker.close()


def worker(spec, broker=None):
    broker = broker or make_broker(spec)
    lock = threading.Lock()
    out = open(spec["out"], "a", encoding="utf-8")
    runs = {}

    def declare(a):
        name, fail, pause = a["name"], a.get("fail", 0), a.get("sleep_ms", 0) / 1000

        def run(*args, **kwargs):
            message = CurrentMessage.get_current_message()
            with lock:
                runs[message.message_id] = attempt = runs.get(message.message_id, 0) + 1
                out.write(
                    json.dumps(
                        {
                            "actor_name": name,
                            "queue_name": message.queue_name,
                            "message_id": message.message_id,
                            "message_timestamp": message.message_timestamp,
                            "args": list(args),
                            "kwargs": kwargs,
                            "options": message.options,
                            "args_repr": repr(list(args)),
                            "kwargs_repr": repr(kwargs),
                            "bytes": message.encode().decode("ascii"),
                            "at": time.time() * 1000,
                            "attempt": attempt,
                        }
                    )
                    + "\n"
                )
                out.flush()
            if pause:
                time.sleep(pause)
            if fail < 0 or attempt <= fail:
                raise RuntimeError(f"{name} fails on purpose (attempt {attempt})")
            if a.get("returns_sum"):
                return sum(args)
            return a.get("returns")

        dramatiq.actor(run, actor_name=name, queue_name=a["queue"], broker=broker, **a.get("options", {}))

    if spec.get("results"):
        from dramatiq.results import Results

        broker.add_middleware(Results(backend=result_backend(spec["results"])))
    if spec.get("group_callbacks"):
        from dramatiq.middleware import GroupCallbacks

        broker.add_middleware(GroupCallbacks(limiter_backend(spec["group_callbacks"])))
    for a in spec["actors"]:
        declare(a)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    w = dramatiq.Worker(broker, worker_threads=spec.get("threads", 1), worker_timeout=spec.get("worker_timeout", 100))
    if spec.get("prefetch"):
        # Read by the consumers start() makes; Dramatiq otherwise only takes it from the environment.
        w.queue_prefetch = spec["prefetch"]
    w.start()
    if spec.get("prometheus"):
        from dramatiq.middleware import prometheus as prom_middleware

        threading.Thread(target=prom_middleware._run_exposition_server, daemon=True).start()
    emit("ready")
    stopping.wait()
    w.stop(timeout=spec.get("stop_timeout", 5000))
    broker.close()
    out.close()


def prometheus(spec):
    import os

    os.environ["dramatiq_prom_db"] = spec["prom_db"]
    os.environ["dramatiq_prom_host"] = "127.0.0.1"
    os.environ["dramatiq_prom_port"] = str(spec["prom_port"])
    from dramatiq.middleware.prometheus import Prometheus

    broker = make_broker(spec)
    broker.add_middleware(Prometheus())
    # What the dramatiq command does in each worker process after importing the broker.
    broker.emit_after("process_boot")
    worker({**spec, "prometheus": True}, broker)


def result_backend(spec):
    options = {"namespace": spec.get("namespace", "dramatiq-results"), "use_namespace_prefix_keys": spec.get("prefix_keys", False)}
    if spec["backend"] == "redis":
        from dramatiq.results.backends import RedisBackend

        return RedisBackend(url=spec["url"], **options)
    from dramatiq.results.backends import MemcachedBackend

    return MemcachedBackend(servers=[spec["servers"]], binary=True, **options)


def limiter_backend(spec):
    if spec["backend"] == "redis":
        from dramatiq.rate_limits.backends import RedisBackend

        return RedisBackend(url=spec["url"])
    from dramatiq.rate_limits.backends import MemcachedBackend

    return MemcachedBackend(servers=[spec["servers"]], binary=True)


def as_message(d):
    return dramatiq.Message(queue_name=d["queue_name"], actor_name=d["actor_name"], args=(), kwargs={}, options={}, message_id=d["message_id"])


def results(spec):
    from dramatiq.results import ResultFailure, ResultMissing, ResultTimeout

    backend = result_backend(spec)
    ttl = spec.get("ttl", 600000)
    for item in spec.get("store", []):
        message = as_message(item["message"])
        if "exception" in item:
            exc = type(item["exception"]["type"], (Exception,), {})(item["exception"]["msg"])
            backend.store_exception(message, exc, ttl)
        else:
            backend.store_result(message, item["value"], ttl)
    for item in spec.get("read", []):
        message = as_message(item["message"])
        line = {"message_id": message.message_id}
        try:
            line["result"] = backend.get_result(message, block=item.get("block", False), timeout=item.get("timeout"))
        except ResultFailure as e:
            line["failure"] = {"type": e.orig_exc_type, "msg": e.orig_exc_msg, "text": str(e)}
        except ResultTimeout:
            line["timeout"] = True
        except ResultMissing:
            line["missing"] = True
        emit(line)


def dead_line(queue, data):
    # Decoded by Dramatiq itself, so the reprs show the Python values a Python tool would see.
    message = dramatiq.Message.decode(data)
    return {
        "queue": queue,
        "bytes": data.decode("ascii"),
        "args_repr": repr(list(message.args)),
        "kwargs_repr": repr(message.kwargs),
        "options_repr": repr(message.options),
    }


def dead(spec):
    broker = make_broker(spec)
    for queue in spec["queues"]:
        if spec["broker"] == "redis":
            key = f"{broker.namespace}:{xq_name(queue)}"
            for message_id in broker.client.zrange(key, 0, -1):
                emit(dead_line(queue, broker.client.hget(f"{key}.msgs", message_id)))
        else:
            channel = broker.channel
            while True:
                method, _props, body = channel.basic_get(xq_name(queue), auto_ack=False)
                if method is None:
                    break
                emit(dead_line(queue, body))
            channel.close()
    broker.close()


def limiter(spec):
    from dramatiq.rate_limits import ConcurrentRateLimiter

    if spec["backend"] == "redis":
        from dramatiq.rate_limits.backends import RedisBackend

        backend = RedisBackend(url=spec["url"])
    else:
        from dramatiq.rate_limits.backends import MemcachedBackend

        backend = MemcachedBackend(servers=[spec["servers"]], binary=True)
    mutex = ConcurrentRateLimiter(backend, spec["key"], limit=spec["limit"], ttl=spec["ttl"])
    lock = threading.Lock()
    out = open(spec["out"], "a", encoding="utf-8")

    def record(kind):
        with lock:
            out.write(json.dumps({"lang": "python", "kind": kind, "at": time.time() * 1000}) + "\n")
            out.flush()

    def run():
        time.sleep(max(0, spec["start_at"] / 1000 - time.time()))
        for _ in range(spec["attempts"]):
            with mutex.acquire(raise_on_failure=False) as acquired:
                if acquired:
                    record("enter")
                    time.sleep(spec["hold_ms"] / 1000)
                    record("exit")
            time.sleep(spec.get("gap_ms", 5) / 1000)

    threads = [threading.Thread(target=run) for _ in range(spec.get("threads", 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.close()


if __name__ == "__main__":
    command, text = sys.argv[1], sys.argv[2]
    {"produce": produce, "produce_many": produce_many, "produce_group": produce_group, "worker": worker, "dead": dead, "prometheus": prometheus, "limiter": limiter, "results": results}[command](json.loads(text))
