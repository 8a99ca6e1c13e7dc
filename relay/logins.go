package relay

import (
	"sync"

	"github.com/securep2p/securep2p/wire"
)

// loginSet is every logged-in session of this process, by username: the
// router knows only each user's delivery target, but a key change must
// reach the account's older sessions too. Entries are removed at logout,
// so its size is the number of logged-in connections. The zero value is
// ready.
type loginSet struct {
	mu sync.Mutex
	m  map[string]map[*session]struct{}
}

func (l *loginSet) add(name string, ss *session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]map[*session]struct{}{}
	}
	set := l.m[name]
	if set == nil {
		set = map[*session]struct{}{}
		l.m[name] = set
	}
	set[ss] = struct{}{}
}

func (l *loginSet) remove(name string, ss *session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if set := l.m[name]; set != nil {
		delete(set, ss)
		if len(set) == 0 {
			delete(l.m, name)
		}
	}
}

// endOthers ends every session of name except keep with a fatal Error
// carrying code. fatal does not block; it is called outside the lock.
func (l *loginSet) endOthers(name string, keep *session, code wire.Code) int {
	l.mu.Lock()
	var others []*session
	for ss := range l.m[name] {
		if ss != keep {
			others = append(others, ss)
		}
	}
	l.mu.Unlock()
	n := 0
	for _, ss := range others {
		if ss.username() == name { // not logged out and in as another user since
			ss.fatal(code)
			n++
		}
	}
	return n
}
