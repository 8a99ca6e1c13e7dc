package client

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Hard limits of the response parser.
const (
	maxHeadLine  = 8 << 10 // bytes of the status line or one header line
	maxHeaders   = 64      // header lines
	maxChunkSize = 1 << 24 // bytes of one chunk (16 MiB; bodies are limited separately)
)

var errLineTooLong = errors.New("line too long")

// head is a parsed response status line and headers. Header names are
// lowercased; a repeated header keeps its last value.
type head struct {
	status int
	header map[string]string
}

// readLine reads one CRLF- (or LF-) terminated line of at most maxHeadLine
// bytes, without the terminator.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		frag, err := br.ReadSlice('\n')
		b = append(b, frag...)
		if len(b) > maxHeadLine+2 {
			return "", errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
	}
}

// readHead parses "HTTP/1.x NNN reason" and the header lines, skipping
// informational (1xx) responses.
func readHead(br *bufio.Reader) (*head, error) {
	for range 4 {
		h, err := readOneHead(br)
		if err != nil || h.status >= 200 {
			return h, err
		}
	}
	return nil, errors.New("too many informational responses")
}

func readOneHead(br *bufio.Reader) (*head, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if (proto != "HTTP/1.1" && proto != "HTTP/1.0") || err != nil || len(code) != 3 || status < 100 {
		return nil, fmt.Errorf("bad status line %q", truncate(line, 40))
	}
	h := &head{status: status, header: map[string]string{}}
	for i := 0; ; i++ {
		line, err := readLine(br)
		if err != nil {
			return nil, err
		}
		if line == "" {
			return h, nil
		}
		if i >= maxHeaders {
			return nil, errors.New("too many header lines")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("bad header line %q", truncate(line, 40))
		}
		h.header[strings.ToLower(name)] = strings.TrimSpace(value)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// chunkedReader decodes an HTTP/1.1 chunked body.
type chunkedReader struct {
	r    *bufio.Reader
	left int64 // bytes left in the current chunk
	done bool
	err  error
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.left == 0 && !c.done {
		c.err = c.nextChunk()
		if c.err != nil {
			return 0, c.err
		}
	}
	if c.done {
		c.err = io.EOF
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && c.left == 0 {
		err = c.chunkEnd()
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// nextChunk reads a chunk-size line; size 0 ends the body (trailers are
// read and ignored).
func (c *chunkedReader) nextChunk() error {
	line, err := readLine(c.r)
	if err != nil {
		return err
	}
	size, _, _ := strings.Cut(line, ";")
	n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
	if err != nil || n < 0 || n > maxChunkSize {
		return fmt.Errorf("bad chunk size %q", truncate(line, 20))
	}
	if n > 0 {
		c.left = n
		return nil
	}
	c.done = true
	for i := 0; ; i++ {
		t, err := readLine(c.r)
		if err != nil || t == "" {
			return err
		}
		if i >= maxHeaders {
			return errors.New("too many trailer lines")
		}
	}
}

func (c *chunkedReader) chunkEnd() error {
	line, err := readLine(c.r)
	if err == nil && line != "" {
		err = errors.New("missing CRLF after chunk")
	}
	return err
}
