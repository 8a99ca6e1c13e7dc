package control

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/securep2p/securep2p/daemon/api"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		raw = []byte(`{"error":{"code":"internal","message":"encode response"}}`)
	}
	w.Header().Set("Content-Type", api.ContentTypeJSON)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(raw, '\n'))
}

// writeError writes the one error shape; errors that are not *api.Error
// become internal (their text is not shown: it could carry details).
func writeError(w http.ResponseWriter, err error) {
	var ae *api.Error
	if !errors.As(err, &ae) {
		ae = &api.Error{Code: api.CodeInternal, Message: "internal error: see the p2pd log"}
	}
	writeJSON(w, api.HTTPStatus(ae.Code), api.ErrorResponse{Error: *ae})
}
