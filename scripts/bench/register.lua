-- wrk script for scripts/bench-api: POST /api/letters, each request a new
-- incoming letter (a unique letter number per thread and request), signed
-- in as the front desk. BENCH_COOKIE and BENCH_CSRF come from the caller.
local counter = 0

local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  wrk.headers["X-CSRF-Token"] = os.getenv("BENCH_CSRF")
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"direction":"in","letter_number":"B%d-%d-%d/Bench/2026","letter_date":"2026-01-20",' ..
    '"sender":"Dinas Pendidikan","recipient":"Walikota Pekanbaru",' ..
    '"subject":"Undangan Rapat Koordinasi","summary":"Rapat koordinasi bulanan",' ..
    '"classification":"000","security":"biasa","urgency":"segera"}',
    thread_id, counter, os.time())
  return wrk.format(nil, nil, nil, body)
end
