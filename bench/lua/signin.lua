-- POST /api/v1/auth/token/: a real sign-in (Argon2 check, a new token) for the patients in
-- turn, from an offset bench/http.py draws, so no one reaches the per-person token limit.
function init(args)
  n = tonumber(args[1])
  patients = tonumber(args[2])
  password = args[3]
  created, other = 0, 0
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local email = string.format("patient%05d@bench.mitra.test", 1 + n % patients)
  return wrk.format("POST", nil, nil,
    string.format('{"email": "%s", "password": "%s"}', email, password))
end

function response(status, headers, body)
  if status == 200 or status == 201 then created = created + 1 else other = other + 1 end
end
