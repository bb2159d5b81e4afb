// Package dashboard is the "dashboard" connector: a sink that shows a
// query's results as a chart on the page that weir serves with --http,
// for those who want a live dashboard as the output of a query. It also
// holds what the sink shares with that HTTP server: the charts (Chart,
// Point) and the Hub that keeps the latest of each and tells the page's
// event stream when one changes.
//
//	CREATE TABLE live (window_end TIMESTAMP, word VARCHAR, n BIGINT)
//	  WITH (connector = 'dashboard', chart = 'line', x = 'window_end', y = 'n', series = 'word');
//	INSERT INTO live SELECT window_end, word, COUNT(*) FROM TABLE(TUMBLE(...)) GROUP BY ...;
//
// Options x and y name the columns drawn on each axis (y numeric), series
// the column whose values split the points into lines or bar groups, and
// chart one of 'line', 'bar' or 'table'. A misspelt option or a column the
// table does not have is an error when the table is created.
//
// The sink takes append-only rows (each row is a point; the last 2000
// are kept) and an updating query's changelog (a row replaces the point of
// its key, the sink key when the planner knows one, else the whole row; a
// retraction removes it; at most 2000 points, the least recently updated
// go first). After each micro-batch that changed its points it publishes
// the chart to a Hub, Default unless built with NewSinkFactory, which the
// HTTP server reads for GET /api/dashboards and the "dashboard" event.
//
// The command registers it explicitly:
//
//	reg.RegisterSink("dashboard", dashboard.NewSink, dashboard.Config())
package dashboard
