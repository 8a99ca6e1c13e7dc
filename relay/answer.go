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

// writeAnswers writes the queued answers and gives their tokens back. On
// a version 2 connection a run of consecutive Accepted answers leaves as
// one Accepted frame of up to wire.MaxBatchIDs ids (ID, then More); an
// Error keeps its place between runs. On version 1 each id has its frame.
func (ss *session) writeAnswers() bool {
	ss.liveMu.Lock()
	q := ss.answers
	ss.answers = ss.spareA[:0]
	ss.liveMu.Unlock()
	batch := 1
	if ss.hc.Version() >= 2 {
		batch = wire.MaxBatchIDs
	}
	ok := true
	for i := 0; i < len(q); {
		n := acceptedRun(q[i:], batch)
		if ok {
			ok = ss.writeAnswer(q[i : i+n])
		}
		for j := i; j < i+n; j++ {
			ss.putTokens(q[j].tokens)
		}
		i += n
	}
	ss.spareA = q[:0]
	return ok
}

// acceptedRun is how many answers from q[0] one frame carries: 1 for an
// Error, else the Accepted answers in a row, at most limit.
func acceptedRun(q []answer, limit int) int {
	if q[0].code != 0 {
		return 1
	}
	n := 1
	for n < len(q) && n < limit && q[n].code == 0 {
		n++
	}
	return n
}

// writeAnswer writes one Error, or one Accepted of every answer in run
// (all Accepted). The ids are referenced from run, not copied; the More
// slice is the writer's scratch, cleared after the write.
func (ss *session) writeAnswer(run []answer) bool {
	if run[0].code != 0 {
		return ss.write(sendError(run[0].id[:], run[0].code))
	}
	acc := &ss.scratch.accepted
	acc.ID = run[0].id[:]
	if len(run) > 1 {
		more := ss.scratch.more[:0]
		for j := 1; j < len(run); j++ {
			more = append(more, run[j].id[:])
		}
		acc.More = more
	}
	ok := ss.writeScratch(&wire.Frame{Accepted: acc})
	if acc.More != nil {
		clear(acc.More)
		ss.scratch.more = acc.More[:0]
	}
	acc.ID, acc.More = nil, nil
	return ok
}
