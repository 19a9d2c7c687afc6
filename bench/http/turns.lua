-- wrk script: POST one customer turn to one of 1,000 live conversations, round robin.
counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("WARMLINE_BENCH_KEY")
wrk.body = '{"turns": [{"speaker": "customer", "text": "My invoice looks wrong this month, can you check it?", "at": "2026-11-24T10:00:00-06:00"}, {"speaker": "ai", "text": "Let me look at your invoice.", "confidence": 0.82, "question_type": "billing", "at": "2026-11-24T10:00:03-06:00"}]}'
request = function()
  counter = counter + 1
  return wrk.format(nil, "/v1/conversations/bench-" .. (counter % 1000) .. "/turns")
end
