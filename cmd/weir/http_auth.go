package main

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// tokenCookie carries the token for a browser, once it opened
// /?token=TOKEN.
const tokenCookie = "weir_token"

// auth requires m.token (when set) on every request: as a bearer token
// or in the weir_token cookie. GET /?token=TOKEN sets that cookie and
// redirects to /. Anything else gets 401.
func (m *monitor) auth(next http.Handler) http.Handler {
	if m.token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := r.URL.Query().Get("token"); t != "" && r.URL.Path == "/" && r.Method == http.MethodGet {
			if !m.tokenOK(t) {
				httpError(w, http.StatusUnauthorized, "wrong token")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		if h := r.Header.Get("Authorization"); h != "" {
			if t, ok := strings.CutPrefix(h, "Bearer "); ok && m.tokenOK(t) {
				next.ServeHTTP(w, r)
				return
			}
		} else if c, err := r.Cookie(tokenCookie); err == nil && m.tokenOK(c.Value) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="weir"`)
		httpError(w, http.StatusUnauthorized, "this server needs its token: Authorization: Bearer TOKEN, or open /?token=TOKEN in a browser")
	})
}

// tokenOK compares t with the token in constant time.
func (m *monitor) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(m.token)) == 1
}
