-- wrk script: every request is a claim by a new volunteer (tokens from a file, one per line).
local next_thread = 1

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  tokens = {}
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  stride = tonumber(args[2])
  index = tid
  path = args[3]
end

function request()
  local token = tokens[index] or "tl_exhausted"
  index = index + stride
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. token,
                                   ["Content-Type"] = "application/json"}, '{"role": "canvasser"}')
end

function done(summary, latency, requests)
  io.write(string.format("LUA p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
