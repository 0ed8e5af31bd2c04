-- wrk script: POST a new 3-line order to /v1/orders on every request, each with its own id,
-- to a destination drawn from 40 metros and three SKUs drawn from the example catalog.
-- The API key comes from the KEY environment variable. See docs/benchmarks.md.

local zips = {
  "10001", "11201", "07102", "19103", "02108", "20001", "21201", "15222", "14202", "06103",
  "30303", "33131", "32801", "33602", "28202", "27601", "37203", "38103", "40202", "35203",
  "60614", "48201", "44113", "43215", "46204", "53202", "55401", "63101", "64106", "68102",
  "75201", "77002", "78701", "73102", "80202", "84102", "85004", "89101", "90012", "94103",
}

local key = os.getenv("KEY") or ""
-- POST /v1/quotes instead measures deciding alone, without the store.
local route = os.getenv("ROUTE") or "/v1/orders"
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(thread_id * 7919 + os.time())
end

local function sku()
  return string.format("SKU-%04d", math.random(1, 226))
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"id":"LOAD-%d-%d-%d","customer":{"id":"C-%d"},"ship_to":{"zip":"%s","residential":true},' ..
    '"lines":[{"sku":"%s","quantity":1},{"sku":"%s","quantity":1},{"sku":"%s","quantity":1}],' ..
    '"service_level":"ground","placed_at":"2026-12-07T15:00:00Z"}',
    os.time(), thread_id, counter, counter % 5000, zips[math.random(#zips)], sku(), sku(), sku())
  return wrk.format("POST", route,
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end

-- Answers other than 201 Created, counted per thread and summed at the end: 200 is an order
-- nothing can fill in time (answered, not stored), 409 one whose stock kept moving.
not_created = 0
unfilled = 0
conflicts = 0

response = function(status, headers, body)
  if status ~= 201 then
    not_created = not_created + 1
  end
  if status == 200 then
    unfilled = unfilled + 1
  elseif status == 409 then
    conflicts = conflicts + 1
  end
end

done = function(summary, latency, requests)
  local failed, unfilled, conflicts = 0, 0, 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("not_created")
    unfilled = unfilled + thread:get("unfilled")
    conflicts = conflicts + thread:get("conflicts")
  end
  io.write(string.format("routed %d orders in %.1f s: %.0f/s; not created: %d " ..
    "(%d unfulfillable, %d conflicts, %d other)\n",
    summary.requests - failed, summary.duration / 1e6,
    (summary.requests - failed) / (summary.duration / 1e6), failed,
    unfilled, conflicts, failed - unfilled - conflicts))
  io.write(string.format("latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
