-- wrk script of bench/cluster.py: POST /api/v1/use-entries/ with client-chosen ids.
--
-- CLUSTER_WRK_OUT=FILE wrk ... -s bench/lua/cluster_post.lua URL -- TOKENS PREFIX INDEX WRITE_S COUSE
--   FILE    what done() writes: JSON with the statuses and the created ids (done() runs in
--           wrk's main Lua state, which init() never sees: hence the environment)
--   TOKENS  file, one "key patient_id" line per patient
--   PREFIX  8 hex digits, new each run; INDEX this wrk process (0, 1, ...)
--   WRITE_S seconds of writes; afterwards only a slow, cheap GET (/bench/c1/), so no write is
--           in flight when wrk stops (a write cut off by wrk's end would leave a row unseen)
--   COUSE   the first COUSE patients of TOKENS also log alcohol (kratom + alcohol: co_use)
--
-- Ids are PREFIX-INDEX/thread-counter, unique in the run. One write in 20 repeats an id that
-- already got 201: half with its own patient's token (must answer 200, the stored entry), half
-- with another patient's (must answer 409). Either way no second row.

local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

local tokens, patients, by_patient = {}, {}, {}
local prefix, wrk_index, deadline, couse
local counter = 0
local recent, recent_size = {}, 500 -- ids that got 201, with their token index
statuses = {}
created = {}
repeats_own, repeats_other, alcohol, idle = 0, 0, 0, 0

function init(args)
   for line in io.lines(args[1]) do
      local key, patient = line:match("^(%S+)%s+(%S+)$")
      tokens[#tokens + 1] = key
      patients[#patients + 1] = patient
      by_patient[patient] = #tokens
   end
   prefix, wrk_index = args[2], tonumber(args[3])
   deadline = os.time() + tonumber(args[4])
   couse = tonumber(args[5])
   math.randomseed(wrk_index * 1000 + thread_index + 1)
end

local function post(i, id, substance)
   local body
   local taken_at = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - math.random(60, 7200))
   if substance == "alcohol" then
      body = string.format(
         '{"id":"%s","taken_at":"%s","substance":"alcohol","amount":"1",'
            .. '"unit":"standard_drink","form":"liquid","mixed_with":"none","reason":"other"}',
         id, taken_at)
   else
      body = string.format(
         '{"id":"%s","taken_at":"%s","substance":"kratom","amount":"%d.5","unit":"g",'
            .. '"form":"powder","mixed_with":"water","reason":"pain"}',
         id, taken_at, math.random(1, 3))
   end
   return wrk.format("POST", "/api/v1/use-entries/", {
      ["Authorization"] = "Token " .. tokens[i],
      ["Content-Type"] = "application/json",
   }, body)
end

function request()
   if os.time() >= deadline then
      return wrk.format("GET", "/bench/c1/")
   end
   if #recent >= 50 and math.random(20) == 1 then
      local pick = recent[math.random(#recent)]
      if math.random(2) == 1 then
         repeats_own = repeats_own + 1
         return post(pick[2], pick[1], "kratom")
      end
      repeats_other = repeats_other + 1
      return post((pick[2] % #tokens) + 1, pick[1], "kratom")
   end
   counter = counter + 1
   local id = string.format("%s-%04x-4%03x-8000-%012x", prefix, wrk_index, thread_index, counter)
   local i = math.random(#tokens)
   if i <= couse and math.random(10) == 1 then
      alcohol = alcohol + 1
      return post(i, id, "alcohol")
   end
   return post(i, id, "kratom")
end

function delay()
   if os.time() >= deadline then
      return 100
   end
   return 0
end

function response(status, headers, body)
   if body:find('"service":"mitra"', 1, true) then
      idle = idle + 1
      return
   end
   statuses[status] = (statuses[status] or 0) + 1
   if status == 201 then
      local id = body:match('"id":%s*"([%x%-]+)"')
      local patient = body:match('"patient":%s*"([%x%-]+)"')
      created[#created + 1] = id or "?"
      if id and patient and by_patient[patient] then
         local slot = #recent < recent_size and #recent + 1 or math.random(recent_size)
         recent[slot] = { id, by_patient[patient] }
      end
   end
end

local function json_list(items)
   local quoted = {}
   for _, item in ipairs(items) do
      quoted[#quoted + 1] = '"' .. item .. '"'
   end
   return "[" .. table.concat(quoted, ",") .. "]"
end

function done(summary, latency, requests)
   local counts, ids = {}, {}
   local totals = { repeats_own = 0, repeats_other = 0, alcohol = 0, idle = 0 }
   for _, thread in ipairs(threads) do
      for code, n in pairs(thread:get("statuses")) do
         counts[code] = (counts[code] or 0) + n
      end
      for _, id in ipairs(thread:get("created")) do
         ids[#ids + 1] = id
      end
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + thread:get(name)
      end
   end
   local codes = {}
   for code, n in pairs(counts) do
      codes[#codes + 1] = string.format('"%d":%d', code, n)
   end
   local e = summary.errors
   local out = assert(io.open(os.getenv("CLUSTER_WRK_OUT"), "w"))
   out:write(string.format(
      '{"statuses":{%s},"repeats_own":%d,"repeats_other":%d,"alcohol":%d,"idle":%d,'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"requests":%d,"duration_us":%d,"latency_p50_us":%d,"latency_p99_us":%d,'
         .. '"created":%s}',
      table.concat(codes, ","), totals.repeats_own, totals.repeats_other, totals.alcohol,
      totals.idle, e.connect, e.read, e.write, e.status, e.timeout, summary.requests,
      summary.duration, latency:percentile(50), latency:percentile(99), json_list(ids)))
   out:close()
end
