package api

import "reflect"

// Route is one entry of the route table.
type Route struct {
	Method string // GET or POST
	// Path is a net/http ServeMux pattern path: {user} is a username (an
	// optional leading @ is ignored, URL-escaped), {id} a message id.
	Path string
	// Request is the params type. For GET its fields are taken from the path
	// (tag path:"name") and the query (tag query:"name"); for POST the body is
	// the JSON encoding of the fields with json tags (path fields as for GET).
	// An unknown field in a body is bad_request.
	Request reflect.Type
	// Response is the JSON body of a 200 response; for a stream, the type of
	// one event.
	Response reflect.Type
	Stream   bool   // NDJSON/SSE stream of Response values
	Summary  string // one line, as in API.md
}

// Pattern is the net/http ServeMux pattern of r, e.g. "GET /v1/status".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

func typ[T any]() reflect.Type { return reflect.TypeFor[T]() }

// Routes is the route table, sorted by Path then Method (TestRoutesSorted).
// API.md documents exactly these routes (TestRoutesDocumented) and the
// daemon serves exactly these routes.
var Routes = []Route{
	{"GET", "/v1/contacts", typ[ContactsParams](), typ[ContactsResult](), false, "list contacts"},
	{"GET", "/v1/contacts/{user}", typ[ContactParams](), typ[ContactResult](), false, "show one contact"},
	{"GET", "/v1/contacts/{user}/history", typ[HistoryParams](), typ[HistoryResult](), false, "one page of the conversation with a user"},
	{"GET", "/v1/contacts/{user}/safety-number", typ[SafetyNumberParams](), typ[SafetyNumberResult](), false, "the safety number to compare out of band"},
	{"POST", "/v1/contacts/{user}/settings", typ[ContactSettingsParams](), typ[ContactResult](), false, "change a contact's key-change policy or read receipts"},
	{"POST", "/v1/contacts/{user}/trust", typ[TrustParams](), typ[TrustResult](), false, "accept a contact's changed identity key and release held messages"},
	{"POST", "/v1/contacts/{user}/verify", typ[VerifyParams](), typ[ContactResult](), false, "mark a contact verified after comparing the safety number"},
	{"GET", "/v1/events", typ[EventsParams](), typ[Event](), true, "stream events (NDJSON, or SSE), resumable with since"},
	{"POST", "/v1/login", typ[LoginParams](), typ[AccountResult](), false, "log in to an existing account"},
	{"POST", "/v1/logout", typ[LogoutParams](), typ[LogoutResult](), false, "log out (the outbox is kept)"},
	{"GET", "/v1/messages/{id}", typ[MessageParams](), typ[MessageResult](), false, "one message and its status, optionally waiting for a status"},
	{"GET", "/v1/messages/{id}/inspect", typ[InspectParams](), typ[InspectResult](), false, "public cryptographic details of a message"},
	{"POST", "/v1/register", typ[RegisterParams](), typ[AccountResult](), false, "create an account and log in"},
	{"POST", "/v1/send", typ[SendParams](), typ[SendResult](), false, "queue a message, optionally waiting for a status"},
	{"GET", "/v1/status", typ[StatusParams](), typ[StatusResult](), false, "daemon, account, relay link and outbox state"},
}
