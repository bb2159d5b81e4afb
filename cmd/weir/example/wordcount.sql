-- Weir's bundled example: words per minute in a small application log.
-- Run it with `weir run` (no arguments); its data is logs.csv beside it.
CREATE TABLE logs (
  ts    TIMESTAMP(3),
  level VARCHAR(8),
  msg   VARCHAR(256),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'logs.csv', format = 'csv');

-- Word count per one-minute tumbling window; words seen at least twice.
-- STRING_TO_ARRAY splits at every separator, so two spaces in a row give
-- an empty word between them: the WHERE drops those.
SELECT window_start, window_end, word, COUNT(*) AS n
FROM (
  SELECT ts, UNNEST(STRING_TO_ARRAY(LOWER(msg), ' ')) AS word FROM logs
) AS w
WHERE word <> ''
GROUP BY word, TUMBLE(ts, INTERVAL '1' MINUTE)
HAVING COUNT(*) >= 2
ORDER BY window_start, n DESC, word;
