-- Weir's live example: a word count over generated words that runs until
-- Ctrl-C. Watch it on the monitoring page:
--   weir run --example live --http 127.0.0.1:8080
-- then open http://127.0.0.1:8080/ (rates, delays, the plan, the top words).
CREATE TABLE words (
  ts   TIMESTAMP(3),
  word VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '200' MILLISECOND
) WITH (connector = 'datagen', rows_per_second = '300', 'fields.word.length' = '1');

-- Query 1: every word's count so far, an updating result (the page shows
-- the current counts, the rows each batch changed marked).
SELECT word, COUNT(*) AS n FROM words GROUP BY word;

-- Query 2: three words' counts per second, drawn as a chart on the page.
CREATE TABLE live (window_end TIMESTAMP(3), word VARCHAR, n BIGINT)
  WITH (connector = 'dashboard', chart = 'line', x = 'window_end', y = 'n', series = 'word');
INSERT INTO live
SELECT window_end, word, COUNT(*) AS n FROM words WHERE word IN ('a', 'e', 'o')
GROUP BY word, TUMBLE(ts, INTERVAL '1' SECOND);
