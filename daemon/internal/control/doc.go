// Package control serves the daemon/api contract: HTTP/1.1 + JSON on a Unix
// socket, every route of api.Routes and nothing else.
//
// # Security
//
// The socket is the boundary. Its directory is created 0700, the socket is
// created under umask 077 and chmod 0600; a live daemon already answering on
// the path makes Listen fail, a stale socket is removed, and anything else
// at the path is left alone (Listen fails). Every accepted connection's peer
// uid is read with SO_PEERCRED: only the daemon's own uid and root are
// served, others get 403 forbidden and are closed before a request is read.
// Requests with an Origin or Referer header, or a Host other than
// localhost/p2pd (any port) or empty, are refused with 403 (browsers cannot
// reach the daemon through DNS rebinding or cross-site requests). Passwords
// in register/login bodies are never logged.
//
// # Events
//
// GET /v1/events streams NDJSON (SSE with Accept: text/event-stream),
// replaying the persisted log after ?since (or Last-Event-ID) and then live
// events. A consumer that falls more than engine.SubBuffer events behind
// gets an overflow event and is cut off; the daemon never blocks on it.
//
// # What it does not do
//
// No messaging logic (daemon/internal/engine) and no contract definitions
// (daemon/api).
package control
