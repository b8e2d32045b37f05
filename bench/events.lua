-- Widget events (opened / dismissed) on deliveries made before the run; every event id is new.
-- wrk … -s events.lua URL -- CHANNEL_KEY DELIVERIES_FILE RUN_TAG SEED
-- DELIVERIES_FILE holds one "visitor_id delivery_id" per line.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "responses.lua")

local path, tag
local n = 0
local deliveries = {}
local headers = {["Content-Type"] = "application/json"}

function init(args)
  path = "/widget/v1/" .. args[1] .. "/events"
  for line in io.lines(args[2]) do
    local visitor, delivery = string.match(line, "^(%S+) (%d+)$")
    if visitor then table.insert(deliveries, {visitor, delivery}) end
  end
  tag = args[3]
  math.randomseed(tonumber(args[4]))
end

function request()
  n = n + 1
  local d = deliveries[math.random(#deliveries)]
  local kind = math.random() < 0.5 and "opened" or "dismissed"
  local body = string.format('{"visitor_id":"%s","event_id":"%s-%d","delivery_id":%s,"kind":"%s"}',
    d[1], tag, n, d[2], kind)
  return wrk.format("POST", path, headers, body)
end
