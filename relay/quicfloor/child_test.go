package quicfloor

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The forwarder child is this test binary run again with childEnv set to
// its mode. It prints "forwarder on ADDR", answers each "cpu" line on its
// stdin with "cpu USER_NS SYS_NS" (its own getrusage) and exits at EOF on
// stdin or after childLifetime, whichever is first.
const (
	childEnv      = "SECUREP2P_QUICFLOOR_CHILD"
	childLifetime = 5 * time.Minute
	childStop     = 5 * time.Second // wait for a clean exit before killing
)

// TestForwarderChild is the forwarder process of the benchmarks; it does
// nothing unless a benchmark started it.
func TestForwarderChild(t *testing.T) {
	m := os.Getenv(childEnv)
	if m == "" {
		return
	}
	tr, ln, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Conn.Close()
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), childLifetime)
	defer cancel()
	go newForwarder(parseMode(m)).serve(ctx, ln)
	fmt.Printf("forwarder on %s\n", ln.Addr())
	go func() { answerCPU(os.Stdin, os.Stdout); cancel() }()
	<-ctx.Done()
}

// answerCPU answers "cpu" lines until r ends.
func answerCPU(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sc.Text() == "cpu" {
			u, s := selfCPU()
			fmt.Fprintf(w, "cpu %d %d\n", u.Nanoseconds(), s.Nanoseconds())
		}
	}
}

// selfCPU is this process's user and system CPU time so far.
func selfCPU() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// child is a running forwarder process.
type child struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	addr string
}

// startChild starts the forwarder child in mode m and reads its address.
func startChild(m mode) (*child, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestForwarderChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+m.String())
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := c.out.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "forwarder on ")
	if err != nil || !ok {
		c.stop()
		return nil, fmt.Errorf("forwarder child said %q: %v", line, err)
	}
	c.addr = addr
	return c, nil
}

// cpu asks the child for its user and system CPU time so far.
func (c *child) cpu() (user, sys time.Duration, err error) {
	if _, err := io.WriteString(c.in, "cpu\n"); err != nil {
		return 0, 0, err
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		return 0, 0, err
	}
	var u, s int64
	if _, err := fmt.Sscanf(line, "cpu %d %d\n", &u, &s); err != nil {
		return 0, 0, fmt.Errorf("forwarder child said %q: %w", line, err)
	}
	return time.Duration(u), time.Duration(s), nil
}

// stop closes the child's stdin and waits for it to exit, killing it
// after childStop.
func (c *child) stop() {
	_ = c.in.Close()
	done := make(chan error, 1)
	go func() { _, _ = io.Copy(io.Discard, c.out); done <- c.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(childStop):
		_ = c.cmd.Process.Kill()
		<-done
	}
}
