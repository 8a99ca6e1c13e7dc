package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// response is an open HTTP response: the connection stays open until Close.
type response struct {
	status int
	ctype  string
	body   io.Reader
	conn   net.Conn
	stop   func() bool // detaches the context watcher
}

// Close closes the connection (idempotent).
func (r *response) Close() error {
	r.stop()
	return r.conn.Close()
}

// do dials the socket, writes req, and reads the response head. The context
// bounds the whole exchange until the response is closed: cancelling it
// closes the connection.
func (c *Client) do(ctx context.Context, req *request) (*response, error) {
	path, err := c.socket()
	if err != nil {
		return nil, err
	}
	conn, err := dial(ctx, path)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	resp, err := c.exchange(conn, req)
	if err != nil {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	resp.conn, resp.stop = conn, stop
	return resp, nil
}

func (c *Client) exchange(conn net.Conn, req *request) (*response, error) {
	if _, err := conn.Write(c.encodeRequest(req)); err != nil {
		return nil, unreachable(fmt.Sprintf("writing to p2pd: %v", err), err)
	}
	br := bufio.NewReaderSize(conn, 4096)
	head, err := readHead(br)
	if err != nil {
		return nil, unreachable(fmt.Sprintf("p2pd closed the connection or answered badly: %v", err), err)
	}
	body, err := head.bodyReader(br)
	if err != nil {
		return nil, unreachable(err.Error(), err)
	}
	return &response{status: head.status, ctype: head.header["content-type"], body: body}, nil
}

func (c *Client) encodeRequest(req *request) []byte {
	ua := c.UserAgent
	if ua == "" {
		ua = "securep2p-client"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: %s\r\nConnection: close\r\n",
		req.method, req.target, api.Host, ua, req.accept)
	if req.body != nil {
		fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Length: %d\r\n", api.ContentTypeJSON, len(req.body))
	}
	b.WriteString("\r\n")
	b.Write(req.body)
	return []byte(b.String())
}

// dial connects to the socket, classifying failures: no socket or nobody
// listening is daemon_not_running; permission denied is forbidden.
func dial(ctx context.Context, path string) (net.Conn, error) {
	if len(path) > api.MaxSocketPath {
		return nil, &Error{Code: api.CodeDaemonUnreachable, Message: fmt.Sprintf("socket path is longer than %d bytes: %s", api.MaxSocketPath, path)}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		return conn, nil
	}
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, syscall.ENOENT):
		return nil, &Error{Code: api.CodeDaemonNotRunning, Message: "p2pd is not running (no socket at " + path + ")", Err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, &Error{Code: api.CodeDaemonNotRunning, Message: "p2pd is not running (stale socket at " + path + ")", Err: err}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return nil, &Error{Code: api.CodeForbidden, Message: "permission denied on " + path + " (p2pd runs as another user?)", Err: err}
	}
	return nil, unreachable(fmt.Sprintf("cannot connect to p2pd at %s: %v", path, err), err)
}

func unreachable(msg string, err error) *Error {
	return &Error{Code: api.CodeDaemonUnreachable, Message: msg, Err: err}
}

// bodyReader picks the framing of the body: chunked, Content-Length, or
// until the connection closes.
func (h *head) bodyReader(br *bufio.Reader) (io.Reader, error) {
	if te := h.header["transfer-encoding"]; te != "" {
		if !strings.EqualFold(te, "chunked") {
			return nil, fmt.Errorf("unsupported transfer encoding %q", te)
		}
		return &chunkedReader{r: br}, nil
	}
	if cl := h.header["content-length"]; cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad Content-Length %q", cl)
		}
		return io.LimitReader(br, n), nil
	}
	return br, nil
}
