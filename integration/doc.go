// Package integration holds SecureP2P's whole-system tests: repository
// structure checks (dependency boundaries, package docs, the set of binaries)
// and tests that build the real p2p-relay, p2pd and p2pctl binaries once and
// run them as processes on loopback with temporary state directories.
//
// It contains no production code; everything here is in _test.go files
// except this doc and the demo script.
package integration
