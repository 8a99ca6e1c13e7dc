package quicfloor

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// packets is the QUIC packet counters summed over the clients.
type packets struct{ sent, recv, lost uint64 }

func clientPackets(cs []*client) packets {
	var p packets
	for _, c := range cs {
		s := c.qc.ConnectionStats()
		p.sent += s.PacketsSent
		p.recv += s.PacketsReceived
		p.lost += s.PacketsLost
	}
	return p
}

func (p packets) sub(q packets) packets {
	return packets{sent: p.sent - q.sent, recv: p.recv - q.recv, lost: p.lost - q.lost}
}

// udpRcvbufErrors is the machine's count of UDP datagrams dropped for a
// full receive buffer (/proc/net/snmp; every process counts), or 0 when
// it cannot be read.
func udpRcvbufErrors() uint64 {
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		return 0
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(fields) {
				v, _ := strconv.ParseUint(fields[i], 10, 64)
				return v
			}
		}
	}
	return 0
}
