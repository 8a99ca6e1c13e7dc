package ctl

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"

	"github.com/securep2p/securep2p/daemon/api"
	"golang.org/x/sys/unix"
)

// password reads a password from stdin (first line) or, without
// --password-stdin, prompts on the terminal without echo (twice when
// confirm is set).
func (c *cli) password(ctx context.Context, fromStdin, confirm bool) (string, error) {
	if fromStdin {
		return readSecretLine(c.stdio.In)
	}
	pw, err := c.askPassword(ctx, "Password for @"+c.user+": ")
	if err != nil || !confirm {
		return pw, err
	}
	again, err := c.askPassword(ctx, "Repeat the password: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", usagef("the passwords do not match")
	}
	return pw, nil
}

// readSecretLine reads one line of at most api.MaxPasswordBytes bytes,
// without its line ending. Longer input is an error that does not echo it.
func readSecretLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(r, api.MaxPasswordBytes+8)
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return "", apiErr(api.CodeBadPassword, "password longer than %d bytes", api.MaxPasswordBytes)
	}
	if err != nil && err != io.EOF {
		return "", err
	}
	s := strings.TrimRight(string(line), "\r\n")
	if s == "" {
		return "", apiErr(api.CodeBadPassword, "empty password on stdin")
	}
	return s, nil
}

// ttyPassword prompts on /dev/tty with echo off (termios), restoring the
// terminal before it returns, also when ctx is cancelled (Ctrl-C).
func ttyPassword(ctx context.Context, prompt string) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", usagef("no terminal to ask for the password: use --password-stdin")
	}
	defer tty.Close()
	fd := int(tty.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", usagef("cannot turn off echo on the terminal: use --password-stdin")
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &noEcho); err != nil {
		return "", usagef("cannot turn off echo on the terminal: use --password-stdin")
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	io.WriteString(tty, prompt)
	defer io.WriteString(tty, "\n")
	type result struct {
		pw  string
		err error
	}
	done := make(chan result, 1)
	go func() {
		pw, err := readSecretLine(tty)
		done <- result{pw, err}
	}()
	select {
	case r := <-done:
		return r.pw, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
