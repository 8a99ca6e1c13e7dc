package relay

import (
	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
)

// The send window. Each Send awaiting its answer (Accepted or Error{ID})
// holds one token per started KiB of body, taken by the reader before the
// envelope goes to the store and given back when the answer is written, so
// a connection keeps at most sendTokens Sends and about sendTokens KiB of
// bodies in flight. Beyond that its reader waits (back pressure on this
// connection only). Answers are queued apart from other replies, without
// a preallocated queue: an idle connection holds none.
const sendTokens = 4096

// answer is a queued answer to a Send.
type answer struct {
	id     store.ID
	code   wire.Code // 0: Accepted
	tokens int
}

func tokensFor(body []byte) int { return 1 + len(body)>>10 }

// takeTokens waits for n tokens. Only the reader takes tokens. It reports
// false (holding none) when the session is closing.
func (ss *session) takeTokens(n int) bool {
	for i := range n {
		select {
		case ss.tokens <- struct{}{}:
		case <-ss.closing:
			ss.putTokens(i)
			return false
		}
	}
	return true
}

func (ss *session) putTokens(n int) {
	for range n {
		<-ss.tokens
	}
}

// answerSend queues the answer to a Send holding tokens (store goroutines;
// never blocks). A closing session drops it (counted; the sender re-sends,
// Send is idempotent).
func (ss *session) answerSend(a answer) {
	select {
	case <-ss.closing:
		ss.s.m.QueueDrops.WithLabelValues(metrics.DropClosed).Inc()
		return
	default:
	}
	ss.liveMu.Lock()
	ss.answers = append(ss.answers, a)
	ss.liveMu.Unlock()
	select {
	case ss.live <- struct{}{}:
	default:
	}
	ss.kick()
}

// writeAnswers writes the queued answers and gives their tokens back.
func (ss *session) writeAnswers() bool {
	ss.liveMu.Lock()
	q := ss.answers
	ss.answers = ss.spareA[:0]
	ss.liveMu.Unlock()
	ok := true
	for i := range q {
		if ok {
			ok = ss.writeAnswer(&q[i])
		}
		ss.putTokens(q[i].tokens)
	}
	ss.spareA = q[:0]
	return ok
}

func (ss *session) writeAnswer(a *answer) bool {
	if a.code != 0 {
		return ss.write(sendError(a.id[:], a.code))
	}
	acc := &ss.scratch.accepted
	acc.ID = a.id[:]
	ok := ss.writeScratch(&wire.Frame{Accepted: acc})
	acc.ID = nil
	return ok
}
