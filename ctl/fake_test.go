package ctl

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/client/clienttest"
)

// fakeDaemon implements the control API with canned data on a real Unix
// socket. It is a unit-test fake for the CLI logic (the real daemon is
// tested in daemon/ and integration/). Magic inputs trigger the errors:
// user "nobody" is unknown, "taken" is taken, password "wrong" fails,
// recipient "held" has a pending key change, "slow" times out a wait.
type fakeDaemon struct {
	mu       sync.Mutex
	loggedIn bool
	relay    api.LinkState
	undec    uint64 // StatusResult.Undecryptable
	protocol uint64 // StatusResult.Relay.Protocol
	sent     []api.SendParams
	events   []api.Event
	live     chan api.Event // extra events pushed to open streams (chat tests)
}

var t0 = time.Date(2026, 11, 25, 14, 3, 0, 0, time.UTC)

const fakeID = "00112233445566778899aabbccddeeff"

func newFake(t *testing.T) (*fakeDaemon, string) {
	f := &fakeDaemon{loggedIn: true, relay: api.LinkConnected, undec: 2, protocol: 2, live: make(chan api.Event, 16)}
	f.events = []api.Event{
		{Cursor: 1, Type: api.EventConnection, Time: t0, Connection: &api.ConnectionEvent{State: api.LinkConnected}},
		{Cursor: 2, Type: api.EventMessage, Time: t0, Message: &api.Message{ID: fakeID, Seq: 1, Direction: api.DirectionIn, Peer: "alice", Text: "hi bob\nsecond line \x1b[31m", Status: api.StatusDelivered, Time: t0}},
		{Cursor: 3, Type: api.EventStatus, Time: t0.Add(time.Second), Message: &api.Message{ID: "ffeeddccbbaa99887766554433221100", Peer: "alice", Status: api.StatusDelivered}},
		{Cursor: 4, Type: api.EventKeyChange, Time: t0.Add(2 * time.Second), KeyChange: &api.KeyChange{User: "carol", OldFingerprint: "1111 2222", NewFingerprint: "3333 4444", WasVerified: true, Held: 1}},
		{Cursor: 5, Type: api.EventAccount, Time: t0.Add(3 * time.Second), Account: &api.AccountEvent{Username: "bob", LoggedIn: false}},
	}
	mux := http.NewServeMux()
	for pattern, h := range f.handlers() {
		mux.HandleFunc(pattern, h)
	}
	path := clienttest.Serve(t, mux)
	return f, path
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", api.ContentTypeJSON)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code api.Code, msg string) {
	failID(w, code, msg, "")
}

func failID(w http.ResponseWriter, code api.Code, msg, id string) {
	w.Header().Set("Content-Type", api.ContentTypeJSON)
	w.WriteHeader(api.HTTPStatus(code))
	json.NewEncoder(w).Encode(api.ErrorResponse{Error: api.Error{Code: code, Message: msg, MessageID: id}})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		fail(w, api.CodeBadRequest, "malformed JSON")
		return false
	}
	return true
}

func (f *fakeDaemon) handlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /v1/status":                        f.status,
		"POST /v1/register":                     f.register,
		"POST /v1/login":                        f.login,
		"POST /v1/logout":                       f.logout,
		"POST /v1/send":                         f.send,
		"GET /v1/contacts":                      f.contacts,
		"GET /v1/contacts/{user}/history":       f.history,
		"GET /v1/contacts/{user}/safety-number": f.safetyNumber,
		"POST /v1/contacts/{user}/verify":       f.verify,
		"POST /v1/contacts/{user}/trust":        f.trust,
		"GET /v1/messages/{id}/inspect":         f.inspect,
		"GET /v1/events":                        f.eventStream,
	}
}

func (f *fakeDaemon) status(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := api.StatusResult{DaemonVersion: "0.1.0", APIVersion: api.Version, Fingerprint: "ab12 cd34 ef56 7890",
		Relay: api.RelayStatus{Address: "127.0.0.1:4433", State: f.relay, KeyFingerprint: "9f9f 0a0a", Since: t0,
			Protocol: f.protocol},
		Outbox: api.OutboxStatus{Queued: 1, Held: 1}, Cursor: 5, Undecryptable: f.undec,
		KeyChanges: []api.KeyChange{*f.events[3].KeyChange}}
	if f.loggedIn {
		st.Username, st.LoggedIn = "bob", true
	}
	reply(w, st)
}

func (f *fakeDaemon) register(w http.ResponseWriter, r *http.Request) {
	var p api.RegisterParams
	if !decode(w, r, &p) {
		return
	}
	switch {
	case p.Username == "taken":
		fail(w, api.CodeUsernameTaken, "username taken")
	case len(p.Password) < 8:
		fail(w, api.CodeBadPassword, "password too short")
	default:
		reply(w, api.AccountResult{Username: p.Username, Fingerprint: "ab12 cd34 ef56 7890"})
	}
}

func (f *fakeDaemon) login(w http.ResponseWriter, r *http.Request) {
	var p api.LoginParams
	if !decode(w, r, &p) {
		return
	}
	if p.Password == "wrong" {
		fail(w, api.CodeAuthFailed, "wrong username or password")
		return
	}
	reply(w, api.AccountResult{Username: p.Username, Fingerprint: "ab12 cd34 ef56 7890", KeyChanged: p.Username == "mallory"})
}

func (f *fakeDaemon) logout(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.loggedIn {
		fail(w, api.CodeNotLoggedIn, "not logged in")
		return
	}
	f.loggedIn = false
	reply(w, api.LogoutResult{Username: "bob"})
}

