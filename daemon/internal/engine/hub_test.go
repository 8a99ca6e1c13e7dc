package engine

import (
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

func TestSlowSubscriberCutOff(t *testing.T) {
	e := &Engine{hub: hub{subs: map[*Sub]struct{}{}}}
	slow, fast := e.Subscribe(), e.Subscribe()
	defer fast.Close()
	evs := make([]api.Event, SubBuffer+1)
	for i := range evs {
		evs[i].Cursor = uint64(i + 1)
	}
	e.hub.publish(evs[:SubBuffer]) // fills both buffers
	for range SubBuffer {
		<-fast.C // fast keeps up, slow does not read
	}
	e.hub.publish(evs[SubBuffer:]) // must not block on slow
	select {
	case <-slow.Overflow:
	default:
		t.Fatal("slow subscriber not cut off")
	}
	select {
	case <-fast.Overflow:
		t.Fatal("a subscriber that kept up was cut off")
	default:
	}
}
