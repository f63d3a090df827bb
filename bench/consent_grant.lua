-- SPDX-License-Identifier: Apache-2.0
-- consent_grant.lua — the wrk script of bench/jobs_bench.mjs' consent figure: every request
-- records one consent event (POST /v1/subjects/{id}/consents, answered 201 once its batch is
-- committed), rotating over pre-created subjects and alternating grant and withdraw per subject.
-- Arguments after "--": API_KEY IDS_FILE (one subject id a line). Prints the requests sent and
-- how many were answered with a status other than 2xx ("refused"); the caller counts the
-- durable events in the database itself.
local key, ids, idx, turn = "", {}, 0, 0

function init(args)
  key = args[1] or ""
  for line in io.lines(args[2]) do
    ids[#ids + 1] = line
  end
  idx = math.random(#ids)
end

function request()
  idx = idx % #ids + 1
  if idx == 1 then
    turn = turn + 1
  end
  local action = (turn % 2 == 0) and "grant" or "withdraw"
  return wrk.format("POST", "/v1/subjects/" .. ids[idx] .. "/consents", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, '{"purpose":"marketing.communications.email","action":"' .. action ..
    '","method":"api","notice_version":"2022.1"}')
end

function done(summary)
  io.write(string.format("sent %d in %.3f s, %d refused\n", summary.requests,
    summary.duration / 1e6, summary.errors.status))
end
