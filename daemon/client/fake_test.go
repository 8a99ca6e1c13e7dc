package client

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/client/clienttest"
)

// serve runs h on a real Unix socket and returns its path.
func serve(t *testing.T, h http.Handler) string { return clienttest.Serve(t, h) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", api.ContentTypeJSON)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code api.Code, msg string) {
	writeJSON(w, api.HTTPStatus(code), api.ErrorResponse{Error: api.Error{Code: code, Message: msg}})
}
