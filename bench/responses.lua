-- Loaded by the other wrk scripts: checks every answer and prints one machine-readable line.
-- response() runs in the load thread's Lua state, done() in the main one, hence thread:get.

local threads = {}
non200, shown, first_bad = 0, 0, ""

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 300) end
  elseif body and string.find(body, '"show":{', 1, true) then
    shown = shown + 1  -- a page view that put a message on screen
  end
end

local function json_string(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

function done(summary, latency, requests)
  local bad, showed, sample = 0, 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
    showed = showed + t:get("shown")
    if sample == "" then sample = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests":%d,"duration_us":%d,"non200":%d,"shown":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"first_bad":%s}\n',
    summary.requests, summary.duration, bad, showed, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    json_string(sample)))
end
