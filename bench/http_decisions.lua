-- SPDX-License-Identifier: Apache-2.0
-- http_decisions.lua — the wrk script of bench/http_decisions.sh: sends one of the pre-built
-- request bodies (one per line of a file) per request, rotating, with a pause after each
-- response so that a fixed number of connections makes a fixed request rate (Debian's wrk has
-- no -R). Arguments after "--": BODIES_FILE DELAY_MS API_KEY [get]; "get" sends GET requests
-- without a body (the /healthz baseline).
local bodies, idx, pause, key, method = {}, 0, 0, "", "POST"

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  pause = tonumber(args[2]) or 0
  key = args[3] or ""
  if args[4] == "get" then
    method = "GET"
  end
  idx = math.random(#bodies)
end

function request()
  if method == "GET" then
    return wrk.format("GET")
  end
  idx = idx % #bodies + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, bodies[idx])
end

function delay()
  return pause
end
