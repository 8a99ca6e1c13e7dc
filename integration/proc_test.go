package integration

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Time limits of the harness (bounds, never assertions about speed).
const (
	readyTimeout = 30 * time.Second // a process prints its readiness lines
	stopTimeout  = 30 * time.Second // a process exits after SIGTERM
)

// maxLog is how much of a process's output is kept for failure reports.
const maxLog = 256 << 10

// proc is one running program with its output captured: stdout lines are
// kept for readiness parsing, stdout and stderr together for failure logs.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited

	mu      sync.Mutex
	lines   []string // stdout lines
	partial []byte
	log     []byte        // stdout+stderr, the last maxLog bytes
	more    chan struct{} // signalled when a line arrives
	endErr  error         // cmd.Wait's result, once done
}

// startProc starts path with args. The cleanup stops it with SIGTERM
// (unless the test already stopped or killed it), requires exit code 0, and
// prints its output when the test failed.
func startProc(t *testing.T, name, path string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, done: make(chan struct{}), more: make(chan struct{}, 1)}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = testEnv()
	p.cmd.Stdout = writerFunc(p.stdout)
	p.cmd.Stderr = writerFunc(p.stderr)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		err := p.cmd.Wait()
		p.mu.Lock()
		p.endErr = err
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(p.cleanup)
	return p
}

func (p *proc) cleanup() {
	if !p.exited() {
		p.stop()
	}
	if p.t.Failed() {
		p.t.Logf("---- output of %s (last %d KiB) ----\n%s", p.name, maxLog>>10, p.output())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func (p *proc) stdout(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.appendLogLocked(b)
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		p.lines = append(p.lines, string(p.partial[:i]))
		p.partial = p.partial[i+1:]
	}
	select {
	case p.more <- struct{}{}:
	default:
	}
	return len(b), nil
}

func (p *proc) stderr(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.appendLogLocked(b)
	return len(b), nil
}

func (p *proc) appendLogLocked(b []byte) {
	p.log = append(p.log, b...)
	if len(p.log) > 2*maxLog {
		p.log = append([]byte(nil), p.log[len(p.log)-maxLog:]...)
	}
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.log) > maxLog {
		return string(p.log[len(p.log)-maxLog:])
	}
	return string(p.log)
}

// waitLine waits for a stdout line starting with prefix (searching from
// line from) and returns the rest of it and the index after it. It fails
// the test if the process exits first or readyTimeout passes.
func (p *proc) waitLine(prefix string, from int) (string, int) {
	p.t.Helper()
	line, next := p.waitLineFunc(prefix, from, func(l string) bool { return strings.HasPrefix(l, prefix) })
	return strings.TrimSpace(strings.TrimPrefix(line, prefix)), next
}

// waitLineFunc waits for a stdout line (from index from on) for which
// match is true and returns it and the index after it.
func (p *proc) waitLineFunc(what string, from int, match func(string) bool) (string, int) {
	p.t.Helper()
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		lines := p.lines
		p.mu.Unlock()
		for i := from; i < len(lines); i++ {
			if match(lines[i]) {
				return lines[i], i + 1
			}
		}
		from = len(lines)
		select {
		case <-p.more:
		case <-p.done:
			p.mu.Lock()
			more := len(p.lines) > from
			p.mu.Unlock()
			if !more {
				p.t.Fatalf("%s exited (%v) before printing %s; output:\n%s", p.name, p.exitErr(), what, p.output())
			}
		case <-deadline.C:
			p.t.Fatalf("%s printed no %s within %v", p.name, what, readyTimeout)
		}
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.endErr
}

// exitCode is the exit code, -1 when killed by a signal.
func (p *proc) exitCode() int { return p.cmd.ProcessState.ExitCode() }

// stop sends SIGTERM, waits for the exit and requires exit code 0.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.signalWait(syscall.SIGTERM); err != nil {
		p.t.Errorf("%s: %v", p.name, err)
		return
	}
	if code := p.exitCode(); code != 0 {
		p.t.Errorf("%s exited with code %d after SIGTERM, want 0 (%v)", p.name, code, p.exitErr())
	}
}

// kill sends SIGKILL and waits for the exit.
func (p *proc) kill() {
	p.t.Helper()
	if err := p.signalWait(syscall.SIGKILL); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

func (p *proc) signalWait(sig syscall.Signal) error {
	if !p.exited() {
		p.cmd.Process.Signal(sig)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("did not exit within %v of %v (killed)", stopTimeout, sig)
	}
}

// ctx returns a context bounded by d for one step of a test.
func stepCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
