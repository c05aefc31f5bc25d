-- POSTs one fixed body over keep-alive connections.
-- Arguments after `--`: BODY_FILE CONTENT_TYPE [AUTHORIZATION or -].

package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local report = require("report")

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  file:close()
  wrk.headers["Content-Type"] = args[2]
  if args[3] and args[3] ~= "-" then
    wrk.headers["Authorization"] = args[3]
  end
end

done = report.done
