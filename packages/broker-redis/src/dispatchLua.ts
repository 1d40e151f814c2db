/**
 * The Redis side of the broker: one Lua script, run by SHA, with Dramatiq's key layout
 * and the meaning of its dispatch commands (reference section 6), so Python Dramatiq
 * workers and @q workers share queues and recover each other's in-flight messages.
 * Differences are additions, invisible to a Python peer: commands take batches, an
 * `ackfetch` command acks and fetches in one call, an
 * enqueue publishes a wake-up on `ns:__wakeup__.<queue>`, requeued and recovered
 * messages go back to the head of the list (they keep their place), a `reconcile`
 * command returns ids a live worker lost track of, and the costly heartbeat clean-up
 * (a KEYS scan) runs only when asked for (`do_maintenance` "2").
 *
 * KEYS[1] = namespace; KEYS[2] = the heartbeats key, unused here but declared for a Redis
 * Cluster's slot migration (see RedisBroker.call). ARGV = command, now_ms, queue_name, broker_id,
 * heartbeat_timeout, dead_message_ttl, do_maintenance ("0", "1" requeue dead workers'
 * messages, "2" also forget finished dead workers), chunk size, command args...
 */
export const DISPATCH_LUA = `
local ns = KEYS[1]
local command = ARGV[1]
local now = tonumber(ARGV[2])
local queue_name = ARGV[3]
local broker_id = ARGV[4]
local heartbeat_timeout = tonumber(ARGV[5])
local dead_message_ttl = tonumber(ARGV[6])
local do_maintenance = ARGV[7]
local chunk = tonumber(ARGV[8])
local first_arg = 9

local canonical = (string.gsub(queue_name, "%.DQ$", ""))
local queue_key = ns .. ":" .. queue_name
local msgs_key = queue_key .. ".msgs"
local acks_key = ns .. ":__acks__." .. broker_id .. "." .. queue_name
local xq_key = ns .. ":" .. canonical .. ".XQ"
local xq_msgs_key = xq_key .. ".msgs"
local heartbeats_key = ns .. ":__heartbeats__"
local wakeup_channel = ns .. ":__wakeup__." .. queue_name

-- Calls cmd(key, items[i..j]) in chunks, to stay under Lua's unpack limit.
local function chunked(cmd, key, items)
  for i = 1, #items, chunk do
    redis.call(cmd, key, unpack(items, i, math.min(i + chunk - 1, #items)))
  end
end

-- Takes up to n ids off the queue into this worker's ack set: {id1, data1, id2, data2, ...}.
local function fetch(n)
  local ids = {}
  for _ = 1, n do
    local id = redis.call("LPOP", queue_key)
    if not id then break end
    ids[#ids + 1] = id
  end
  if #ids == 0 then return {} end
  chunked("SADD", acks_key, ids)
  local out = {}
  for i = 1, #ids, chunk do
    local data = redis.call("HMGET", msgs_key, unpack(ids, i, math.min(i + chunk - 1, #ids)))
    for j = 1, #data do
      out[#out + 1] = ids[i + j - 1]
      out[#out + 1] = data[j]
    end
  end
  return out
end

-- Forgets the messages ARGV[from..] that this worker holds: done, for good.
local function ack(from)
  local done = 0
  for i = from, #ARGV do
    if redis.call("SREM", acks_key, ARGV[i]) == 1 then
      redis.call("HDEL", msgs_key, ARGV[i])
      done = done + 1
    end
  end
  return done
end

redis.call("ZADD", heartbeats_key, now, broker_id)

local recovered = 0
if do_maintenance == "1" or do_maintenance == "2" then
  local dead_workers = redis.call("ZRANGEBYSCORE", heartbeats_key, 0, "(" .. (now - heartbeat_timeout))
  for _, dead_id in ipairs(dead_workers) do
    local dead_acks = ns .. ":__acks__." .. dead_id .. "." .. queue_name
    local ids = redis.call("SMEMBERS", dead_acks)
    for i = #ids, 1, -1 do
      if redis.call("HEXISTS", msgs_key, ids[i]) == 1 then
        redis.call("LPUSH", queue_key, ids[i])
        recovered = recovered + 1
      end
    end
    redis.call("DEL", dead_acks)
    if do_maintenance == "2" and #redis.call("KEYS", ns .. ":__acks__." .. dead_id .. ".*") == 0 then
      redis.call("ZREM", heartbeats_key, dead_id)
    end
  end
  local expired = redis.call("ZRANGEBYSCORE", xq_key, 0, "(" .. (now - dead_message_ttl))
  if #expired > 0 then
    chunked("ZREM", xq_key, expired)
    chunked("HDEL", xq_msgs_key, expired)
  end
  if recovered > 0 then redis.call("PUBLISH", wakeup_channel, recovered) end
end

if command == "enqueue" then
  -- A call resent after a lost reply: its batch is written atomically, so the first id
  -- being there means the whole batch is (it must not be listed twice).
  if redis.call("HEXISTS", msgs_key, ARGV[first_arg]) == 1 then return 0 end
  local ids = {}
  for i = first_arg, #ARGV, 2 * chunk do
    local last = math.min(i + 2 * chunk - 1, #ARGV)
    redis.call("HSET", msgs_key, unpack(ARGV, i, last))
    for k = i, last, 2 do ids[#ids + 1] = ARGV[k] end
  end
  chunked("RPUSH", queue_key, ids)
  redis.call("PUBLISH", wakeup_channel, #ids)
  return #ids

elseif command == "fetch" then
  return fetch(tonumber(ARGV[first_arg]))

elseif command == "ack" then
  return ack(first_arg)

elseif command == "ackfetch" then
  -- An @q consumer's acks with its next fetch: one round trip for both (ARGV: n, ids...).
  ack(first_arg + 1)
  return fetch(tonumber(ARGV[first_arg]))

elseif command == "nack" then
  local done = 0
  for i = first_arg, #ARGV do
    local id = ARGV[i]
    if redis.call("SREM", acks_key, id) == 1 then
      local data = redis.call("HGET", msgs_key, id)
      if data then
        redis.call("ZADD", xq_key, now, id)
        redis.call("HSET", xq_msgs_key, id, data)
        redis.call("HDEL", msgs_key, id)
        done = done + 1
      end
    end
  end
  return done

elseif command == "requeue" then
  local done = 0
  for i = #ARGV, first_arg, -1 do
    local id = ARGV[i]
    if redis.call("SREM", acks_key, id) == 1 and redis.call("HEXISTS", msgs_key, id) == 1 then
      redis.call("LPUSH", queue_key, id)
      done = done + 1
    end
  end
  if done > 0 then redis.call("PUBLISH", wakeup_channel, done) end
  return done

elseif command == "reconcile" then
  local known = {}
  for i = first_arg, #ARGV do known[ARGV[i]] = true end
  local done = 0
  for _, id in ipairs(redis.call("SMEMBERS", acks_key)) do
    if not known[id] then
      redis.call("SREM", acks_key, id)
      if redis.call("HEXISTS", msgs_key, id) == 1 then
        redis.call("LPUSH", queue_key, id)
        done = done + 1
      end
    end
  end
  if done > 0 then redis.call("PUBLISH", wakeup_channel, done) end
  return done

elseif command == "purge" then
  redis.call("DEL", queue_key, acks_key, msgs_key, xq_key, xq_msgs_key)
  return 1

elseif command == "qsize" then
  local dq = ns .. ":" .. canonical .. ".DQ"
  return redis.call("HLEN", dq .. ".msgs")
    + redis.call("SCARD", ns .. ":__acks__." .. broker_id .. "." .. canonical .. ".DQ")
    + redis.call("HLEN", ns .. ":" .. canonical .. ".msgs")
    + redis.call("SCARD", ns .. ":__acks__." .. broker_id .. "." .. canonical)

elseif command == "maintenance" then
  return recovered
end

return redis.error_reply("unknown dispatch command " .. command)
`;
