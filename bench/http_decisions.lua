-- SPDX-License-Identifier: Apache-2.0
-- http_decisions.lua — the wrk script of bench/http_decisions.sh: sends one of the pre-built
-- request bodies (one per line of a file) per request, rotating, with a pause after each
-- response so that a fixed number of connections makes a fixed request rate (Debian's wrk has
-- no -R). Arguments after "--": BODIES_FILE DELAY_MS API_KEY [get]; "get" sends GET requests
-- without a body (the /healthz baseline). Every request is formatted once, in init: wrk then
-- only copies it per request, so the load generator, which shares the 2 cores with the server,
-- spends on each request no more than it must (formatting with wrk.format per request cost
-- wrk about as much CPU as the server's whole answer).
local requests, idx, pause = {}, 0, 0

function init(args)
  pause = tonumber(args[2]) or 0
  if args[4] == "get" then
    requests[1] = wrk.format("GET")
  else
    local headers = {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. (args[3] or ""),
    }
    for line in io.lines(args[1]) do
      requests[#requests + 1] = wrk.format("POST", nil, headers, line)
    end
  end
  idx = math.random(#requests)
end

function request()
  idx = idx % #requests + 1
  return requests[idx]
end

function delay()
  return pause
end
