// Package clienttest serves a control-API handler on a real Unix socket for
// the tests of the socket's clients (daemon/client, p2pctl). It is for
// tests only: nothing else imports it, so no binary links it.
package clienttest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

// Serve runs h on a Unix socket named api.SocketName in a new short
// temporary directory (socket paths are limited to ~100 bytes, so not
// under t.TempDir) and returns the socket's path. Server and directory
// are removed when the test ends.
func Serve(tb testing.TB, h http.Handler) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "p2psock")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, api.SocketName)
	ln, err := net.Listen("unix", path)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	tb.Cleanup(srv.Close)
	return path
}
