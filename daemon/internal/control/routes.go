package control

import (
	"context"
	"net/http"
	"strings"

	"github.com/securep2p/securep2p/daemon/api"
)

// handlerEntry is one row of the handler table.
type handlerEntry struct {
	pattern string // "METHOD /v1/path", as api.Route.Pattern
	h       http.HandlerFunc
}

// handlers is the handler table, sorted like api.Routes (by path, then
// method); TestHandlersSorted and TestHandlersMatchRoutes guard it.
func (s *Server) handlers() []handlerEntry {
	e := s.cfg.Engine
	return []handlerEntry{
		{"GET /v1/contacts", call(e.Contacts)},
		{"GET /v1/contacts/{user}", call(e.Contact)},
		{"GET /v1/contacts/{user}/history", call(e.History)},
		{"GET /v1/contacts/{user}/safety-number", call(e.SafetyNumber)},
		{"POST /v1/contacts/{user}/settings", call(e.ContactSettings)},
		{"POST /v1/contacts/{user}/trust", call(e.Trust)},
		{"POST /v1/contacts/{user}/verify", call(e.Verify)},
		{"GET /v1/events", s.events},
		{"POST /v1/login", call(e.Login)},
		{"POST /v1/logout", call(func(ctx context.Context, _ api.LogoutParams) (api.LogoutResult, error) { return e.Logout(ctx) })},
		{"GET /v1/messages/{id}", call(e.Message)},
		{"GET /v1/messages/{id}/inspect", call(e.Inspect)},
		{"POST /v1/register", call(e.Register)},
		{"POST /v1/send", call(e.Send)},
		{"GET /v1/status", call(e.Status)},
	}
}

// routes registers the table, a JSON 405 for known paths with another
// method, and a JSON 404 for everything else.
func (s *Server) routes() {
	paths := map[string]bool{}
	for _, h := range s.handlers() {
		s.mux.HandleFunc(h.pattern, h.h)
		paths[strings.SplitN(h.pattern, " ", 2)[1]] = true
	}
	for p := range paths {
		s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			writeError(w, &api.Error{Code: api.CodeMethodNotAllowed, Message: r.Method + " is not allowed on " + p})
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &api.Error{Code: api.CodeUnknownRoute, Message: "no route " + r.URL.Path + " (this daemon speaks /" + api.Version + "/)"})
	})
}

// call adapts an engine method to an HTTP handler: decode params, call,
// write the result or the error.
func call[P, R any](fn func(context.Context, P) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p P
		if err := decodeParams(r, &p); err != nil {
			writeError(w, err)
			return
		}
		res, err := fn(r.Context(), p)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}
