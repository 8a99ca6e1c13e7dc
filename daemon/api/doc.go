// Package api is the control-API contract between p2pd and its clients
// (p2pctl, daemon/client, scripts using curl --unix-socket).
//
// # What it owns
//
//   - The transport rules: HTTP/1.1 + JSON over a Unix socket whose default
//     path is given by [SocketPath] (so the daemon and the CLI agree).
//   - The route table [Routes] (method, path pattern, request and response
//     types), sorted and test-guarded, and its reference document API.md.
//   - Every request, response and event type, with JSON tags.
//   - The error taxonomy: one error shape ([ErrorResponse]), stable string
//     [Code]s, and one table mapping each code to an HTTP status and a p2pctl
//     exit code ([CodeInfo], [ExitCode]).
//
// # What it promises
//
// Field names, codes, event types and statuses never change meaning within
// /v1/; new ones are only added. No type here carries a private key, a chain
// or message key, or a password except the password field of
// [RegisterParams]/[LoginParams], which the daemon never logs or echoes.
// [InspectResult] carries public values only.
//
// # What it does not do
//
// It has no behaviour: no I/O, no network, no validation logic beyond the
// limits it declares as constants. The server is daemon/internal/control;
// the Go client is daemon/client; the CLI is ctl.
package api

// Version is the API version; every route lives under [PathPrefix].
const Version = "v1"

// PathPrefix is the common prefix of every route.
const PathPrefix = "/" + Version + "/"

// Host is the Host header the Go client sends (URLs are
// http://localhost/v1/...). The daemon accepts only "localhost", "p2pd" or an
// empty Host, with an optional port, and refuses any request carrying an
// Origin or Referer header (browsers cannot talk to the socket).
const Host = "localhost"

// Content types.
const (
	ContentTypeJSON   = "application/json"
	ContentTypeNDJSON = "application/x-ndjson" // events, one JSON object per line
	ContentTypeSSE    = "text/event-stream"    // events when the Accept header asks for it
)

// Limits. The daemon enforces them; clients may check them early for a
// better message, and must treat anything beyond them as an error.
const (
	MaxTextBytes        = 16 << 10  // bytes of UTF-8 text in one message
	MaxRequestBytes     = 64 << 10  // bytes of one request body
	MaxResponseBytes    = 8 << 20   // bytes of one non-streaming response body (clients' read limit)
	MaxEventLineBytes   = 256 << 10 // bytes of one NDJSON event line, newline excluded
	MaxPasswordBytes    = 256       // bytes of a password
	MaxUsernameBytes    = 32        // bytes of a username (after an optional leading @)
	MessageIDLen        = 32        // lowercase hex characters of a message id (128 bits)
	DefaultHistoryLimit = 50        // messages per history page when limit is 0
	MaxHistoryLimit     = 500       // messages per history page
	DefaultWaitMS       = 30_000    // milliseconds a wait lasts when wait is set and timeout_ms is 0
	MaxWaitMS           = 600_000   // milliseconds, the longest allowed timeout_ms
)
