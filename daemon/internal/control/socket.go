package control

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrDaemonRunning is returned by Listen when a live daemon answers on the
// socket path.
var ErrDaemonRunning = errors.New("control: another p2pd is already running on this socket")

// Listen prepares the socket directory (0700), refuses a live socket,
// removes a stale one and listens with mode 0600.
func Listen(path string) (net.Listener, error) {
	if len(path) > 107 {
		return nil, fmt.Errorf("control: socket path longer than 107 bytes: %s", path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("control: socket directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("control: socket directory: %w", err)
	}
	if err := clearStale(path); err != nil {
		return nil, err
	}
	old := syscall.Umask(0o077) // process-wide; p2pd calls Listen once at start
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("control: listen: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("control: chmod socket: %w", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	return &credListener{UnixListener: ln.(*net.UnixListener), uid: os.Getuid()}, nil
}

// clearStale removes a socket nobody answers on; a live one or a
// non-socket file is an error.
func clearStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("control: %s exists and is not a socket; not removing it", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		_ = c.Close()
		return fmt.Errorf("%w (%s)", ErrDaemonRunning, path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("control: remove stale socket: %w", err)
	}
	return nil
}

// credListener serves only peers with the daemon's uid or root.
type credListener struct {
	*net.UnixListener
	uid int
}

// Accept returns the next permitted connection; refused peers get a 403
// response and are closed here.
func (l *credListener) Accept() (net.Conn, error) {
	for {
		c, err := l.UnixListener.AcceptUnix()
		if err != nil {
			return nil, err
		}
		uid, err := peerUID(c)
		if err == nil && (uid == l.uid || uid == 0) {
			return c, nil
		}
		go refuse(c)
	}
}

func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Ucred
	var serr error
	err = raw.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil || serr != nil {
		return -1, errors.Join(err, serr)
	}
	return int(cred.Uid), nil
}

const forbiddenBody = `{"error":{"code":"forbidden","message":"this socket serves only the user running p2pd"}}`

// refuse reads (and discards) at most one request head, so HTTP clients
// see the answer as the response to their request, then answers 403 and
// closes. Nothing of the request is interpreted.
func refuse(c *net.UnixConn) {
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 0, 1024)
	tmp := make([]byte, 1024)
	for len(buf) < 16<<10 && !bytes.Contains(buf, []byte("\r\n\r\n")) {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			break
		}
	}
	_, _ = fmt.Fprintf(c, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		len(forbiddenBody), forbiddenBody)
	_ = c.Close()
}
