/**
 * Internal: the delay buckets. A delayed message whose eta is further away than the
 * broker's `maxDelayHold` is not held by a consumer: it waits in a bucket queue whose
 * fixed TTL is a power of 4 seconds, returns to `q.DQ` when that expires, and is
 * bucketed again until its eta is within the hold. Powers of 4 keep the set small
 * (13 queues at most per canonical queue, 1 s to ~194 days) and the hops few
 * (at most 3 per level).
 */
export const BUCKET_SECONDS: readonly number[] = Array.from({ length: 13 }, (_, k) => 4 ** k);

/** The bucket (in seconds) for a message due in `remainingMs`: the longest one that does not pass the eta. */
export function bucketFor(remainingMs: number): number | undefined {
  let chosen: number | undefined;
  for (const seconds of BUCKET_SECONDS) {
    if (seconds * 1000 > remainingMs) break;
    chosen = seconds;
  }
  return chosen;
}

/** `q.DQ.wait.<seconds>`. */
export function bucketQueueName(canonical: string, seconds: number): string {
  return `${canonical}.DQ.wait.${seconds}`;
}
