package integration

import "time"

// Message counts of the heavier scenarios: the numbers, unless a
// comment says why one is scaled down to keep the package under ~6 minutes
// on 2 shared cores.
const (
	deliverTimeout      = 90 * time.Second // bound on a bulk stream reaching delivered
	firstContactTimeout = 30 * time.Second // bound on 20 messages each way reaching delivered
	daemonKillCycles    = 20               // SIGKILL cycles in TestDaemonSIGKILLCycles
	lossCount           = 100              // messages each way through the lossy proxy in TestLossAndReorder
	tamperCount         = 50               // messages each way while bytes are flipped in TestTamperingRelayPathFailsClosed
	relayKillCount      = 1000             // messages each way in TestRelaySIGKILLMidStream
)
