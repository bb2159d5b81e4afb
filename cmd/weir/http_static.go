package main

import (
	"embed"
	"io/fs"
	"net/http"
)

// webFS holds the page: web/index.html and web/static/....
//
//go:embed web
var webFS embed.FS

// serveIndex serves the page at /.
func serveIndex(w http.ResponseWriter, r *http.Request) {
	b, err := webFS.ReadFile("web/index.html")
	if err != nil {
		httpError(w, http.StatusInternalServerError, "the page is missing from this build")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// staticHandler serves /static/... from web/static.
func staticHandler() http.Handler {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err) // web is embedded at build time
	}
	return http.FileServer(http.FS(sub))
}
