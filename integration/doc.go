// Package integration holds SecureP2P's whole-system tests: repository
// structure checks (dependency boundaries, package docs, the set of binaries)
// and tests that build the real p2p-relay, p2pd and p2pctl binaries once and
// run them as processes on loopback with temporary state directories, driven
// through p2pctl and daemon/client, with a seeded UDP fault proxy
// (integration/faultproxy) between daemons and relay where a scenario needs
// loss, reordering, blackholes or tampering.
//
// Apart from this doc, the directory holds only tests, the faultproxy
// package and demo.sh (what `make demo` runs).
package integration
