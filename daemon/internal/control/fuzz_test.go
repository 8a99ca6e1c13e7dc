package control

import (
	"net/http"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

func FuzzDecodeParams(f *testing.F) {
	f.Add(`{"to":"@bob","text":"hi","wait":"sent","timeout_ms":100}`, "since=3")
	f.Add(`{"username":"alice","password":"correct horse"}`, "limit=10&before=5")
	f.Add(``, "since=-1")
	f.Fuzz(func(t *testing.T, body, query string) {
		req, err := http.NewRequest("POST", "http://localhost/v1/send?"+query, strings.NewReader(body))
		if err != nil {
			return
		}
		var p api.SendParams
		_ = decodeParams(req, &p)
		g, err := http.NewRequest("GET", "http://localhost/v1/contacts/x/history?"+query, nil)
		if err != nil {
			return
		}
		var h api.HistoryParams
		_ = decodeParams(g, &h)
		var ev api.EventsParams
		_ = decodeParams(g, &ev)
	})
}
