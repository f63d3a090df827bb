-- SPDX-License-Identifier: Apache-2.0
-- subject_create.lua — the wrk script of bench/jobs_bench.mjs: every request creates a subject
-- (POST /v1/subjects: subject row, subject key, audit event and change-feed row, answered 201
-- once committed). Argument after "--": API_KEY. Prints the requests sent and how many were
-- answered with a status other than 2xx ("refused"), which the caller subtracts.
local key = ""

function init(args)
  key = args[1] or ""
end

function request()
  return wrk.format("POST", "/v1/subjects", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, '{"kind":"customer","jurisdiction":"NL"}')
end

function done(summary)
  io.write(string.format("created %d in %.3f s, %d refused\n", summary.requests,
    summary.duration / 1e6, summary.errors.status))
end
