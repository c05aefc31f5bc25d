-- Like post.lua, but each connection waits a random exponential time, GAP_MS on average, before
-- each request (the half-load runs; bench/driver picks GAP_MS for the offered rate). wrk measures
-- latency from sending to the response, so the wait is not counted.
-- Arguments after `--`: BODY_FILE CONTENT_TYPE AUTHORIZATION-or-- GAP_MS.

package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local report = require("report")

local mean_gap_ms = 1.0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  file:close()
  wrk.headers["Content-Type"] = args[2]
  if args[3] ~= "-" then
    wrk.headers["Authorization"] = args[3]
  end
  mean_gap_ms = tonumber(args[4])
  math.randomseed(os.time() + math.floor(os.clock() * 1000000) + tostring({}):len())
end

function delay()
  local gap = -math.log(1.0 - math.random()) * mean_gap_ms
  -- wrk waits whole milliseconds; round at random so the mean stays right.
  return math.floor(gap + math.random())
end

done = report.done
