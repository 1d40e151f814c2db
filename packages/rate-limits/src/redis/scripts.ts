import { createHash } from "node:crypto";

/** Internal: a Lua script and its SHA1, for EVALSHA (falling back to EVAL once per server). */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, source: string): Script {
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

// Values are decimal strings, as Dramatiq's redis-py client writes them; %d keeps them
// integral (Lua's tostring would print 1e+15). A missing key counts as 0. A refused
// change writes nothing and leaves the TTL alone; a done one sets the TTL again (PX).

/** KEYS[1]; ARGV amount, maximum, ttl → 1 if incremented. */
export const INCR = script(
  "incr",
  `local v = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
if v > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], string.format('%d', v), 'PX', ARGV[3])
return 1`,
);

/** KEYS[1]; ARGV amount, minimum, ttl → 1 if decremented. */
export const DECR = script(
  "decr",
  `local v = tonumber(redis.call('GET', KEYS[1]) or '0') - tonumber(ARGV[1])
if v < tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], string.format('%d', v), 'PX', ARGV[3])
return 1`,
);

/** KEYS[1] the key, KEYS[2..] the window's keys; ARGV amount, maximum, ttl → 1 if incremented. */
export const INCR_AND_SUM = script(
  "incr_and_sum",
  `local amount = tonumber(ARGV[1])
local maximum = tonumber(ARGV[2])
local v = tonumber(redis.call('GET', KEYS[1]) or '0') + amount
if v > maximum then return 0 end
local total = amount
if #KEYS > 1 then
  for _, x in ipairs(redis.call('MGET', unpack(KEYS, 2))) do
    if x then total = total + tonumber(x) end
  end
end
if total > maximum then return 0 end
redis.call('SET', KEYS[1], string.format('%d', v), 'PX', ARGV[3])
return 1`,
);

/** KEYS[1]; ARGV ttl: Dramatiq's wait_notify (RPUSH "x", PEXPIRE) as one atomic step. */
export const NOTIFY = script(
  "notify",
  `redis.call('RPUSH', KEYS[1], 'x')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`,
);
