"""The real Python Dramatiq against queues @q declared as quorum queues (quorum.python.test.ts).

    python quorum_peer.py produce <url> <queue> [quorum]   send one message; print {"ok": ...} or the error
    python quorum_peer.py worker <url> <queue> <seconds> [quorum]
        run a Dramatiq worker that long; print {"ran": [...], "log": [...]}

With "quorum", the broker is a subclass that declares the queues as @q's queueType
"quorum" does (the workaround for sharing quorum queues with Python).
"""
import json
import logging
import sys
import time

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.common import xq_name

QUORUM = {"x-queue-type": "quorum", "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


class QuorumRabbitmqBroker(RabbitmqBroker):
    def _build_queue_arguments(self, queue_name):
        return {**super()._build_queue_arguments(queue_name), **QUORUM}

    def _declare_xq_queue(self, queue_name):
        return self.channel.queue_declare(
            queue=xq_name(queue_name),
            durable=True,
            arguments={"x-message-ttl": 7 * 24 * 3600 * 1000, "x-queue-type": "quorum"},
        )


class Captured(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def main():
    command, url, queue = sys.argv[1:4]
    quorum = sys.argv[-1] == "quorum"
    captured = Captured()
    logging.getLogger().addHandler(captured)
    broker = (QuorumRabbitmqBroker if quorum else RabbitmqBroker)(url=url, confirm_delivery=True)
    dramatiq.set_broker(broker)
    ran = []

    @dramatiq.actor(queue_name=queue, actor_name="peer_job")
    def peer_job(n):
        ran.append(n)

    if command == "produce":
        try:
            message = peer_job.send(1)
            out = {"ok": True, "message_id": message.message_id}
        except Exception as e:  # what the user's code sees
            out = {"ok": False, "error": f"{type(e).__module__}.{type(e).__name__}", "message": str(e)}
    else:
        worker = dramatiq.Worker(broker, worker_timeout=100)
        worker.start()
        time.sleep(float(sys.argv[4]))
        worker.stop()
        out = {"ran": ran, "log": captured.lines}
    broker.close()
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
