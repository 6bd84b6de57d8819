-- keyward: check every exact counter of one request and charge all of them or none.
-- The arithmetic is counter.rs's, in integers that stay below 2^53 (see exact.rs).
--
-- ARGV[1] = cost (0: look only, admitted when a cost of 1 would be)
-- then for each KEYS[i], 5 values:
--   rate:   'r', now (in units), unit (microseconds), period (in units), limit, burst
--           (6 values: kind + 5)
--   window: 'w', limit, ttl (milliseconds until the window ends, plus a margin), 0, 0, 0
-- A rate key holds "unit base ahead limit": the TAT is base + ahead / limit (in units).
-- Returns { admitted (1|0), before_1, ..., before_n }: each counter's state at `now` before the
-- charge (rate: ahead, the TAT's distance from now in units / limit; window: units used).

local cost = tonumber(ARGV[1])
local asked = math.max(cost, 1)
local admitted = 1
local before = {}
local plans = {}

for i, key in ipairs(KEYS) do
  local a = 2 + (i - 1) * 6
  local kind = ARGV[a]
  if kind == 'r' then
    local now = tonumber(ARGV[a + 1])
    local unit = tonumber(ARGV[a + 2])
    local period = tonumber(ARGV[a + 3])
    local limit = tonumber(ARGV[a + 4])
    local burst = tonumber(ARGV[a + 5])
    local ahead = 0
    local raw = redis.call('GET', key)
    if raw then
      local su, sb, sa, sl = string.match(raw, '^(%d+) (%d+) (%d+) (%d+)$')
      su, sb, sa, sl = tonumber(su), tonumber(sb), tonumber(sa), tonumber(sl)
      if su == unit and sl == limit then
        local elapsed = now - sb
        if elapsed <= 0 then
          ahead = sa - elapsed * limit -- another node's clock is ahead of ours
        elseif elapsed <= sa / limit + 1 then
          ahead = math.max(0, sa - elapsed * limit)
        end
      elseif su then
        -- The limit changed: carry the TAT over, rounded up (never loses usage).
        local tat_us = sb * su + sa * su / sl
        ahead = math.max(0, math.ceil((tat_us - now * unit) * limit / unit))
      end
    end
    before[i] = ahead
    if ahead + asked * period > burst * period then
      admitted = 0
    end
    plans[i] = { 'r', now, unit, period, limit, ahead }
  else
    local limit = tonumber(ARGV[a + 1])
    local used = tonumber(redis.call('GET', key) or '0')
    before[i] = used
    if used + asked > limit then
      admitted = 0
    end
    plans[i] = { 'w', tonumber(ARGV[a + 2]) }
  end
end

if admitted == 1 and cost > 0 then
  for i, key in ipairs(KEYS) do
    local plan = plans[i]
    if plan[1] == 'r' then
      local now, unit, period, limit, ahead = plan[2], plan[3], plan[4], plan[5], plan[6]
      local after = ahead + cost * period
      -- Kept until the counter is whole again, plus a second for clocks that disagree.
      local ttl = math.ceil(after * unit / limit / 1000) + 1000
      redis.call('SET', key, string.format('%.0f %.0f %.0f %.0f', unit, now, after, limit), 'PX', ttl)
    else
      redis.call('INCRBY', key, cost)
      redis.call('PEXPIRE', key, plan[2])
    end
  end
end

local out = { admitted }
for i = 1, #KEYS do
  out[i + 1] = before[i]
end
return out
