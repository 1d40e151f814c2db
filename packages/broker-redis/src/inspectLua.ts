/**
 * The inspector's side of Redis: one Lua script over Dramatiq's key layout (reference
 * section 6), so each read is one consistent snapshot and each action checks and changes in
 * one step: a worker fetching, acking or dead-lettering at the same moment runs before or
 * after it, never in between. Nothing here is visible to a Python peer except the effect:
 * a requeued dead letter is an ordinary enqueue (hash entry, RPUSH, wake-up).
 *
 * KEYS[1] = namespace; KEYS[2] = the heartbeats key (as the dispatch script declares them).
 * ARGV = command, canonical queue name, command args...
 *
 * Parts: "queue" (`ns:q` list + `ns:q.msgs`), "delayed" (`ns:q.DQ` + `ns:q.DQ.msgs`),
 * "dead" (`ns:q.XQ` sorted set scored by the time of death + `ns:q.XQ.msgs`). A message a
 * worker holds is in its hash and in that worker's `ns:__acks__.<worker>.<queue>` set, not in
 * the list.
 */
export const INSPECT_LUA = `
local ns = KEYS[1]
local heartbeats_key = KEYS[2]
local command = ARGV[1]
local canonical = ARGV[2]

local function keys_of(part)
  if part == "dead" then
    local xq = ns .. ":" .. canonical .. ".XQ"
    return xq, xq .. ".msgs", nil
  end
  local name = canonical
  if part == "delayed" then name = canonical .. ".DQ" end
  local key = ns .. ":" .. name
  return key, key .. ".msgs", name
end

-- Ids some worker holds (fetched, not acked) that are still stored, sorted for stable pages.
local function held_ids(name, msgs_key)
  local out = {}
  for _, worker in ipairs(redis.call("ZRANGE", heartbeats_key, 0, -1)) do
    for _, id in ipairs(redis.call("SMEMBERS", ns .. ":__acks__." .. worker .. "." .. name)) do
      if redis.call("HEXISTS", msgs_key, id) == 1 then out[#out + 1] = id end
    end
  end
  table.sort(out)
  return out
end

if command == "counts" then
  local q = ns .. ":" .. canonical
  return {
    redis.call("HLEN", q .. ".msgs"),
    redis.call("LLEN", q),
    redis.call("HLEN", q .. ".DQ.msgs"),
    redis.call("ZCARD", q .. ".XQ"),
  }

elseif command == "page" then
  -- ARGV[3] part, ARGV[4] offset, ARGV[5] limit. Reply: total, then id, data, held, score per message.
  local part = ARGV[3]
  local offset = tonumber(ARGV[4])
  local limit = tonumber(ARGV[5])
  local key, msgs_key, name = keys_of(part)
  local out = {0}
  local ids, held, scores = {}, {}, {}
  if part == "dead" then
    out[1] = redis.call("ZCARD", key)
    local entries = redis.call("ZRANGE", key, offset, offset + limit - 1, "WITHSCORES")
    for i = 1, #entries, 2 do
      ids[#ids + 1] = entries[i]
      scores[#ids] = entries[i + 1]
      held[#ids] = 0
    end
  else
    local holding = held_ids(name, msgs_key)
    out[1] = #holding + redis.call("LLEN", key)
    for i = offset + 1, math.min(#holding, offset + limit) do
      ids[#ids + 1] = holding[i]
      held[#ids] = 1
    end
    local from = math.max(0, offset - #holding)
    local want = limit - #ids
    if want > 0 then
      for _, id in ipairs(redis.call("LRANGE", key, from, from + want - 1)) do
        ids[#ids + 1] = id
        held[#ids] = 0
      end
    end
  end
  if #ids == 0 then return out end
  local data = redis.call("HMGET", msgs_key, unpack(ids))
  for i = 1, #ids do
    -- A list entry without a stored message (a half-written foreign enqueue) is shown as empty bytes.
    out[#out + 1] = ids[i]
    out[#out + 1] = data[i] or ""
    out[#out + 1] = held[i]
    out[#out + 1] = scores[i] or ""
  end
  return out

elseif command == "find" then
  -- ARGV[3] a stored id. Reply: part, data, held, score; or nothing.
  local id = ARGV[3]
  for _, part in ipairs({"queue", "delayed", "dead"}) do
    local key, msgs_key, name = keys_of(part)
    local data = redis.call("HGET", msgs_key, id)
    if data then
      if part == "dead" then return {part, data, 0, redis.call("ZSCORE", key, id) or ""} end
      local held = 0
      for _, h in ipairs(held_ids(name, msgs_key)) do
        if h == id then held = 1 end
      end
      return {part, data, held, ""}
    end
  end
  return {}

elseif command == "requeue" then
  -- ARGV[3..] triples: dead id, new stored id, new bytes. Moves those still dead; returns how many.
  local xq = ns .. ":" .. canonical .. ".XQ"
  local q = ns .. ":" .. canonical
  local moved = 0
  for i = 3, #ARGV, 3 do
    if redis.call("ZREM", xq, ARGV[i]) == 1 then
      redis.call("HDEL", xq .. ".msgs", ARGV[i])
      redis.call("HSET", q .. ".msgs", ARGV[i + 1], ARGV[i + 2])
      redis.call("RPUSH", q, ARGV[i + 1])
      moved = moved + 1
    end
  end
  if moved > 0 then redis.call("PUBLISH", ns .. ":__wakeup__." .. canonical, moved) end
  return moved

elseif command == "delete" then
  -- ARGV[3] part, ARGV[4] stored id. 1 when removed; 0 when not there or a worker holds it.
  local key, msgs_key = keys_of(ARGV[3])
  local id = ARGV[4]
  if ARGV[3] == "dead" then
    if redis.call("ZREM", key, id) == 0 then return 0 end
  elseif redis.call("LREM", key, 1, id) == 0 then
    return 0
  end
  redis.call("HDEL", msgs_key, id)
  return 1

elseif command == "purge" then
  -- ARGV[3] part, ARGV[4] most to remove in this call. Removes what no worker holds; returns how many.
  local key, msgs_key = keys_of(ARGV[3])
  local most = tonumber(ARGV[4])
  if ARGV[3] == "dead" then
    local ids = redis.call("ZRANGE", key, 0, most - 1)
    if #ids == 0 then return 0 end
    redis.call("ZREM", key, unpack(ids))
    redis.call("HDEL", msgs_key, unpack(ids))
    return #ids
  end
  local ids = redis.call("LRANGE", key, 0, most - 1)
  if #ids == 0 then return 0 end
  redis.call("LTRIM", key, #ids, -1)
  redis.call("HDEL", msgs_key, unpack(ids))
  return #ids

elseif command == "workers" then
  -- ARGV[3..] canonical queue names. Reply: id, last heartbeat, messages held, per worker.
  local out = {}
  local entries = redis.call("ZRANGE", heartbeats_key, 0, -1, "WITHSCORES")
  for i = 1, #entries, 2 do
    local worker = entries[i]
    local n = 0
    for j = 3, #ARGV do
      n = n + redis.call("SCARD", ns .. ":__acks__." .. worker .. "." .. ARGV[j])
        + redis.call("SCARD", ns .. ":__acks__." .. worker .. "." .. ARGV[j] .. ".DQ")
    end
    out[#out + 1] = worker
    out[#out + 1] = entries[i + 1]
    out[#out + 1] = n
  end
  return out
end

return redis.error_reply("unknown inspect command " .. command)
`;
