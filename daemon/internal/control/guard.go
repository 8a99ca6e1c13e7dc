package control

import (
	"net"
	"net/http"

	"github.com/securep2p/securep2p/daemon/api"
)

// guard refuses browser-originated requests and foreign Host headers
// before any handler runs.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
			writeError(w, &api.Error{Code: api.CodeForbidden, Message: "requests with Origin or Referer are refused"})
			return
		}
		if !allowedHost(r.Host) {
			writeError(w, &api.Error{Code: api.CodeForbidden, Message: "foreign Host header refused"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func allowedHost(h string) bool {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return h == "" || h == api.Host || h == "p2pd"
}
