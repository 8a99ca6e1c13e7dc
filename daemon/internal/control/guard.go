package control

import (
	"bytes"
	"cmp"
	"io"
	"net"
	"net/http"
	"time"

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
		if !readBodyFirst(w, r, cmp.Or(s.cfg.bodyTimeout, defaultBodyTimeout)) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// defaultBodyTimeout bounds reading a request body. The server has no ReadTimeout
// (it would also end the long waits of send --wait and the event streams),
// so a client that sent its headers and then trickles its body would hold
// a connection and a goroutine for ever.
const defaultBodyTimeout = 10 * time.Second

// readBodyFirst reads the body (at most MaxRequestBytes+1 bytes; the
// handler reports a larger one) within timeout and hands the handler the
// bytes read. It reports false, having answered, when the body did not
// arrive in time.
func readBodyFirst(w http.ResponseWriter, r *http.Request, timeout time.Duration) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(timeout))
	raw, err := io.ReadAll(io.LimitReader(r.Body, api.MaxRequestBytes+1))
	if err != nil {
		// The deadline stays: the connection closes after this answer
		// instead of waiting for the rest of the body.
		w.Header().Set("Connection", "close")
		writeError(w, badRequest("read body: the request body did not arrive within %v", timeout))
		return false
	}
	_ = rc.SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return true
}

func allowedHost(h string) bool {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return h == "" || h == api.Host || h == "p2pd"
}
