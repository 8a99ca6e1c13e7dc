// Package client is the Go client library for p2pd's control socket
// (HTTP/1.1 + JSON over a Unix socket, contract in daemon/api).
//
// # What it owns
//
//   - [Client], whose zero value works (it dials [api.DefaultSocketPath]),
//     with one method per route taking (ctx, Params) and returning
//     (Result, error).
//   - [Watcher], the event stream (Next/Close), and [DecodeEvent], its
//     line parser.
//   - [Error], the typed error carrying an [api.Code], and IsX helpers;
//     "daemon not running" is detected from the dial error.
//
// # What it promises
//
// Every response is read under hard limits (header size, body size, event
// line size). Passwords travel only in request bodies and never appear in
// an error. The context bounds every call, streams included.
//
// # What it does not do
//
// It does not use net/http: that package links crypto/tls, and p2pctl must
// link no cryptography (ctl's TestP2pctlDependencies). A small HTTP/1.1
// client (one connection per request, Connection: close) is enough for a
// local socket. It does not retry, reconnect streams, or validate inputs
// beyond what the daemon validates.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/securep2p/securep2p/daemon/api"
)

// Client talks to one p2pd. The zero value uses the default socket path.
// A Client is safe for concurrent use; it holds no connection between calls.
type Client struct {
	// Socket is the control socket path; "" means api.DefaultSocketPath().
	Socket string
	// UserAgent is sent with every request; "" means "securep2p-client".
	UserAgent string
}

func (c *Client) socket() (string, error) {
	if c.Socket != "" {
		return c.Socket, nil
	}
	p, err := api.DefaultSocketPath()
	if err != nil {
		return "", &Error{Code: api.CodeDaemonNotRunning, Message: "cannot find p2pd's socket: " + err.Error(), Err: err}
	}
	return p, nil
}

// call performs the route named by pattern ("GET /v1/status") with params
// and decodes the result into R.
func call[R any](ctx context.Context, c *Client, pattern string, params any) (R, error) {
	var res R
	req, err := buildRequest(pattern, params)
	if err != nil {
		return res, err
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return res, err
	}
	defer resp.Close()
	if err := resp.decodeJSON(&res); err != nil {
		return res, err
	}
	return res, nil
}

// request is what buildRequest produces for the transport.
type request struct {
	method, target string // target: path plus query
	body           []byte // nil for GET
	accept         string
}

// buildRequest fills the pattern's {name} parts from params fields tagged
// path:"name", adds query:"name" fields that are not zero, and for POST
// encodes params as the JSON body.
func buildRequest(pattern string, params any) (*request, error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return nil, fmt.Errorf("client: bad route pattern %q", pattern)
	}
	q := url.Values{}
	v := reflect.ValueOf(params)
	for i := 0; i < v.NumField(); i++ {
		f, fv := v.Type().Field(i), v.Field(i)
		if name, ok := f.Tag.Lookup("path"); ok {
			s := formatValue(fv)
			if s == "" {
				return nil, &Error{Code: api.CodeBadRequest, Message: "missing " + name}
			}
			path = strings.Replace(path, "{"+name+"}", url.PathEscape(s), 1)
		}
		if name, ok := f.Tag.Lookup("query"); ok && !fv.IsZero() {
			q.Set(name, formatValue(fv))
		}
	}
	req := &request{method: method, target: path, accept: api.ContentTypeJSON}
	if len(q) > 0 {
		req.target += "?" + q.Encode()
	}
	if method != "GET" {
		b, err := json.Marshal(params)
		if err != nil {
			return nil, fmt.Errorf("client: encode request: %w", err)
		}
		req.body = b
	}
	return req, nil
}

func formatValue(v reflect.Value) string {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return fmt.Sprint(v.Interface())
}

// decodeJSON reads a whole (limited) body: a 2xx into out, anything else
// into an *Error.
func (r *response) decodeJSON(out any) error {
	b, err := io.ReadAll(io.LimitReader(r.body, api.MaxResponseBytes+1))
	if err != nil {
		return unreachable(fmt.Sprintf("reading p2pd's response: %v", err), err)
	}
	if len(b) > api.MaxResponseBytes {
		return unreachable("p2pd's response is larger than the limit", nil)
	}
	if r.status < 200 || r.status > 299 {
		return decodeError(r.status, b)
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(out); err != nil {
		return unreachable(fmt.Sprintf("p2pd sent malformed JSON (HTTP %d)", r.status), err)
	}
	return nil
}

// decodeError turns a non-2xx body into an *Error. A body that is not the
// API's error shape yields daemon_unreachable with the HTTP status (it is
// not p2pd answering, or not a compatible one).
func decodeError(status int, body []byte) error {
	var er api.ErrorResponse
	if err := json.Unmarshal(body, &er); err != nil || er.Error.Code == "" {
		return &Error{Code: api.CodeDaemonUnreachable, HTTPStatus: status,
			Message: fmt.Sprintf("the socket answered HTTP %d without an API error (is it p2pd?)", status)}
	}
	return &Error{Code: er.Error.Code, Message: er.Error.Message, MessageID: er.Error.MessageID, HTTPStatus: status}
}
