-- POST /api/v1/use-entries/: every body differs (time within the last day, amount, form,
-- reason); 201s and other answers are counted per thread, for the row check afterwards.
local forms = {"powder", "capsule", "tea"}
local reasons = {"pain", "sleep", "energy"}

function init(args)
  created, other = 0, 0
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local taken = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - math.random(600, 20 * 3600))
  local body = string.format(
    '{"taken_at": "%s", "substance": "kratom", "amount": %.1f, "unit": "g", "form": "%s", ' ..
    '"mixed_with": "water", "reason": "%s"}',
    taken, 1 + math.random() * 4, forms[math.random(#forms)], reasons[math.random(#reasons)])
  return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end
