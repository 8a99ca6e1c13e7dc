package loadgen

import (
	"strings"
	"sync/atomic"
)

// relayNode is one relay address under load and the connections opened to
// it.
type relayNode struct {
	addr  string
	conns atomic.Int64
}

func newNodes(addrs ...string) []relayNode {
	nodes := make([]relayNode, len(addrs))
	for i, a := range addrs {
		nodes[i].addr = a
	}
	return nodes
}

// addrList is the relay addresses, comma-separated (the --relay form).
func (h *relayHandle) addrList() string {
	addrs := make([]string, len(h.nodes))
	for i := range h.nodes {
		addrs[i] = h.nodes[i].addr
	}
	return strings.Join(addrs, ",")
}

// dial is the address of node i (modulo the node count), counting one
// connection to it.
func (h *relayHandle) dial(i int) string {
	n := &h.nodes[i%len(h.nodes)]
	n.conns.Add(1)
	return n.addr
}

// fillNodes reports the connections per node when there are several.
func (h *relayHandle) fillNodes(res *Result) {
	if len(h.nodes) < 2 {
		return
	}
	res.RelayNodes = len(h.nodes)
	res.ConnsPerNode = make([]int64, len(h.nodes))
	for i := range h.nodes {
		res.ConnsPerNode[i] = h.nodes[i].conns.Load()
	}
}

// pairNodes places pair i over n nodes: its responder on node i mod n, its
// initiator on the next node, so that with several nodes every message
// crosses from one node to another.
func pairNodes(i, n int) (resp, init int) {
	return i % n, (i + 1) % n
}

// fanInNode places fan-in sender i over n nodes: the receiver is on node
// 0, the senders on the other nodes in turn (all on node 0 when n is 1).
func fanInNode(i, n int) int {
	if n < 2 {
		return 0
	}
	return 1 + i%(n-1)
}
