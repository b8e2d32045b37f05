-- Page views as the widget reports them. Half come from known visitors (bench000000000000 …),
-- half from visitors never seen before; every event id is new; pages vary.
-- wrk … -s pageviews.lua URL -- CHANNEL_KEY KNOWN_VISITORS RUN_TAG SEED
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "responses.lua")

local path, known, tag
local n = 0
local headers = {["Content-Type"] = "application/json"}
local pages = {
  {"/", "Acme — Home"},
  {"/pricing", "Pricing — Acme"},
  {"/plans/pro", "Pro plan — Acme"},
  {"/docs/start", "Getting started — Acme docs"},
  {"/blog/2026/launch", "We launched! — Acme blog"},
  {"/checkout", "Checkout — Acme"},
  {"/pt/precos", "Preços — Acme"},
  {"/es/precios?utm_source=newsletter", "Precios — Acme"},
}
local languages = {"en-US", "en", "pt-BR", "es", "de-DE", "fr-FR"}

function init(args)
  path = "/widget/v1/" .. args[1] .. "/page-views"
  known = tonumber(args[2])
  tag = args[3]
  math.randomseed(tonumber(args[4]))
end

local function random_hex()
  return string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
end

function request()
  n = n + 1
  local visitor
  if n % 2 == 0 then
    visitor = string.format("bench%012d", math.random(0, known - 1))
  else
    visitor = "new" .. tag .. random_hex()
  end
  local page = pages[math.random(#pages)]
  local body = string.format(
    '{"visitor_id":"%s","session_id":"s%s","event_id":"%s-%d","url":"https://shop.example%s",' ..
    '"title":"%s","language":"%s"}',
    visitor, visitor, tag, n, page[1], page[2], languages[math.random(#languages)])
  return wrk.format("POST", path, headers, body)
end
