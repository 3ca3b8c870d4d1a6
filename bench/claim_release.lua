-- Claim and release under concurrent load, for wrk.
--
-- Each wrk thread is one signed-in supporter (its session cookie and CSRF
-- token come from the data file pages.py writes). Every thread walks the same
-- list of tasks, from a different starting point, POSTing claim then release
-- for each; with several threads on one-person tasks, supporters race for
-- the same spot, which is what the database's invariants must survive.
--
--   wrk -t4 -c16 -d10s -s bench/claim_release.lua http://127.0.0.1:8000 -- bench/out/claim_release_data.lua

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  data = dofile(args[1])
  account = data.accounts[(id - 1) % #data.accounts + 1]
  headers = {
    ["Cookie"] = "session=" .. account.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Connection"] = "close",
  }
  body = "csrf_token=" .. account.token
  offset = (id - 1) * math.floor(#data.tasks / #data.accounts)
  n = 0
  statuses = {}
end

function request()
  local task = data.tasks[(math.floor(n / 2) + offset) % #data.tasks + 1]
  local action = (n % 2 == 0) and "claim" or "release"
  n = n + 1
  local path = "/circles/" .. data.circle .. "/tasks/" .. task .. "/" .. action
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      totals[code] = (totals[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(totals) do
    table.insert(parts, code .. "=" .. count)
  end
  table.sort(parts)
  io.write("statuses: " .. table.concat(parts, " ") .. "\n")
end