func (f *fakeDaemon) send(w http.ResponseWriter, r *http.Request) {
	var p api.SendParams
	if !decode(w, r, &p) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, p)
	m := api.Message{ID: fakeID, Seq: 9, Direction: api.DirectionOut, Peer: p.To, Text: p.Text, Status: api.StatusQueued, Time: t0, Updated: t0}
	switch {
	case !f.loggedIn:
		fail(w, api.CodeNotLoggedIn, "not logged in")
	case p.To == "nobody":
		fail(w, api.CodeUnknownUser, "unknown user @nobody")
	case p.To == "held":
		m.Status = api.StatusHeld
		reply(w, api.SendResult{Message: m, Relay: f.relay})
	case p.Wait != "" && p.To == "slow":
		failID(w, api.CodeTimeout, "timed out waiting for status "+string(p.Wait)+" (the message is queued)", fakeID)
	case p.Wait != "" && f.relay != api.LinkConnected:
		failID(w, api.CodeRelayUnreachable, "relay unreachable (the message is queued)", fakeID)
	default:
		if p.Wait != "" {
			m.Status = p.Wait
		}
		if p.To == "dave" {
			m.Warning = api.CodeKeyChanged
		}
		reply(w, api.SendResult{Message: m, Relay: f.relay})
	}
}

func (f *fakeDaemon) contacts(w http.ResponseWriter, r *http.Request) {
	reply(w, api.ContactsResult{Contacts: []api.Contact{
		{Username: "alice", Fingerprint: "aaaa 1111", Trust: api.TrustVerified, Policy: api.PolicyDefault, LastMessage: t0, Unread: 2},
		{Username: "carol", Fingerprint: "3333 4444", Trust: api.TrustUnverified, KeyChanged: true, Held: 1, Policy: api.PolicyDefault},
	}})
}

func (f *fakeDaemon) history(w http.ResponseWriter, r *http.Request) {
	u := r.PathValue("user")
	if u != "alice" {
		fail(w, api.CodeNotFound, "no conversation with @"+u)
		return
	}
	reply(w, api.HistoryResult{User: "alice", More: true, Messages: []api.Message{
		{ID: "01", Seq: 7, Direction: api.DirectionOut, Peer: "alice", Text: "hello alice", Status: api.StatusRead, Time: t0},
		{ID: "02", Seq: 8, Direction: api.DirectionIn, Peer: "alice", Text: "hi bob \u202e evil", Status: api.StatusDelivered, Time: t0.Add(time.Minute)},
		{ID: "03", Seq: 9, Direction: api.DirectionOut, Peer: "alice", Text: "lost", Status: api.StatusFailed, Time: t0.Add(2 * time.Minute),
			Failure: &api.Error{Code: api.CodeRelayBusy, Message: "recipient mailbox full"}},
	}})
}

const fakeSafety = "12345 67890 12345 67890 12345 67890 12345 67890 12345 67890 12345 67890"

func (f *fakeDaemon) safetyNumber(w http.ResponseWriter, r *http.Request) {
	u := r.PathValue("user")
	if u == "nobody" {
		fail(w, api.CodeNotFound, "no contact @nobody")
		return
	}
	reply(w, api.SafetyNumberResult{User: u, SafetyNumber: fakeSafety, OwnFingerprint: "ab12 cd34", TheirFingerprint: "aaaa 1111", Trust: api.TrustUnverified})
}

func (f *fakeDaemon) verify(w http.ResponseWriter, r *http.Request) {
	var p api.VerifyParams
	if !decode(w, r, &p) {
		return
	}
	if p.SafetyNumber != fakeSafety {
		fail(w, api.CodeSafetyNumberMismatch, "the safety number changed")
		return
	}
	reply(w, api.ContactResult{Contact: api.Contact{Username: r.PathValue("user"), Fingerprint: "aaaa 1111", Trust: api.TrustVerified}})
}

func (f *fakeDaemon) trust(w http.ResponseWriter, r *http.Request) {
	var p api.TrustParams
	if !decode(w, r, &p) {
		return
	}
	if p.Fingerprint != "" && p.Fingerprint != "3333 4444" {
		fail(w, api.CodeSafetyNumberMismatch, "the pending key has another fingerprint")
		return
	}
	reply(w, api.TrustResult{Released: 1, Contact: api.Contact{Username: r.PathValue("user"), Fingerprint: "3333 4444", Trust: api.TrustUnverified}})
}

func (f *fakeDaemon) inspect(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != fakeID {
		fail(w, api.CodeNotFound, "no message "+r.PathValue("id"))
		return
	}
	reply(w, api.InspectResult{ID: fakeID, Direction: api.DirectionIn, Peer: "alice", Cipher: "AES-256-CTR + HMAC-SHA-256",
		SenderFingerprint: "aaaa 1111", RecipientFingerprint: "ab12 cd34", RatchetKey: "02" + "ab" + "cd", Counter: 3, PreviousCounter: 2,
		Initial: true, EphemeralKey: "03eeee", SignedPrekeyID: 7, OneTimePrekeyID: 12, AssociatedData: "a1b2", Ciphertext: "c0ffee", MAC: "deadbeef", EnvelopeBytes: 211})
}

// eventStream replays the log after since; with since absent it streams
// only the live channel until the client goes away; with since set it ends
// after the log.
func (f *fakeDaemon) eventStream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", api.ContentTypeNDJSON)
	enc := json.NewEncoder(w)
	since, hasSince := r.URL.Query().Get("since"), r.URL.Query().Has("since")
	after, _ := strconv.ParseUint(since, 10, 64)
	if hasSince && after < 5 {
		for _, ev := range f.events {
			if ev.Cursor > after {
				enc.Encode(ev)
			}
		}
		return
	}
	w.(http.Flusher).Flush()
	for {
		select {
		case ev := <-f.live:
			enc.Encode(ev)
			w.(http.Flusher).Flush()
		case <-r.Context().Done():
			return
		}
	}
}
