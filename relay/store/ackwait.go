package store

import "time"

// Adaptive hold time.
//
// A pushed envelope is held for clamp(4 x estimate, AckWait, MaxAckWait),
// where estimate is a running mean (EWMA, weight 1/8) of push-to-Ack times:
// those of Acks that cancelled a hold and those of Acks that came after
// the envelope was written because its hold ran out (so a hold that is too
// short still learns how slow the Acks are). Under load, when Acks take
// longer than AckWait, holds grow instead of writing, fsyncing and then
// deleting most envelopes. The hold only decides when an unacknowledged
// envelope is written: "done" still reports only after an fsync or the
// recipient's Ack.

// lateMemory bounds the envelopes written after their hold ran out whose
// push time is kept for a later Ack (two generations of lateMemory/2).
const lateMemory = 4096

// ackEstimate is the running push-to-Ack estimate; guarded by heldSet.mu.
type ackEstimate struct {
	floor, ceil time.Duration // Options.AckWait, Options.MaxAckWait
	mean        time.Duration // 0: nothing measured yet
	// Push times of envelopes written after their hold ran out, in two
	// generations (no deletes, as heldSet.acked).
	late, lateOld map[heldKey]time.Time
}

func (a *ackEstimate) init(floor, ceil time.Duration) {
	a.floor, a.ceil = floor, max(ceil, floor)
	a.late, a.lateOld = map[heldKey]time.Time{}, map[heldKey]time.Time{}
}

// observe folds one push-to-Ack time into the mean.
func (a *ackEstimate) observe(d time.Duration) {
	d = max(d, 0)
	if a.mean == 0 {
		a.mean = d
		return
	}
	a.mean += (d - a.mean) / 8
}

// hold is how long an envelope is held now.
func (a *ackEstimate) hold() time.Duration {
	return min(max(4*a.mean, a.floor), a.ceil)
}

// timedOut remembers the push time of k, written because its hold ran out.
func (a *ackEstimate) timedOut(k heldKey, pushed time.Time) {
	if len(a.late) >= lateMemory/2 {
		a.lateOld, a.late = a.late, make(map[heldKey]time.Time, lateMemory/2)
	}
	a.late[k] = pushed
}

// lateAck measures an Ack of k that came after its write, if k is known.
func (a *ackEstimate) lateAck(k heldKey, now time.Time) {
	t, ok := a.late[k]
	if !ok {
		if t, ok = a.lateOld[k]; !ok {
			return
		}
	}
	a.observe(now.Sub(t))
}
