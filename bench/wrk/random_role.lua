-- AssumeRoleWithOIDC for a uniformly random role of the seeded store (bench/akless-bench seed):
-- role j trusts provider j % PROVIDERS, whose token is line (j % PROVIDERS) + 1 of TOKENS_FILE.
-- Arguments after `--`: ACCOUNT_ID ROLES PROVIDERS TOKENS_FILE.

package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local report = require("report")

local account, roles, providers
local tokens = {}

function init(args)
  account = args[1]
  roles = tonumber(args[2])
  providers = tonumber(args[3])
  for line in io.lines(args[4]) do
    tokens[#tokens + 1] = line
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000) + tostring({}):len())
end

function request()
  local j = math.random(0, roles - 1)
  local p = j % providers
  local body = string.format(
    "OIDCProviderArn=acs%%3Aram%%3A%%3A%s%%3Aoidc-provider%%2Fscale-%03d" ..
    "&RoleArn=acs%%3Aram%%3A%%3A%s%%3Arole%%2Fscale-role-%06d&RoleSessionName=bench&OIDCToken=%s",
    account, p, account, j, tokens[p + 1])
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

done = report.done
