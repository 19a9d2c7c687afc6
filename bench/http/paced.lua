-- wrk script: live conversations, each posting one customer turn every WARMLINE_BENCH_PERIOD_MS.
-- With C connections and period P ms the offered load is about C * 1000 / P turns/s (a
-- connection waits P ms before each request, so the rate drops a little as latency grows;
-- the bench prints the rate achieved). Each wrk thread has WARMLINE_BENCH_LIVE conversations
-- of its own, which take turns round robin.
counter = 0
local period = tonumber(os.getenv("WARMLINE_BENCH_PERIOD_MS") or "50")
local live = tonumber(os.getenv("WARMLINE_BENCH_LIVE") or "1000")
local run = os.getenv("WARMLINE_BENCH_RUN") or "r"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("WARMLINE_BENCH_KEY")
-- Every customer text is unique (%s: the thread and request number), so nothing the
-- server remembers per utterance (the intent memo) sees a text twice unless it re-reads it.
local texts = {
  '{"turns": [{"speaker": "customer", "text": "My invoice looks wrong this month, can you check it? Ref %s", "at": "2026-11-24T10:00:00-06:00"}]}',
  '{"turns": [{"speaker": "ai", "text": "I can see two charges on the 3rd; one is a pending hold.", "confidence": 0.86, "question_type": "billing", "at": "2026-11-24T10:00:03-06:00"}]}',
  '{"turns": [{"speaker": "customer", "text": "ok, and when does the hold drop off for %s?", "at": "2026-11-24T10:00:09-06:00"}]}',
  '{"turns": [{"speaker": "ai", "text": "Within three business days.", "confidence": 0.91, "question_type": "billing", "at": "2026-11-24T10:00:12-06:00"}]}',
}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(os.time() + id)
end
-- Jittered around the period (same mean): connections that all start at once would
-- otherwise stay phase-locked and arrive in bursts of C requests.
function delay()
  return math.random(math.floor(period / 2), math.floor(period * 3 / 2))
end
request = function()
  counter = counter + 1
  local conv = counter % live
  local step = (math.floor(counter / live) % #texts) + 1
  return wrk.format(nil, "/v1/conversations/" .. run .. "-" .. id .. "-" .. conv .. "/turns",
                    nil, string.format(texts[step], id .. "-" .. counter))
end
