package relay

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
)

// The writer goroutine runs only while a session has something to write
// (session.go, kick): a connection idle for writerLinger holds the reader
// alone. Each test
// lets the writer exit, then gives it one kind of work and checks that the
// work is done by a writer started for it.

// sessionOf returns the session user is attached to.
func sessionOf(t *testing.T, r *testRelay, user string) *session {
	t.Helper()
	lr, ok := r.srv.cfg.Router.(*localRouter)
	if !ok {
		lr = r.srv.cfg.Router.(*plainRouter).Router.(*localRouter)
	}
	lr.mu.Lock()
	defer lr.mu.Unlock()
	rt := lr.m[user]
	if rt == nil {
		t.Fatalf("%s is not attached", user)
	}
	return rt.n.(*session)
}

// waitWriterIdle waits (at most 10 s) until ss has no writer goroutine.
func waitWriterIdle(t *testing.T, ss *session) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ss.writerRunning(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the writer of an idle session is still running")
		}
	}
}

// lingerShort makes idle writers exit after 10ms instead of a second.
const lingerShort = 10 * time.Millisecond

// plainRouter is the in-process router behind a wrapper: the relay then
// pushes nothing (pushFunc needs the in-process router itself), every
// envelope is written to the mailbox and its recipient woken by Notify.
type plainRouter struct{ Router }

// connectedBob runs a relay with cfg and connects bob, returning his
// session once his first exchange is done.
func connectedBob(t *testing.T, cfg Config) (*testRelay, *client, *session) {
	t.Helper()
	r := startRelay(t, cfg)
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	bc.Sync()
	return r, bc, sessionOf(t, r, bob.Name)
}

// TestWriterExitsWhenIdle: once a session has answered everything its
// writer goroutine is gone, and a Ping still gets its Pong (a reply starts
// a writer).
func TestWriterExitsWhenIdle(t *testing.T) {
	_, bc, ss := connectedBob(t, Config{writerLinger: lingerShort})
	for range 3 {
		waitWriterIdle(t, ss)
		noDeliver(t, bc.Sync())
	}
}

// TestWriterStartsForLivePush: an envelope pushed from memory to an idle
// recipient starts its writer; the sender's idle writer is started by the
// Accepted answer (sent on the recipient's Ack: the held write waits an
// hour, so nothing reaches either side through the mailbox).
func TestWriterStartsForLivePush(t *testing.T) {
	r := startRelay(t, Config{ackWait: time.Hour, writerLinger: lingerShort})
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	alice := hopclient.NewUser(t, "alice", 0)
	ac := connectAs(t, r, alice, true)
	bc.Sync()
	ac.Sync()
	for range 3 {
		waitWriterIdle(t, sessionOf(t, r, bob.Name))
		waitWriterIdle(t, sessionOf(t, r, alice.Name))
		id := hopclient.NewMsgID()
		ac.Send(id, bob, "live")
		receiveInOrder(t, bc, [][]byte{id})
		allAccepted(t, ac, [][]byte{id})
	}
}

// TestWriterStartsForMailboxWake: with no push (every envelope written),
// the recipient learns of new mail only through Notify; an idle writer
// must be started by it and read the mailbox.
func TestWriterStartsForMailboxWake(t *testing.T) {
	r := startRelay(t, Config{Router: &plainRouter{Router: NewLocalRouter()}, writerLinger: lingerShort})
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	bc.Sync()
	for range 3 {
		waitWriterIdle(t, sessionOf(t, r, bob.Name))
		id := ac.SendOK(bob, "from the mailbox")
		receiveInOrder(t, bc, [][]byte{id})
	}
}

// TestWriterStartsForShutdown: a relay shutting down closes idle sessions
// with CodeShuttingDown (the closing session's writer is started to
// finish it).
func TestWriterStartsForShutdown(t *testing.T) {
	r, bc, ss := connectedBob(t, Config{writerLinger: lingerShort})
	waitWriterIdle(t, ss)
	r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-bc.Conn.Context().Done():
	case <-ctx.Done():
		t.Fatal("the idle session was not closed")
	}
	if got := closeCode(t, bc.Conn); got != wire.CodeShuttingDown {
		t.Fatalf("close code %v, want %v", got, wire.CodeShuttingDown)
	}
}

// TestWriterLingers: a writer waits writerLinger for more work before it
// exits (a busy connection does not start a goroutine per message).
func TestWriterLingers(t *testing.T) {
	_, bc, ss := connectedBob(t, Config{writerLinger: time.Hour})
	time.Sleep(50 * time.Millisecond)
	if !ss.writerRunning() {
		t.Fatal("the writer exited before its linger time")
	}
	noDeliver(t, bc.Sync())
	if !ss.writerRunning() {
		t.Fatal("the writer exited between two replies")
	}
}

// TestWriterChurn: with a linger of a microsecond, writers exit and start
// around nearly every frame while Sends, pushes, answers and Acks cross;
// every envelope still arrives once, in order, and every Send is answered
// (a lost wakeup leaves a frame unwritten: Next fails after 10 s).
func TestWriterChurn(t *testing.T) {
	r := startRelay(t, Config{writerLinger: time.Microsecond})
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	for burst := range 100 {
		ids := make([][]byte, 1+burst%7)
		for i := range ids {
			ids[i] = hopclient.NewMsgID()
			ac.Send(ids[i], bob, "churn")
		}
		receiveInOrder(t, bc, ids)
		allAccepted(t, ac, ids)
	}
	noDeliver(t, bc.Sync())
}

// TestWriterSeesWorkQueuedAsItExits: a reply queued after the writer's
// last round but before it exits (its kick finds the writer still
// running, so it starts none) is written: the exiting writer looks at its
// queue once more under writeMu and goes on instead.
func TestWriterSeesWorkQueuedAsItExits(t *testing.T) {
	r, bc, ss := connectedBob(t, Config{writerLinger: lingerShort})
	waitWriterIdle(t, ss)
	queued := make(chan struct{})
	var once sync.Once
	hook := func(s *session) {
		if s == ss {
			once.Do(func() {
				s.reply(&wire.Frame{Pong: &wire.Pong{N: 42}})
				close(queued)
			})
		}
	}
	r.srv.idleExit.Store(&hook)
	bc.Write(&wire.Frame{Ping: &wire.Ping{N: 1}}) // starts a writer that will go idle again
	if f := bc.Next(); f.Pong == nil || f.Pong.N != 1 {
		t.Fatalf("got %v, want Pong 1", f.Type())
	}
	<-queued
	if f := bc.Next(); f.Pong == nil || f.Pong.N != 42 {
		t.Fatalf("got %v, want the Pong queued as the writer exited", f.Type())
	}
}
